"""Numerical differentiation: the step size, the noise estimate and the accuracy of every method."""

import numpy as np
import pytest

import gradcheck
from gradcheck.numerics import numdiff


class TestStepSize:
    def test_float64_central_step_is_cube_root_of_eps(self):
        h = numdiff.step_size(np.array([0.0, 1.0]), np.float64, "central")
        assert h == pytest.approx(np.finfo(np.float64).eps ** (1 / 3), rel=1e-3)

    def test_float32_step_is_larger_than_float64_step(self):
        x = np.array([0.5])
        assert numdiff.step_size(x, np.float32)[0] > 100 * numdiff.step_size(x, np.float64)[0]

    def test_step_grows_with_the_magnitude_of_the_entry(self):
        h = numdiff.step_size(np.array([1.0, 1e4]))
        assert h[1] / h[0] == pytest.approx(1e4, rel=1e-3)

    @pytest.mark.parametrize("x", [0.1, 3.3, -7.77, 1e5, 123.456])
    def test_step_is_exactly_representable(self, x):
        h = numdiff.step_size(np.array([x]))[0]
        assert (x + h) - x == h

    def test_richardson_takes_a_larger_step_than_central(self):
        x = np.array([1.0])
        assert numdiff.step_size(x, method="richardson")[0] > numdiff.step_size(x, method="central")[0]

    def test_unknown_method_is_refused(self):
        with pytest.raises(ValueError, match="unknown method"):
            numdiff.step_size(np.array([1.0]), method="forward-ish")

    def test_the_public_step_size_gives_the_same_steps(self):
        x = np.array([0.0, 3.3, -1e4])
        assert np.array_equal(gradcheck.step_size(x, np.float32), numdiff.step_size(x, np.float32))


class TestNoiseLevel:
    def test_smooth_function_has_noise_near_rounding(self):
        t = 1e-6 * np.arange(9)
        assert numdiff.noise_level(np.exp(t)) < 1e-14

    @pytest.mark.parametrize("sigma", [1e-3, 1e-8])
    def test_added_noise_is_estimated_within_a_factor_of_three(self, sigma):
        rng = np.random.default_rng(0)
        estimates = [numdiff.noise_level(1.0 + np.linspace(0, 1e-9, 9) + sigma * rng.normal(size=9)) for _ in range(50)]
        assert sigma / 3 < np.median(estimates) < 3 * sigma


def _derivatives(f, x, method):
    flat = x.reshape(-1)
    fun = lambda: f(x)  # noqa: E731
    if method == "central":
        h = numdiff.step_size(flat)
        s = numdiff.sample_axes(fun, flat, h, (1, -1))
        return numdiff.central(s[0], s[1], h)
    if method == "richardson":
        h = numdiff.step_size(flat, method="richardson")
        s = numdiff.sample_axes(fun, flat, h, (1, -1, 0.5, -0.5))
        d1, d2 = numdiff.central(s[0], s[1], h), numdiff.central(s[2], s[3], h / 2)
        return d2 + (d2 - d1) / 3
    xc = x.astype(complex)
    flatc = xc.reshape(-1)
    h = numdiff.step_size(flatc, method="complex-step")
    return numdiff.sample_axes(lambda: f(xc), flatc, h, (1j,))[0].imag / h


FUNCTIONS = {
    "quadratic": (lambda x: 0.5 * np.sum(x * x * np.arange(1, x.size + 1)), lambda x: x * np.arange(1, x.size + 1)),
    "log-sum-exp": (lambda x: np.log(np.sum(np.exp(x))), lambda x: np.exp(x) / np.sum(np.exp(x))),
    "tanh-mlp": (lambda x: np.sum(np.tanh(x[:3] * x[3:]) ** 2),
                 lambda x: np.concatenate([2 * np.tanh(x[:3] * x[3:]) / np.cosh(x[:3] * x[3:]) ** 2 * x[3:],
                                           2 * np.tanh(x[:3] * x[3:]) / np.cosh(x[:3] * x[3:]) ** 2 * x[:3]])),
    "sigmoid": (lambda x: np.sum(1 / (1 + np.exp(-x))), lambda x: np.exp(-x) / (1 + np.exp(-x)) ** 2),
}
ACCURACY = {"central": 1e-8, "richardson": 1e-10, "complex-step": 1e-14}


@pytest.mark.parametrize("method", sorted(ACCURACY))
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_derivative_matches_the_known_gradient(name, method):
    f, df = FUNCTIONS[name]
    x = np.random.default_rng(5).normal(size=6)
    got = _derivatives(f, x.copy(), method)
    np.testing.assert_allclose(got, df(x), rtol=ACCURACY[method], atol=ACCURACY[method])


def test_sampling_restores_every_entry_exactly():
    x = np.random.default_rng(0).normal(size=5)
    before = x.copy()
    numdiff.sample_axes(lambda: float(np.sum(x)), x, numdiff.step_size(x), (1, -1, 0.5))
    assert np.array_equal(x, before)


def test_a_failure_names_the_entry_and_restores_it():
    x = np.zeros(4)

    def f():
        if x[2] != 0:
            raise ValueError("boom")
        return 0.0

    with pytest.raises(gradcheck.errors.EvaluationFailed) as info:
        numdiff.sample_axes(f, x, np.ones(4), (1, -1))
    assert info.value.index == 2 and np.all(x == 0)


def test_refine_finds_a_kink_and_its_one_sided_slopes():
    x = np.array([0.0])
    f = lambda: float(abs(x[0]))  # noqa: E731
    h = numdiff.step_size(x)
    s = numdiff.sample_axes(f, x, h, (1, -1))
    r = numdiff.refine(f, x, h, np.array([0]), 0.0, s[0], s[1], 1e-16, np.array([0.0]))
    assert r.kink[0]
    assert r.left[0] == pytest.approx(-1.0) and r.right[0] == pytest.approx(1.0)


def test_refine_reports_order_two_for_a_right_slope_and_one_for_a_wrong_one():
    x = np.array([0.3])
    f = lambda: float(np.sin(x[0]))  # noqa: E731
    h = numdiff.step_size(x) * 100
    s = numdiff.sample_axes(f, x, h, (1, -1))
    f0 = float(np.sin(0.3))
    right = numdiff.refine(f, x, h, np.array([0]), f0, s[0], s[1], 1e-16, np.array([np.cos(0.3)]))
    wrong = numdiff.refine(f, x, h, np.array([0]), f0, s[0], s[1], 1e-16, np.array([np.cos(0.3) * 1.01]))
    assert right.order[0] == pytest.approx(2.0, abs=0.1)
    assert wrong.order[0] == pytest.approx(1.0, abs=0.1)
