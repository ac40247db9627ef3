"""The residual d = analytic − numerical against explicit hypotheses, and reasoning across parameters from structure."""

import numpy as np
import pytest

import gradcheck
from gradcheck.diagnosis.locate import locate, ranges
from gradcheck.diagnosis.structure import role, units

RNG = np.random.default_rng(11)
X = RNG.normal(size=(8, 4))
Y = RNG.normal(size=(8, 2))
LAM = 0.1
PARAMS = {"W1": RNG.normal(size=(4, 5)), "b1": RNG.normal(size=(1, 5)), "W2": RNG.normal(size=(5, 2)),
          "b2": RNG.normal(size=(1, 2))}


def two_layer(bug=None, lam=LAM):
    """tanh MLP, mean squared error, ½λ(‖W1‖² + ‖W2‖²); ``bug`` writes one mistake into the backward."""
    def loss_and_grad(p):
        z = X @ p["W1"] + p["b1"]  # z = x W1 + b1
        a = np.tanh(z)  # a = tanh(z)
        o = a @ p["W2"] + p["b2"]  # o = a W2 + b2
        loss = 0.5 * np.sum((o - Y) ** 2) / 8 + 0.5 * lam * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))
        do = (o - Y) / 8  # ∂L/∂o
        dz = (do @ p["W2"].T) * (1 - a * a)  # ∂L/∂z
        reg1 = {"2lam": 2 * lam * p["W1"], "forget": 0.0}.get(bug, lam * p["W1"])
        grads = {"W1": X.T @ dz + reg1, "b1": dz.sum(axis=0, keepdims=True), "W2": a.T @ do + lam * p["W2"],
                 "b2": do.sum(axis=0, keepdims=True)}
        return loss, grads
    return loss_and_grad


class TestProportionalToTheParameter:
    @pytest.mark.parametrize("mode", ["full", "probe"])
    def test_a_doubled_weight_decay_is_named_with_its_coefficient(self, mode):
        result = gradcheck.check(two_layer("2lam"), None, PARAMS, mode=mode)["W1"]
        assert result.detail["hypothesis"] == "proportional-to-param"
        assert result.detail["coefficient"] == pytest.approx(LAM, rel=1e-6)
        assert "analytic − numerical = 0.1 × W1 in every entry: the backward adds 0.1·W1" in result.hint

    @pytest.mark.parametrize("mode", ["full", "probe"])
    def test_a_forgotten_weight_decay_is_named_with_the_missing_lambda(self, mode):
        result = gradcheck.check(two_layer("forget"), None, PARAMS, mode=mode)["W1"]
        assert result.detail["coefficient"] == pytest.approx(-LAM, rel=1e-6)
        assert "the backward lacks 0.1·W1" in result.hint and "λ = 0.1" in result.hint

    def test_the_layer_sentence_does_not_blame_the_input(self):
        report = gradcheck.check(two_layer("forget"), None, PARAMS)
        assert "not the input the forward pass used" not in report.diagnosis
        assert "a term proportional to W1 itself" in report.diagnosis

    def test_a_wrong_value_that_is_no_multiple_of_the_parameter_gets_no_such_hypothesis(self):
        def grad(p):
            g = two_layer()(p)[1]
            g["W1"] = g["W1"] + 0.05 * p["W1"] ** 2  # not proportional to W1
            return g
        result = gradcheck.check(lambda p: two_layer()(p)[0], grad, PARAMS)["W1"]
        assert not result.ok and "hypothesis" not in result.detail


class TestMasked:
    def test_gradient_sent_where_the_forward_sent_none_is_named(self):
        x = RNG.normal(size=(6, 4))
        mask = np.array([1.0, 0.0, 1.0, 0.0])  # dropped units: the loss does not depend on x's columns 1 and 3

        def loss(p):
            return float(np.sum(np.sin(p["x"] * mask)))

        def grad(p):
            return {"x": np.cos(p["x"] * mask)}  # the mask left out of the backward
        result = gradcheck.check(loss, grad, {"x": x})["x"]
        assert result.detail["hypothesis"] == "masked" and result.detail["unused_entries"] == 12
        assert "the backward sends gradient where the forward sent none" in result.hint


class TestWrongIndices:
    def test_right_values_at_swapped_entries_are_an_indexing_slip(self):
        a = np.arange(1.0, 7.0)

        def grad(w):
            g = 2 * a * w
            g[[1, 4]] = g[[4, 1]]
            return g
        result = gradcheck.check(lambda w: float(np.sum(a * w * w)), grad, np.linspace(0.5, 1.5, 6))["param"]
        assert result.detail["hypothesis"] == "wrong-indices"


