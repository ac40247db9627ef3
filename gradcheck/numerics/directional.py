"""Directional slopes: the loss's derivative along a whole-tensor direction, by central differences and Richardson."""

from __future__ import annotations

from typing import Callable, NamedTuple

import numpy as np

from . import numdiff
from .compare import chunks


class Directional:
    """Slopes of the loss along whole-tensor directions: central differences, refined by Richardson.

    ``f`` reads the flat buffer ``x`` in place (an objective's buffer): a slope
    moves the whole of ``x`` along the direction and puts it back exactly.
    """

    def __init__(self, f: Callable[[], float], x: np.ndarray, f0: float, noise: float, dtype,
                 relative_noise: float = 0.0, origin: np.ndarray | None = None) -> None:
        self.f, self.x, self.f0, self.noise = f, x, f0, noise
        self.origin = x.copy() if origin is None else origin  # where x rests (the user's array, when given)
        self.t = float(numdiff.step_size(np.zeros(1), dtype, "central", relative_noise)[0])
        self.evaluations = 0

    def scaled_norm(self, c: np.ndarray) -> float:
        """‖max(1, |x|)·c‖, the size of ``c`` as the directions are scaled, a chunk at a time."""
        total = 0.0
        for part in chunks(c.size):
            s = np.maximum(1.0, np.abs(self.origin[part])) * c[part]
            total += float(s @ s)
        return float(np.sqrt(total))

    def _move(self, w: np.ndarray, t: float) -> None:
        """x = origin + t·w, in place where x is float64 (the same rounding as the sum)."""
        if self.x.dtype == np.float64:
            np.multiply(w, t, out=self.x)
            self.x += self.origin
        else:
            self.x[:] = self.origin + t * w

    def _pair(self, w: np.ndarray, t: float) -> tuple[float, float]:
        try:
            self._move(w, t)
            plus = self.f()
            self._move(w, -t)
            minus = self.f()
        finally:
            self.x[:] = self.origin
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
        w = np.zeros(self.x.size)
        if subset is None:
            rng.standard_normal(out=w)
            for part in chunks(w.size):
                w[part] *= np.maximum(1.0, np.abs(self.origin[part]))
        else:
            w[subset] = rng.standard_normal(len(subset)) * np.maximum(1.0, np.abs(self.origin[subset]))
        return w


class Directions:
    """The K directions of one tensor, drawn again from the random stream's saved states whenever they are asked
    for: only the direction in use is held, not K arrays of the tensor's size."""

    def __init__(self, directional: Directional, kind: type, states: list[dict]) -> None:
        self._directional, self._kind, self._states = directional, kind, states

    def __len__(self) -> int:
        return len(self._states)

    def __getitem__(self, j: int) -> np.ndarray:
        rng = np.random.Generator(self._kind())
        rng.bit_generator.state = self._states[j]
        return self._directional.direction(rng)

    def map(self, f: Callable[[np.ndarray], float]) -> np.ndarray:
        """``f(w_j)`` for every direction, each drawn only once the one before it is let go."""
        return np.array([f(self[j]) for j in range(len(self))])

    def project(self, c: np.ndarray) -> np.ndarray:
        """⟨w_j, c⟩ for every direction."""
        return self.map(lambda w: float(w @ c))

    def project_abs(self, c: np.ndarray) -> np.ndarray:
        """⟨|w_j|, |c|⟩ for every direction: the scale of the rounding of ⟨w_j, c⟩."""
        return self.map(lambda w: abs_dot(w, c))


def abs_dot(a: np.ndarray, b: np.ndarray) -> float:
    """⟨|a|, |b|⟩, a chunk at a time."""
    return float(sum(np.abs(a[part]) @ np.abs(b[part]) for part in chunks(a.size)))


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
