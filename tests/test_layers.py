"""Layer checks: both calling styles, the activation fingerprints, and networks checked layer by layer."""

import numpy as np
import pytest

import gradcheck
from gradcheck import CheckError
from gradcheck.reference import layers as L
from gradcheck.reference import reference

RNG = np.random.default_rng(11)
X = RNG.normal(size=(5, 3))


def affine_forward(x, w, b):
    return x @ w + b, (x, w, b)


def affine_backward(dout, cache):
    x, w, _ = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


class TestCallingStyles:
    def test_functions_with_a_cache_returning_a_tuple(self):
        report = gradcheck.check_layer(affine_forward, affine_backward, X,
                                       {"w": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2)})
        assert report.ok and [r.name for r in report] == ["x", "w", "b"]

    def test_functions_without_cache_returning_dx(self):
        report = gradcheck.check_layer(np.tanh, lambda dout: dout, X)
        assert not report.ok and report["x"].kind == "wrong-values"

    def test_backward_returning_dx_and_a_dict(self):
        w = RNG.normal(size=(3, 2))
        state = {}

        def forward(x, w):
            state["x"] = x
            return x @ w

        def backward(dout):
            return dout @ w_now().T, {"w": state["x"].T @ dout}

        w_now = lambda: state["w"]  # noqa: E731

        def forward_keeping_w(x, w):
            state["w"] = w
            return forward(x, w)

        assert gradcheck.check_layer(forward_keeping_w, backward, X, {"w": w}).ok

    def test_several_inputs_in_a_tuple_are_named_after_forwards_parameters(self):
        report = gradcheck.check_layer(lambda a, b: (a * b, (a, b)), lambda d, c: (d * c[1], d * c[0]), (X, X + 1.0))
        assert report.ok and [r.name for r in report] == ["a", "b"]

    def test_a_layer_object_with_params_and_grads(self):
        layer = L.Linear(RNG.normal(size=(3, 4)), RNG.normal(size=(1, 4)))
        report = gradcheck.check_layer(layer, None, X)
        assert report.ok and [r.name for r in report] == ["x", "W", "b"]

    def test_a_layer_objects_parameters_are_restored(self):
        W, b = RNG.normal(size=(3, 4)), RNG.normal(size=(1, 4))
        layer = L.Linear(W.copy(), b.copy())
        before = layer.params
        gradcheck.check_layer(layer, None, X)
        assert layer.params is before and np.array_equal(layer.params["W"], W)

    def test_a_bias_not_summed_inside_a_layer(self):
        report = gradcheck.check_layer(L.LinearBiasNotSummed(RNG.normal(size=(3, 4)), RNG.normal(size=(1, 4))), None, X)
        assert report["b"].kind == "not-reduced-over-batch" and report["x"].ok and report["W"].ok

    def test_backward_with_the_wrong_number_of_gradients(self):
        with pytest.raises(CheckError, match=r"backward returned 2 gradient\(s\) for the 3 differentiable arguments "
                                             r"\['x', 'w', 'b'\], and a gradient of shape \(5, 2\) fits none of them"):
            gradcheck.check_layer(affine_forward, lambda d, c: (d, d), X,
                                  {"w": RNG.normal(size=(3, 2)), "b": RNG.normal(size=2)})

    def test_missing_inputs(self):
        with pytest.raises(CheckError, match="check_layer needs inputs"):
            gradcheck.check_layer(np.tanh, lambda d: d)


FINGERPRINTS = [
    (L.SigmoidOnUpstream, "sigmoid", "d(1−d)"),
    (L.SigmoidOnPreactivation, "sigmoid", "z(1−z)"),
    (L.SigmoidForDerivative, "sigmoid", "σ"),
    (L.TanhOneMinusTanh, "tanh", "1−tanh"),
    (L.ReLUNegativeMask, "relu", "z<0"),
]


@pytest.mark.parametrize("layer, activation, formula", FINGERPRINTS)
def test_wrong_activation_derivatives_are_fingerprinted(layer, activation, formula):
    report = gradcheck.check_layer(layer(), None, X)
    assert (report["x"].detail["activation"], report["x"].detail["fingerprint"]) == (activation, formula)


@pytest.mark.parametrize("forward, backward, formula", [
    (np.tanh, lambda d: d, "none"),
    (lambda z: (np.tanh(z), z), lambda d, z: d * (1 - z**2), "1−z²"),
    (lambda z: (np.tanh(z), z), lambda d, z: d * np.tanh(z), "tanh"),
    (lambda z: (np.maximum(z, 0), z), lambda d, z: d * np.maximum(z, 0), "relu"),
])
def test_fingerprints_of_hand_written_function_layers(forward, backward, formula):
    report = gradcheck.check_layer(forward, backward, X)
    assert report.results[0].detail["fingerprint"] == formula


@pytest.mark.parametrize("layer", [L.Sigmoid, L.Tanh, L.ReLU])
def test_correct_activations_pass(layer):
    assert gradcheck.check_layer(layer(), None, X).ok


def test_the_fingerprint_hint_names_the_rule():
    report = gradcheck.check_layer(L.SigmoidOnUpstream(), None, X)
    assert report["x"].hint == ("sigmoid backward applies d(1−d): the derivative formula applied to the upstream "
                                "gradient d instead of the activation; the rule is σ'(z) = σ(z)(1 − σ(z))")


class TestNetworks:
    def test_a_correct_network_passes_every_layer(self):
        net = reference("S1")
        report = gradcheck.check_network(net.network, net.inputs)
        assert report.ok and report.results[0].name == "1.Linear.x"

    @pytest.mark.parametrize("bug, layer, formula", [("B1", "4.Sigmoid", "d(1−d)"), ("B5", "2.Sigmoid", "z(1−z)")])
    def test_s1_bugs_are_placed_in_their_layer(self, bug, layer, formula):
        net = reference("S1", bug)
        report = gradcheck.check_network(net.network, net.inputs)
        assert [r.name for r in report.failed] == [f"{layer}.x"]
        assert report[f"{layer}.x"].detail["fingerprint"] == formula
        assert report.diagnosis.startswith(f"layer {layer} is the first layer whose backward is wrong")

    def test_b11_sigma_for_sigma_prime_in_the_output_layer(self):
        net = reference("S5", "B11")
        report = gradcheck.check_network(net.network, net.inputs)
        assert report["4.Sigmoid.x"].detail["fingerprint"] == "σ"

    def test_b4_wrong_input_gradient_of_the_second_linear_layer(self):
        net = reference("S1", "B4")
        report = gradcheck.check_network(net.network, net.inputs)
        assert [r.name for r in report.failed] == ["3.Linear.x"]

    def test_not_a_network(self):
        with pytest.raises(CheckError, match="check_network needs a network with a `layers` list"):
            gradcheck.check_network(object(), X)