class TestCopyOfAnother:
    def test_a_gradient_returned_under_another_name_is_a_copy_paste_slip(self):
        params = {"W1": RNG.normal(size=(3, 3)), "W2": RNG.normal(size=(3, 3))}
        x = RNG.normal(size=(4, 3))

        def loss(p):
            return float(np.sum(np.tanh(x @ p["W1"]) @ p["W2"]))

        def grad(p):
            a = np.tanh(x @ p["W1"])
            dW1 = x.T @ ((np.ones((4, 3)) @ p["W2"].T) * (1 - a * a))
            return {"W1": dW1, "W2": dW1}  # dW1 stored under W2 too
        result = gradcheck.check(loss, grad, params)["W2"]
        assert result.detail["hypothesis"] == "copy-of-other" and result.detail["source"] == "W1"
        assert "either the gradients returned for 'W2' are W1's (a copy-paste slip" in result.hint


class TestAcrossFromStructure:
    def test_a_matching_beta_places_the_mistake_in_gammas_own_factor(self):
        x = RNG.normal(size=(6, 3))
        params = {"gamma": RNG.normal(size=(3,)) + 2, "beta": RNG.normal(size=(3,))}

        def loss_and_grad(p):
            xhat = (x - x.mean(0)) / x.std(0)
            out = p["gamma"] * xhat + p["beta"]
            return float(np.sum(out ** 3)), {"gamma": np.sum(3 * out ** 2, axis=0),  # x̂ forgotten
                                             "beta": np.sum(3 * out ** 2, axis=0)}
        report = gradcheck.check(loss_and_grad, None, params)
        assert report.diagnosis == ("beta matches but gamma does not: the error reaching gamma's layer is right, so "
                                    "the mistake is in what only gamma's gradient has: its hint names the parameter "
                                    "whose gradient gamma's equals")
        assert "or gamma's formula lacks what sets it apart from beta's" in report["gamma"].hint

    def test_a_gamma_wrong_in_its_own_factor_is_placed_there(self):
        x = RNG.normal(size=(6, 3))
        params = {"gamma": RNG.normal(size=(3,)) + 2, "beta": RNG.normal(size=(3,))}
        z = x - x.mean(0)

        def loss_and_grad(p):
            xhat = z / x.std(0)
            out = p["gamma"] * xhat + p["beta"]
            dout = 3 * out ** 2
            return float(np.sum(out ** 3)), {"gamma": np.sum(dout * z, axis=0),  # z where x̂ is due
                                             "beta": np.sum(dout, axis=0)}
        report = gradcheck.check(loss_and_grad, None, params)
        assert report.diagnosis.startswith("beta matches but gamma does not")
        assert "dgamma = Σ dout · x̂" in report.diagnosis

    def test_a_bias_whose_gradient_is_zero_is_no_evidence(self):
        x = RNG.normal(size=(6, 3))
        params = {"W": RNG.normal(size=(3, 3)), "b": RNG.normal(size=(1, 3))}

        def loss_and_grad(p):
            z = x @ p["W"] + p["b"]
            zc = z - z.mean(0)  # centring: the loss does not depend on b
            dzc = 2 * zc
            return float(np.sum(zc ** 2)), {"W": x.T @ (dzc * 1.5), "b": np.zeros((1, 3))}
        report = gradcheck.check(loss_and_grad, None, params)
        assert report["b"].kind == "inconclusive"
        assert report.diagnosis is None or "b matches" not in report.diagnosis

    def test_every_parameter_wrong_places_the_error_before_the_last_layer(self):
        def grad(p):
            g = two_layer()(p)[1]
            return {k: v * (1 + 0.3 * np.cos(np.arange(v.size)).reshape(v.shape)) for k, v in g.items()}
        report = gradcheck.check(lambda p: two_layer()(p)[0], grad, PARAMS)
        assert report.diagnosis.startswith("every parameter is wrong, b2 included")

    def test_a_factor_the_later_layers_rule_out_does_not_blame_the_loss(self):
        def grad(p):
            g = two_layer()(p)[1]
            g["W1"], g["b1"] = 0.5 * g["W1"] - 0.5 * LAM * p["W1"] + LAM * p["W1"], 0.5 * g["b1"]
            return g
        report = gradcheck.check(lambda p: two_layer()(p)[0], grad, PARAMS)
        assert report["b1"].kind == "scaled"
        assert "the loss has no ½" not in report["b1"].hint
        assert "W2, b2 match, so the loss and its derivative are right" in report["b1"].hint

    @pytest.mark.parametrize("name, shape, expected", [
        ("W1", (4, 5), "multiplies"), ("b1", (1, 5), "adds"), ("gamma", (5,), "multiplies"), ("beta", (5,), "adds"),
        ("Wx", (3, 8), "multiplies"), ("bh", (8,), "adds"), ("kernel", (3, 3), "multiplies"), ("v", (5,), "unknown"),
        ("bn_gamma", (5,), "multiplies")])
    def test_roles_come_from_usual_names_then_shapes(self, name, shape, expected):
        assert role(name, shape) == expected

    def test_units_pair_each_added_parameter_with_what_it_follows(self):
        class R:
            def __init__(self, name, shape):
                self.name, self.shape = name, shape
        rs = [R("W1", (4, 5)), R("b1", (5,)), R("gamma1", (5,)), R("beta1", (5,)), R("W2", (5, 2)), R("b2", (1, 2))]
        assert [[r.name for r in u.members] for u in units(rs)] == [["W1", "b1"], ["gamma1", "beta1"], ["W2", "b2"]]


