"""Diagnosis: every kind from its pattern, near-misses, locations, causes, explanations."""

import numpy as np
import pytest

import gradcheck
from gradcheck import diagnosis as dg

RNG = np.random.default_rng(7)
X = RNG.normal(size=(6, 3))
W = RNG.normal(size=(3, 4))
B = RNG.normal(size=(1, 4))


def loss(p):
    return float(0.5 * np.sum(np.tanh(X @ p["W"] + p["b"]) ** 2))


def right(p):
    h = np.tanh(X @ p["W"] + p["b"])
    dz = h * (1 - h**2)
    return {"W": X.T @ dz, "b": dz.sum(axis=0, keepdims=True)}


def check_with(change, **options):
    def grad(p):
        return change(right(p), p)

    return gradcheck.check(loss, grad, {"W": W, "b": B}, **options)


def per_example_db(p):
    h = np.tanh(X @ p["W"] + p["b"])
    return h * (1 - h**2)


KINDS = {
    "sign-flipped": (lambda g, p: {"W": -g["W"], "b": g["b"]}, "W"),
    "scaled": (lambda g, p: {"W": 3 * g["W"], "b": g["b"]}, "W"),
    "not-reduced-over-batch": (lambda g, p: {"W": g["W"], "b": per_example_db(p)}, "b"),
    "transposed": (lambda g, p: {"W": g["W"].T, "b": g["b"]}, "W"),
    "zero-gradient": (lambda g, p: {"W": np.zeros_like(g["W"]), "b": g["b"]}, "W"),
    "shape-mismatch": (lambda g, p: {"W": g["W"][:2], "b": g["b"]}, "W"),
    "nonfinite": (lambda g, p: {"W": g["W"] / 0.0, "b": g["b"]}, "W"),
    "wrong-values": (lambda g, p: {"W": g["W"] + np.eye(3, 4), "b": g["b"]}, "W"),
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_kind_is_named_and_only_for_the_wrong_parameter(kind):
    change, name = KINDS[kind]
    with np.errstate(divide="ignore", invalid="ignore"):
        report = check_with(change)
    assert report[name].kind == kind, str(report)
    assert all(r.ok for r in report if r.name != name)
    assert report[name].hint


def test_disconnected_when_the_loss_ignores_the_parameter():
    report = gradcheck.check(lambda p: float(np.sum(p["a"] ** 2)),
                             lambda p: {"a": 2 * p["a"], "unused": np.ones(3)},
                             {"a": np.ones(2), "unused": np.zeros(3)})
    assert report["unused"].kind == "disconnected" and report["a"].ok


def test_square_transpose_is_named():
    A = RNG.normal(size=(3, 3))
    report = gradcheck.check(lambda p: float(np.sum(A * p)), lambda p: A.T, RNG.normal(size=(3, 3)))
    assert report["param"].kind == "transposed"


def test_swapped_shape_with_reshaped_data_is_transposed():
    report = check_with(lambda g, p: {"W": g["W"].reshape(4, 3), "b": g["b"]})
    assert report["W"].kind == "transposed" and "swapped shape" in report["W"].hint


def test_column_layout_batch_on_the_last_axis_is_not_reduced():
    Xc = RNG.normal(size=(3, 5))
    report = gradcheck.check(lambda p: float(np.sum(p["w"].T @ Xc + p["b"])),
                             lambda p: {"w": Xc.sum(axis=1, keepdims=True), "b": np.ones((1, 5))},
                             {"w": np.ones((3, 1)), "b": np.zeros((1, 1))})
    assert report["b"].kind == "not-reduced-over-batch" and report["b"].detail["m"] == 5


class TestNearMisses:
    def test_a_scale_of_1_001_is_never_ok(self):
        report = check_with(lambda g, p: {"W": 1.001 * g["W"], "b": g["b"]})
        assert report["W"].kind == "scaled" and report["W"].detail["k"] == pytest.approx(1.001, rel=1e-6)

    @pytest.mark.parametrize("factor", [0.5, 1.01, 2.0, 10.0])
    def test_one_wrong_entry_is_never_called_scaled(self, factor):
        def change(g, p):
            g["W"][1, 2] *= factor
            return g

        report = check_with(change)
        assert report["W"].kind == "wrong-values" and report["W"].detail["indices"] == [[1, 2]]

    def test_a_size_one_parameter_with_an_arbitrary_factor_is_wrong_values(self):
        report = gradcheck.check(lambda p: float(np.sum(p**2)), lambda p: 2.37 * p, np.array([1.5]))
        assert report["param"].kind == "wrong-values"

    def test_a_size_one_parameter_scaled_by_a_whole_number_is_scaled(self):
        report = gradcheck.check(lambda p: float(np.sum(p**2)), lambda p: 8 * p, np.array([1.5]), batch_size=4)
        assert report["param"].kind == "scaled"


class TestScaleCause:
    @pytest.mark.parametrize("k, m, text", [
        (8.0, 8, "k = m = 8, the batch size: the loss averages over the batch but the backward only sums; divide by m"),
        (0.125, 8, "k = 1/m with m = 8: the backward divides by m where the loss sums (or divides twice)"),
        (2.0, None, "k = 2: the loss carries ½ (L = ½Σ(a − y)²) but the backward uses 2(a − y); "
                    "use a − y"),
        (0.5, None, "k = ½: the loss has no ½ (L = Σ(a − y)²) but the backward uses a − y; use 2(a − y)"),
        (3.0, None, "k = 3 is a whole number: a sum where the loss takes a mean, over a batch or the outputs of "
                    "size 3; divide by it"),
        (0.25, None, "k = 1/4: a mean where the loss takes a sum, over a batch or the outputs of size 4"),
        (1.7, None, "k = 1.7 matches no common factor"),
    ])
    def test_causes(self, k, m, text):
        assert dg.scale_cause(k, m) == text


class TestLocate:
    def test_whole_column(self):
        mask = np.zeros((4, 3), bool)
        mask[:, 1] = True
        assert dg.locate(mask)[0] == "confined to column 1"

    def test_whole_rows(self):
        mask = np.zeros((4, 3), bool)
        mask[[0, 2]] = True
        where, detail = dg.locate(mask)
        assert where == "confined to 2 of 4 rows: 0, 2" and detail["rows"] == [0, 2]

    def test_single_entries(self):
        mask = np.zeros((4, 3), bool)
        mask[1, 2] = mask[3, 0] = True
        assert dg.locate(mask)[0] == "2 single entries at (1, 2), (3, 0)"

    def test_spread(self):
        mask = np.random.default_rng(0).uniform(size=(10, 10)) < 0.3
        assert dg.locate(mask)[0].startswith(f"spread over {mask.sum()} of 100 entries")

    def test_everything(self):
        assert dg.locate(np.ones((2, 2), bool))[0] == "every entry wrong"


class TestAcross:
    def test_a_bias_right_and_its_weight_wrong_points_at_the_input(self):
        report = check_with(lambda g, p: {"W": g["W"] + 1.0, "b": g["b"]})
        assert report.diagnosis == ("b matches but W does not: the error reaching W's layer is right, so the "
                                    "mistake is in what only W's gradient has: the input in inputᵀ dZ is not the "
                                    "input the forward pass used, a sum over examples or time steps keeps only some "
                                    "of its terms (`=` where `+=` is due), or a term of W's own (such as a "
                                    "regularization term) is wrong or missing")

    @pytest.mark.parametrize("bug", ["B2", "B7", "B12"])
    def test_kinds_that_explain_themselves_are_not_placed_between_layers(self, bug):
        from gradcheck.reference import BUGS, reference

        net = reference(BUGS[bug][0], bug)
        assert gradcheck.check(net.loss, net.grad, net.params).diagnosis is None

    def test_later_layers_right_earlier_wrong(self):
        from gradcheck.reference import reference

        net = reference("S1", "B4")
        report = gradcheck.check(net.loss, net.grad, net.params)
        assert "W2, b2 match; W1, b1 do not" in report.diagnosis


@pytest.mark.parametrize("kind", ["sign-flipped", "scaled", "not-reduced-over-batch", "transposed", "shape-mismatch",
                                  "mutates-params", "noisy-loss"])
def test_every_kind_that_names_a_rule_writes_it_as_math(kind):
    assert set(dg.EXPLANATIONS[kind]) & set("=≈∂Σ·")


def test_not_reduced_explanation_gives_the_vector_of_ones_rule():
    assert "∂z/∂b is a vector of ones" in dg.EXPLANATIONS["not-reduced-over-batch"]


def test_disconnected_explanation_says_the_output_never_reaches_the_loss():
    assert "never reaches the loss" in dg.EXPLANATIONS["disconnected"]
