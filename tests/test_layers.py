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


def conv1d_forward(x, w, b, conv_param):
    """out[n, t] = Σ_k x[n, t·s + k] w[k] + b, stride s = conv_param["stride"]."""
    s, K = conv_param["stride"], w.shape[0]
    T = (x.shape[1] - K) // s + 1
    out = np.stack([x[:, t * s:t * s + K] @ w for t in range(T)], axis=1) + b
    return out, (x, w, conv_param)


def conv1d_backward(dout, cache):
    x, w, conv_param = cache
    s, K = conv_param["stride"], w.shape[0]
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for t in range(dout.shape[1]):
        dx[:, t * s:t * s + K] += np.outer(dout[:, t], w)
        dw += x[:, t * s:t * s + K].T @ dout[:, t]
    return dx, dw, dout.sum()


class TestCalledAsWritten:
    x, w, b = RNG.normal(size=(3, 7)), RNG.normal(size=3), np.array(0.5)

    def test_arguments_are_passed_as_given_and_named_after_forwards_parameters(self):
        report = gradcheck.check_layer(conv1d_forward, conv1d_backward, self.x, self.w, self.b, {"stride": 2})
        assert report.ok and [r.name for r in report] == ["x", "w", "b"]
        assert report.held_fixed == ("conv_param (dict)",)
        assert "held fixed: conv_param (dict)" in str(report)

    def test_keyword_arguments_reach_forward_and_check_options_do_not(self):
        report = gradcheck.check_layer(conv1d_forward, conv1d_backward, self.x, self.w, self.b,
                                       conv_param={"stride": 1}, mode="full", seed=3)
        assert report.ok and report.mode == "full"

    def test_wrt_restricts_what_is_differentiated(self):
        report = gradcheck.check_layer(conv1d_forward, lambda d, c: conv1d_backward(d, c)[1:], self.x, self.w,
                                       self.b, {"stride": 2}, wrt=("w", "b"))
        assert [r.name for r in report] == ["w", "b"] and report.held_fixed[0].startswith("x (float64 array")

    def test_a_wrt_naming_no_float_argument_is_refused(self):
        with pytest.raises(CheckError, match="wrt names 'conv_param', which is not a floating-point array"):
            gradcheck.check_layer(conv1d_forward, conv1d_backward, self.x, self.w, self.b, {"stride": 2},
                                  wrt="conv_param")

    def test_fewer_gradients_are_matched_by_shape_and_the_rest_are_not_checked(self):
        report = gradcheck.check_layer(conv1d_forward, lambda d, c: conv1d_backward(d, c)[1], self.x, self.w,
                                       self.b, {"stride": 2})
        assert [r.name for r in report] == ["w"] and report.not_checked == ("x", "b")
        assert "not checked: x, b (no gradient returned)" in str(report).splitlines()[0]

    def test_a_match_shapes_cannot_decide_is_a_check_error_naming_wrt(self):
        with pytest.raises(CheckError, match="pass wrt="):
            gradcheck.check_layer(lambda a, b: (a * b, (a, b)), lambda d, c: d * c[1], X, X + 1.0)

    def test_the_users_arrays_and_dicts_are_unchanged(self):
        conv_param = {"stride": 2}
        x, w = self.x.copy(), self.w.copy()

        def forward(x, w, b, conv_param):
            conv_param["calls"] = conv_param.get("calls", 0) + 1  # state written into the config dict
            return conv1d_forward(x, w, b, conv_param)
        gradcheck.check_layer(forward, conv1d_backward, x, w, self.b, conv_param)
        assert conv_param == {"stride": 2} and np.array_equal(x, self.x) and np.array_equal(w, self.w)

    def test_a_failing_forward_is_named_with_its_arguments(self):
        def forward(x, w, conv_param):
            return x[:, conv_param["missing"]] * w
        with pytest.raises(CheckError, match=r"forward raised KeyError: 'missing' when called as forward\(x=float64 "
                                             r"array \(3, 7\), w=float64 array \(3,\), conv_param=dict\)"):
            gradcheck.check_layer(forward, lambda d, c: d, self.x, self.w, {"stride": 1})


