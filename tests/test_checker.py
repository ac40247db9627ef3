"""check() and assert_gradients(): verdicts, parameter structures, methods, bad input and non-mutation."""

import json

import numpy as np
import pytest

import gradcheck
from gradcheck import CheckError, GradientError
from tests.conftest import mlp_problem

METHODS = ["central", "richardson", "complex-step", "auto"]


def split(loss_and_grad):
    return (lambda p: loss_and_grad(p)[0]), (lambda p: loss_and_grad(p)[1])


class TestCorrectGradientsPass:
    @pytest.mark.parametrize("method", METHODS)
    def test_correct_mlp_passes_with_every_method(self, rng, method):
        lg, params = mlp_problem(rng)
        report = gradcheck.check(*split(lg), params, method=method)
        assert report.ok, str(report)
        assert [r.kind for r in report] == ["ok"] * 4

    @pytest.mark.parametrize("m", [1, 256])
    def test_batch_sizes_one_and_256_pass(self, rng, m):
        lg, params = mlp_problem(rng, m=m)
        assert gradcheck.check(lg, None, params).ok

    def test_float32_parameters_pass(self, rng):
        lg, params = mlp_problem(rng, m=64, dtype=np.float32)
        report = gradcheck.check(lg, None, params)
        assert report.ok, str(report)
        assert any("float64" in note for note in report.notes)

    @pytest.mark.parametrize("wrong", [False, True])
    def test_a_loss_computed_in_float32_inside_is_measured_with_float32_steps(self, rng, wrong):
        lg, params = mlp_problem(rng, m=16)

        def in_float32(p):
            value, grads = lg({k: np.asarray(v, dtype=np.float32) for k, v in p.items()})
            if wrong:
                grads["W1"][1, 2] *= 1.02
            return np.float32(value), grads

        report = gradcheck.check(in_float32, None, params)
        assert [r.name for r in report.failed] == (["W1"] if wrong else []), str(report)
        assert any("lower precision inside" in note for note in report.notes)

    def test_saturated_sigmoids_with_tiny_gradients_pass(self, rng):
        lg, params = mlp_problem(rng, scale=40.0)
        report = gradcheck.check(lg, None, params)
        assert np.abs(report["W1"].numerical).min() < 1e-8
        assert report.ok, str(report)

    def test_large_magnitude_weights_pass(self, rng):
        lg, params = mlp_problem(rng)
        params = {k: 300.0 * v for k, v in params.items()}
        assert gradcheck.check(lg, None, params, method="central").ok

    def test_relu_kink_is_accepted_and_reported(self):
        x = np.array([[1.0, -1.0], [2.0, 0.5]])
        w = np.array([0.5, 0.5])  # first example: pre-activation exactly 0

        def loss(p):
            return float(np.sum(np.maximum(x @ p, 0.0)))

        def grad(p):
            return x.T @ (x @ p > 0).astype(float)

        report = gradcheck.check(loss, grad, w)
        assert report.ok and report["param"].detail["kinks"] >= 1

    def test_a_subgradient_outside_the_one_sided_slopes_is_wrong(self):
        def loss(p):
            return float(np.abs(p).sum())

        report = gradcheck.check(loss, lambda p: np.full_like(p, 3.0), np.array([0.0, 1.0]))
        assert not report.ok and report["param"].mismatched >= 1


class TestWrongGradientsFail:
    @pytest.mark.parametrize("entry", [(0, 0), (2, 3), (1, 2)])
    def test_a_single_entry_off_by_1e_3_is_caught_in_float64(self, rng, entry):
        lg, params = mlp_problem(rng)

        def grad(p):
            g = lg(p)[1]
            g["W1"][entry] *= 1.001
            return g

        report = gradcheck.check(split(lg)[0], grad, params)
        assert not report["W1"].ok
        assert report["W1"].mismatched == 1
        assert report["W1"].detail["indices"] == [list(entry)]

    def test_a_single_entry_off_by_1e_2_is_caught_in_float32(self, rng):
        lg, params = mlp_problem(rng, dtype=np.float32, m=32)

        def grad(p):
            g = lg(p)[1]
            g["W2"][1, 1] *= 1.01
            return g

        report = gradcheck.check(split(lg)[0], grad, params)
        assert report["W2"].mismatched == 1 and [r.name for r in report.failed] == ["W2"]

    @pytest.mark.parametrize("method", METHODS)
    def test_every_method_catches_a_wrong_gradient(self, rng, method):
        lg, params = mlp_problem(rng)
        report = gradcheck.check(split(lg)[0], lambda p: {k: 1.1 * v for k, v in lg(p)[1].items()}, params,
                                 method=method)
        assert not report.ok

    def test_assert_gradients_raises_gradient_error_with_the_report(self, rng):
        lg, params = mlp_problem(rng)
        with pytest.raises(GradientError) as info:
            gradcheck.assert_gradients(split(lg)[0], lambda p: {k: -v for k, v in lg(p)[1].items()}, params)
        assert isinstance(info.value, AssertionError)
        first, rest = str(info.value).split("\n", 1)
        assert first == "W1 sign-flipped, b1 sign-flipped, W2 sign-flipped, b2 sign-flipped"  # pytest's summary
        assert rest == str(info.value.report)

    def test_assert_gradients_returns_the_report_when_right(self, rng):
        lg, params = mlp_problem(rng)
        assert gradcheck.assert_gradients(lg, None, params).ok


