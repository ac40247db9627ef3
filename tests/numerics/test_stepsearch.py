"""The ladder of steps: each entry's own step, chosen by its errors, never by a coincidence of large steps."""

import numpy as np
import pytest

from gradcheck.numerics.stepsearch import Ladder, ladder

NOISE = 6e-8  # a float32 loss of order 1 rounds each value to about this


def in_float32(f):
    return lambda t: float(np.float32(f(t)))


def sampler(f):
    """The sampler the ladder asks: f at each entry moved by each offset times its step (one entry here)."""
    def sample(steps, offsets, which=slice(None)):
        steps = np.atleast_1d(np.asarray(steps, dtype=np.float64))
        return np.array([[f(o * s) for s in steps] for o in offsets])
    return sample


def climb(f, h=0.04):
    sample = sampler(f)
    h = np.array([h])
    return ladder(sample, h, *sample(h, (1.0, -1.0)), *sample(h / 2, (1.0, -1.0)), NOISE), sample


class TestLadder:
    def test_a_loss_polynomial_along_the_entry_is_measured_at_a_larger_step(self):
        found, _ = climb(in_float32(lambda t: 1.0 + 3e-3 * t + 0.5 * t * t))
        assert found.step[0] > 0.04
        assert abs(found.value[0] - 3e-3) <= found.error[0] < 2 * NOISE / 0.04

    def test_a_loss_that_bends_within_the_rules_step_is_measured_at_a_smaller_one(self):
        found, _ = climb(in_float32(lambda t: 1.0 + 1e-2 * np.tanh(1e3 * t + 0.3)))
        true = 1e-2 * 1e3 / np.cosh(0.3) ** 2
        assert found.step[0] < 0.04 / 16
        assert abs(found.value[0] - true) <= found.error[0] < 1e-3 * true

    def test_large_steps_that_agree_only_with_each_other_are_not_taken(self):
        # beyond |t| ~ 0.1 the bump is flat: large steps all give slope 0, and agree, with a tiny rounding error
        found, _ = climb(in_float32(lambda t: 1.0 + 1e-2 * t * np.exp(-(t / 0.03) ** 2)))
        assert abs(found.value[0] - 1e-2) <= found.error[0] < 1e-4


def ladder_at(f, step):
    step = np.array([step])
    return Ladder(np.zeros(1), np.zeros(1), step, *(np.array([f(o * step[0])]) for o in (1.0, -1.0, 0.5, -0.5)))


class TestSmooth:
    @pytest.mark.parametrize("jump", [0.2, 1e-3])
    def test_a_kink_at_the_point_is_not_smooth(self, jump):
        f = in_float32(lambda t: 1.0 + 0.1 * t + jump * abs(t))
        assert not ladder_at(f, 0.04).smooth(f(0.0), NOISE, sampler(f))[0]

    def test_a_kink_closer_than_the_step_is_not_smooth(self):
        f = in_float32(lambda t: 1.0 + 0.1 * t + 0.2 * abs(t - 1e-4))
        assert not ladder_at(f, 0.04).smooth(f(0.0), NOISE, sampler(f))[0]

    @pytest.mark.parametrize("f", [lambda t: 1.0 + 0.3 * t, lambda t: np.exp(3 * t), lambda t: np.tanh(20 * t + 1)],
                             ids=["linear", "exp", "steep-tanh"])
    def test_a_smooth_loss_is_smooth_however_it_bends(self, f):
        f = in_float32(f)
        assert ladder_at(f, 0.04).smooth(f(0.0), NOISE, sampler(f))[0]
