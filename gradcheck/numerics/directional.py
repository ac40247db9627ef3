"""Directional slopes: the loss's derivative along a whole-tensor direction, by central differences and Richardson."""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from . import numdiff


class Directional:
    """Slopes of the loss along whole-tensor directions: central differences, refined by Richardson.

    ``f`` reads the flat buffer ``x`` in place (an objective's buffer): a slope
    moves the whole of ``x`` along the direction and puts it back exactly.
    """

    def __init__(self, f: Callable[[], float], x: np.ndarray, f0: float, noise: float, dtype,
                 relative_noise: float = 0.0) -> None:
        self.f, self.x, self.f0, self.noise = f, x, f0, noise
        self.t = float(numdiff.step_size(np.zeros(1), dtype, "central", relative_noise)[0])
        self.scale = np.maximum(1.0, np.abs(x))
        self.evaluations = 0

    def _pair(self, w: np.ndarray, t: float) -> tuple[float, float]:
        original = self.x.copy()
        try:
            self.x[:] = original + t * w
            plus = self.f()
            self.x[:] = original - t * w
            minus = self.f()
        finally:
            self.x[:] = original
        self.evaluations += 2
        return plus, minus

    def slope(self, w: np.ndarray) -> Slope:
        """The central difference along ``w`` and its rounding error."""
        plus, minus = self._pair(w, self.t)
        value = (plus - minus) / (2 * self.t)
        return Slope(value, self.noise / self.t, value, value, plus, minus)

    def refine(self, w: np.ndarray, first: Slope) -> Slope:
        """A second look at half the step: the Richardson value, its error, and the one-sided slopes at a kink."""
        plus, minus = self._pair(w, self.t / 2)
        value, truncation = numdiff.richardson(np.float64(first.value), np.float64((plus - minus) / self.t))
        left, right, kink, rough = numdiff.one_sided(self.f0, first.plus, first.minus, plus, minus, self.t,
                                                     self.noise)
        low, high = (min(left, right), max(left, right)) if kink else (value, value)
        return Slope(float(value), float(truncation) + 2 * self.noise / self.t, float(low), float(high), plus, minus,
                     bool(rough))

    def direction(self, rng: np.random.Generator, subset: np.ndarray | None = None) -> np.ndarray:
        """A Gaussian direction scaled like the entries (max(1, |x|)), on ``subset`` only when given."""
        w = np.zeros_like(self.scale)
        if subset is None:
            w[:] = rng.standard_normal(w.size) * self.scale
        else:
            w[subset] = rng.standard_normal(len(subset)) * self.scale[subset]
        return w


class Slope(NamedTuple):
    """A measured slope: its value and error, and the interval [low, high] of valid slopes (wider at a kink)."""

    value: float
    error: float
    low: float
    high: float
    plus: float
    minus: float
    rough: bool = False  # the one-sided gaps do not halve with the step: kinks at or near the point

    def admits(self, slope: float, tol: float) -> bool:
        return self.low - tol <= slope <= self.high + tol