class TestStructures:
    def test_single_array(self):
        report = gradcheck.check(lambda w: float(np.sum(w**3)), lambda w: 3 * w**2, np.arange(4.0))
        assert report.ok and [r.name for r in report] == ["param"]

    @pytest.mark.parametrize("container", [list, tuple])
    def test_list_or_tuple_named_by_position(self, container):
        params = container([np.array([1.0, 2.0]), np.array([[3.0]])])
        report = gradcheck.check(lambda p: float(np.sum(p[0] ** 2) + np.sum(p[1])),
                                 lambda p: container([2 * p[0], np.ones_like(p[1])]), params)
        assert report.ok and [r.name for r in report] == ["0", "1"]

    def test_grad_none_means_loss_returns_value_and_grads(self, rng):
        lg, params = mlp_problem(rng)
        assert gradcheck.check(lg, None, params).ok

    def test_results_follow_the_parameters_order(self, rng):
        lg, params = mlp_problem(rng)
        params = dict(reversed(list(params.items())))
        assert [r.name for r in gradcheck.check(lg, None, params)] == ["b2", "W2", "b1", "W1"]


class TestShapeAndKeyProblemsAreResults:
    def test_missing_key(self, rng):
        lg, params = mlp_problem(rng)
        report = gradcheck.check(split(lg)[0], lambda p: {k: v for k, v in lg(p)[1].items() if k != "b1"}, params)
        assert report["b1"].kind == "shape-mismatch" and report["b1"].grad_shape is None
        assert report["W1"].ok and report["W2"].ok

    def test_extra_key(self, rng):
        lg, params = mlp_problem(rng)
        report = gradcheck.check(split(lg)[0], lambda p: {**lg(p)[1], "W3": np.zeros(2)}, params)
        assert report["W3"].kind == "shape-mismatch" and report["W3"].shape is None
        assert all(report[k].ok for k in params)

    def test_wrong_shape_shows_both_shapes(self, rng):
        lg, params = mlp_problem(rng)
        report = gradcheck.check(split(lg)[0], lambda p: {**lg(p)[1], "W2": np.zeros((7, 7))}, params)
        r = report["W2"]
        assert (r.kind, r.shape, r.grad_shape) == ("shape-mismatch", (4, 2), (7, 7))
        assert "(7, 7)" in str(report) and "(4, 2)" in str(report)

    def test_nonfinite_analytic_gradient(self, rng):
        lg, params = mlp_problem(rng)
        report = gradcheck.check(split(lg)[0], lambda p: {**lg(p)[1], "b2": np.array([[np.nan, 1.0]])}, params)
        assert report["b2"].kind == "nonfinite"