class TestLossLayers:
    def test_a_loss_layer_with_integer_labels_checks_dx_and_holds_y(self):
        y = np.array([0, 2, 1])

        def softmax_loss(x, y):
            p = np.exp(x - x.max(1, keepdims=True))
            p /= p.sum(1, keepdims=True)
            dx = p.copy()
            dx[np.arange(len(y)), y] -= 1
            return -np.mean(np.log(p[np.arange(len(y)), y])), dx / len(y)
        report = gradcheck.check_layer(softmax_loss, None, RNG.normal(size=(3, 4)), y)
        assert report.ok and report.held_fixed == ("y (int64 array (3,))",)

    def test_a_function_without_backward_that_is_no_loss_layer_is_told_so(self):
        with pytest.raises(CheckError, match="must be a loss layer returning \\(loss, gradient\\(s\\)\\)"):
            gradcheck.check_layer(np.tanh, None, X)


class TestRandomness:
    def test_a_dropout_drawing_from_np_random_is_checked_and_the_state_left_as_found(self):
        def dropout_forward(x, p):
            mask = (np.random.rand(*x.shape) < p) / p
            return x * mask, mask

        def dropout_backward(dout, mask):
            return dout * mask
        np.random.seed(123)
        before = np.random.get_state()[1].copy()
        report = gradcheck.check_layer(dropout_forward, dropout_backward, X, 0.5)
        assert report.ok and any("global random state" in n for n in report.notes)
        assert np.array_equal(np.random.get_state()[1], before)


class TestGradientKeys:
    def test_gradients_keyed_d_name_are_matched_and_other_d_keys_ignored_with_a_note(self):
        w = RNG.normal(size=3)
        report = gradcheck.check(lambda p: float(np.sum(p["W1"] ** 2)),
                                 lambda p: {"dW1": 2 * p["W1"], "dA1": np.ones(5)}, {"W1": w})
        assert report.ok and any("ignored: dA1" in n for n in report.notes)


class TestModels:
    class Model:
        def __init__(self):
            self.params = {"W1": RNG.normal(size=(3, 2)), "b1": np.zeros(2)}

        def loss(self, X, y):
            out = X @ self.params["W1"] + self.params["b1"]
            d = (out - y) / len(X)
            return 0.5 * np.sum((out - y) ** 2) / len(X), {"W1": X.T @ d, "b1": d.sum(0)}

    def test_a_model_with_params_and_loss_is_checked_and_left_as_found(self):
        model = self.Model()
        params, arrays = model.params, dict(model.params)
        values = {k: v.copy() for k, v in arrays.items()}
        report = gradcheck.check_model(model, RNG.normal(size=(4, 3)), RNG.normal(size=(4, 2)))
        assert report.ok and [r.name for r in report] == ["W1", "b1"]
        assert model.params is params and all(model.params[k] is arrays[k] for k in arrays)
        assert all(np.array_equal(model.params[k], values[k]) for k in values)

    def test_a_model_whose_loss_returns_no_grads_and_has_no_gradient_is_told_so(self):
        model = self.Model()
        model.loss = lambda X, y: 1.0
        with pytest.raises(CheckError, match=r"expected \(loss, grads\)"):
            gradcheck.check_model(model, X, X)


def test_a_models_running_statistics_are_as_found_after_the_check():
    class Model(TestModels.Model):
        def __init__(self):
            super().__init__()
            self.bn_params = [{"mode": "train", "running_mean": np.zeros(2)}]

        def loss(self, X, y):
            self.bn_params[0]["running_mean"] += 1.0  # a forward that updates its running statistics
            return super().loss(X, y)
    model = Model()
    stats, mean = model.bn_params, model.bn_params[0]["running_mean"]
    assert gradcheck.check_model(model, RNG.normal(size=(4, 3)), RNG.normal(size=(4, 2))).ok
    assert model.bn_params is stats and stats[0]["running_mean"] is mean and not np.any(mean)