class TestLocationsInFull:
    def test_runs_of_columns_are_ranges_with_counts(self):
        mask = np.zeros((6, 20), bool)
        mask[:, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 15, 16, 17, 18, 19]] = True
        assert locate(mask)[0].startswith("confined to 15 of 20 columns: 0–9, 15–19")

    def test_a_wrong_gate_block_is_named_and_the_right_ones_too(self):
        mask = np.zeros((6, 20), bool)
        mask[:, 10:15] = True
        assert locate(mask)[0] == ("confined to 5 of 20 columns: 10–14, block 3 of 4 equal blocks of 5 (blocks 1, 2, "
                                   "4 are right: if the columns hold 4 concatenated gates, look at the backward of "
                                   "gate 3)")

    def test_a_shortened_list_says_how_many_runs_are_left_out(self):
        assert ranges(list(range(0, 40, 2))) == "0, 2, 4, 6, 8, 10, 12, 14 and 12 more runs"

    def test_a_spread_error_says_how_many_entries_it_lists(self):
        mask = np.zeros((10, 10), bool)
        mask.flat[::7] = True
        assert locate(mask)[0] == ("spread over 15 of 100 entries (15%); the first 5 at (0, 0), (0, 7), (1, 4), "
                                   "(2, 1), (2, 8)")


class TestLayerBackwardIgnoringDout:
    def test_a_relu_backward_that_ignores_dout_is_named(self):
        def forward(x):
            return np.maximum(x, 0), x

        def backward(dout, cache):
            return (cache > 0).astype(float)  # dout forgotten
        x = RNG.normal(size=(4, 5))
        result = gradcheck.check_layer(forward, backward, x)["x"]
        assert result.detail["hypothesis"] == "not-scaling-with-upstream"
        assert result.hint.startswith("x's gradient is the same for the upstream gradient u and for 2u")

    def test_a_backward_with_a_wrong_factor_is_not_said_to_ignore_dout(self):
        def forward(x):
            return np.tanh(x), x

        def backward(dout, cache):
            return dout * (1 - np.tanh(cache))  # wrong derivative, but linear in dout
        result = gradcheck.check_layer(forward, backward, RNG.normal(size=(4, 5)))["x"]
        assert not result.ok and result.detail.get("hypothesis") != "not-scaling-with-upstream"


class TestAFactorInOneParametersOwnFormula:
    @staticmethod
    def scaled(name, k):
        net = two_layer(lam=0.0)

        def grad(p):
            g = net(p)[1]
            g[name] = k * g[name]
            return g
        return gradcheck.check(lambda p: net(p)[0], grad, PARAMS)[name]

    def test_a_weight_scaled_beside_a_matching_bias_has_the_factor_in_its_own_formula(self):
        result = self.scaled("W2", 8.0)
        assert result.hint == ("analytic = 8 × numerical; b2 matches, so the error reaching W2's layer is right: the "
                               "factor 8 is in W2's own formula (a sum over 8 where a mean is due, or a division "
                               "left out)")

    def test_a_bias_averaged_beside_a_matching_weight_has_the_factor_in_its_own_formula(self):
        result = self.scaled("b1", 1 / 8)
        assert "W1 matches, so the error reaching b1's layer is right" in result.hint
        assert "0.125 = 1/8: a mean over 8 where a sum is due" in result.hint


def test_a_vector_with_no_telling_name_joins_the_weight_before_it():
    class R:
        def __init__(self, name, shape):
            self.name, self.shape = name, shape
    rs = [R("A", (4, 5)), R("c", (5,)), R("B", (5, 3)), R("d", (3,))]
    assert [[r.name for r in u.members] for u in units(rs)] == [["A", "c"], ["B", "d"]]


def test_a_sign_flipped_beside_a_matching_bias_is_not_blamed_on_the_error_y_minus_a():
    net = two_layer(lam=0.0)

    def grad(p):
        g = net(p)[1]
        g["W2"] = -g["W2"]
        return g
    result = gradcheck.check(lambda p: net(p)[0], grad, PARAMS)["W2"]
    assert result.hint == ("analytic = −numerical: the sign flips in W2's own formula, since b2 matches (the error "
                           "reaching the layer has the right sign)")