class TestBadInput:
    def test_integer_parameters_are_refused(self):
        with pytest.raises(CheckError, match=r"parameter 'W' has dtype int64.*W.astype\(np.float64\)"):
            gradcheck.check(lambda p: 0.0, lambda p: p, {"W": np.arange(3)})

    def test_loss_returning_nan_is_a_check_error(self):
        with pytest.raises(CheckError, match="loss is nan at the given parameters"):
            gradcheck.check(lambda p: float("nan"), lambda p: p, np.ones(2))

    def test_loss_returning_an_array_names_its_shape(self):
        with pytest.raises(CheckError, match=r"loss returned an array of shape \(3,\); expected a scalar loss"):
            gradcheck.check(lambda p: p * 2, lambda p: p, np.ones(3))

    def test_loss_returning_a_string(self):
        with pytest.raises(CheckError, match="loss returned 'oops'; expected a scalar"):
            gradcheck.check(lambda p: "oops", lambda p: p, np.ones(3))

    def test_loss_nan_at_a_perturbed_point_names_the_entry(self):
        def loss(p):
            with np.errstate(invalid="ignore"):  # the NaN is the point of the test
                return float(np.sum(np.log(p)))

        with pytest.raises(CheckError, match="entry 1 of 'param'"):
            gradcheck.check(loss, lambda p: 1 / p, np.array([1.0, 1e-12]))

    def test_grad_returning_a_list_for_dict_params(self):
        with pytest.raises(CheckError, match=r"grad returned a list; expected a dict with the keys \['a'\]"):
            gradcheck.check(lambda p: float(np.sum(p["a"])), lambda p: [np.ones(2)], {"a": np.ones(2)})

    def test_unknown_method(self):
        with pytest.raises(CheckError, match="method is 'secant'"):
            gradcheck.check(lambda p: 0.0, lambda p: p, np.ones(2), method="secant")

    def test_empty_params(self):
        with pytest.raises(CheckError, match="params is empty"):
            gradcheck.check(lambda p: 0.0, lambda p: p, {})

    def test_check_error_keeps_expected_and_found(self):
        with pytest.raises(CheckError) as info:
            gradcheck.check(lambda p: 0.0, lambda p: p, {"W": np.arange(3)})
        assert info.value.expected == "float16, float32 or float64" and info.value.found == "int64"

    # the real-only loss drops the imaginary part of the complex values it is given, which is what is refused
    @pytest.mark.filterwarnings("ignore::numpy.exceptions.ComplexWarning")
    def test_complex_step_on_a_real_only_loss_is_refused(self):
        with pytest.raises(CheckError, match="complex-step"):
            gradcheck.check(lambda p: float(np.sum(p**2)), lambda p: 2 * p, np.ones(2), method="complex-step")

    def test_auto_falls_back_to_central_and_says_so(self):
        report = gradcheck.check(lambda p: float(np.sum(np.abs(p) ** 3)), lambda p: 3 * p * np.abs(p),
                                 np.array([1.0, -2.0]), method="auto")
        assert report.method == "central" and report.ok
        assert any("central" in n for n in report.notes)

    def test_auto_uses_complex_step_when_the_loss_allows(self, rng):
        lg, params = mlp_problem(rng)
        assert gradcheck.check(lg, None, params, method="auto").method == "complex-step"


class TestUserArraysAreNeverModified:
    def test_loss_and_grad_that_write_to_their_input(self, rng):
        lg, params = mlp_problem(rng)
        before = {k: v.copy() for k, v in params.items()}

        def grad(p):
            g = lg(p)[1]
            for v in p.values():
                v *= 2
            return g

        gradcheck.check(split(lg)[0], grad, params)
        assert all(np.array_equal(params[k], before[k]) for k in params)

    def test_a_loss_that_raises_midway(self, rng):
        lg, params = mlp_problem(rng)
        before = {k: v.copy() for k, v in params.items()}
        calls = []

        def loss(p):
            calls.append(1)
            if len(calls) > 20:
                raise RuntimeError("fails midway")
            return lg(p)[0]

        with pytest.raises(CheckError, match="fails midway"):
            gradcheck.check(loss, split(lg)[1], params)
        assert all(np.array_equal(params[k], before[k]) for k in params)


class TestReport:
    def test_to_dict_is_json_safe_and_complete(self, rng):
        lg, params = mlp_problem(rng)
        report = gradcheck.check(split(lg)[0], lambda p: {**lg(p)[1], "b1": np.zeros((8, 4))}, params)
        data = json.loads(json.dumps(report.to_dict()))
        assert data["ok"] is False and data["method"] == "central"
        b1 = data["parameters"][1]
        assert set(b1) == {"name", "ok", "kind", "shape", "grad_shape", "size", "mismatched", "max_abs_error",
                           "max_rel_error", "hint", "detectable", "detail"}
        assert (b1["name"], b1["shape"], b1["grad_shape"]) == ("b1", [1, 4], [8, 4])

    def test_unknown_name_says_which_names_exist(self, rng):
        lg, params = mlp_problem(rng)
        with pytest.raises(KeyError, match=r"no parameter named 'W9'; the report has \['W1', 'b1', 'W2', 'b2'\]"):
            gradcheck.check(lg, None, params)["W9"]

    def test_evaluations_are_counted_two_per_entry(self):
        def evaluations(size):
            calls = []

            def loss(p):
                calls.append(1)
                return float(p @ p)

            report = gradcheck.check(loss, lambda p: 2 * p, np.ones(size))
            assert report.evaluations == len(calls)
            return report.evaluations

        assert evaluations(7) - evaluations(3) == 2 * 4


def test_the_examples_in_checks_docstring_print_what_they_say():
    import doctest

    import gradcheck.checker

    failed, tried = doctest.testmod(gradcheck.checker)
    assert tried and not failed
