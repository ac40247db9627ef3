"""Evidence: what a check measured for one parameter, asked whether a candidate gradient matches it.

Every rule of the diagnosis states a candidate for the true gradient (the
analytic one, its negative, its batch sum, …) and asks the evidence; full mode
answers entry by entry, probe mode along its random directions.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from ..numerics.compare import SAFETY, chunks, fits, tolerance


class Evidence(Protocol):
    """What the rules may ask of a measurement."""

    shape: tuple[int, ...]

    def matches(self, candidate: np.ndarray) -> bool:
        """Whether ``candidate`` (of the parameter's shape) agrees with what was measured."""

    def wrong(self, analytic: np.ndarray) -> bool:
        """Whether the analytic gradient disagrees."""

    def loss_ignores(self) -> bool:
        """Whether the numerical gradient is zero within its error: the loss does not depend on the parameter."""

    def scale(self, analytic: np.ndarray) -> tuple[float, int]:
        """The least-squares k in analytic ≈ k·numerical, and how many measured values support it."""

    def matches_scaled(self, analytic: np.ndarray, k: float) -> bool:
        """Whether analytic = k·numerical within k times the tolerance."""

    def resolved(self) -> int:
        """How many measured values stand out from their own error (atol aside): the evidence that certifies."""

    def residual_on(self, analytic: np.ndarray, basis: np.ndarray) -> tuple[float, int]:
        """The least-squares c in analytic − numerical ≈ c·basis, and how many measured values c·basis stands out in."""

    def unused_entries(self, analytic: np.ndarray) -> int:
        """How many entries are wrong only where the loss does not depend on them (numerical 0, analytic not), with
        every entry the loss depends on right; 0 when that is not the pattern or the evidence cannot tell."""

    def permuted(self, analytic: np.ndarray) -> bool:
        """Whether the analytic values are the numerical ones at other indices (and not at their own)."""

    def summed(self, analytic: np.ndarray) -> float | None:
        """The value every analytic entry holds when it is the sum of the whole numerical gradient, else None."""


class EntryEvidence:
    """What a full check measured: the numerical gradient entry by entry, with tolerances.

    Every hypothesis about the analytic gradient is a candidate array of the
    parameter's shape, tested entry by entry.
    """

    def __init__(self, numerical, tol, error, mismatched=None, atol: float = 0.0) -> None:
        self.numerical = np.asarray(numerical, dtype=np.float64)
        self.shape = self.numerical.shape
        self.tol, self.error, self.mismatched, self.atol = tol, error, mismatched, atol

    @property
    def zero_tol(self) -> np.ndarray:
        """How far from zero a value must be to stand out from its own error."""
        return SAFETY * self.error

    def _count(self, outside) -> int:
        """How many entries ``outside(numerical, tol, error)`` holds for, a chunk at a time."""
        n, tol, error = (np.reshape(a, -1) for a in (self.numerical, self.tol, self.error))
        return sum(int(np.count_nonzero(outside(n[s], tol[s], error[s]))) for s in chunks(n.size))

    def matches(self, candidate: np.ndarray) -> bool:
        return fits(candidate, self.numerical, self.tol)

    def wrong(self, analytic: np.ndarray) -> bool:
        if self.mismatched is None:
            self.mismatched = np.abs(analytic - self.numerical) > self.tol
        return bool(self.mismatched.any())

    def loss_ignores(self) -> bool:
        return not self._count(lambda n, tol, error: np.abs(n) > SAFETY * error)

    def scale(self, analytic: np.ndarray) -> tuple[float, int]:
        """The least-squares k in analytic ≈ k·numerical over the entries that stand out from zero, and their count."""
        significant = np.abs(self.numerical) > self.tol
        n = self.numerical[significant]
        k = float(np.dot(analytic[significant], n) / np.dot(n, n)) if n.size else 0.0
        return k, int(n.size)

    def matches_scaled(self, analytic: np.ndarray, k: float) -> bool:
        return fits(analytic, k * self.numerical, abs(k) * self.tol)

    def resolved(self) -> int:
        return self._count(lambda n, tol, error: np.abs(n) > tol - self.atol)  # the tolerance without atol

    def residual_on(self, analytic: np.ndarray, basis: np.ndarray) -> tuple[float, int]:
        b = np.asarray(basis, dtype=np.float64)
        bb = float(np.dot(b.ravel(), b.ravel()))
        if bb == 0.0 or b.shape != self.shape:
            return 0.0, 0
        c = float(np.dot((analytic - self.numerical).ravel(), b.ravel()) / bb)
        return c, int(np.count_nonzero(np.abs(c * b) > self.tol))

    def unused_entries(self, analytic: np.ndarray) -> int:
        wrong = np.abs(analytic - self.numerical) > self.tol
        unused = np.abs(self.numerical) <= self.zero_tol
        if not wrong.any() or not (~unused).any() or (wrong & ~unused).any():
            return 0
        return int(wrong.sum())

    def summed(self, analytic: np.ndarray) -> float | None:
        if analytic.size < 2 or not np.all(analytic == analytic.flat[0]):
            return None
        total = float(np.sum(self.numerical))
        return total if abs(float(analytic.flat[0]) - total) <= float(np.sum(self.tol)) else None

    def permuted(self, analytic: np.ndarray) -> bool:
        wrong = np.abs(analytic - self.numerical) > self.tol
        if wrong.sum() < 2:
            return False
        a, n = np.sort(analytic[wrong]), np.sort(self.numerical[wrong])
        return bool(np.all(np.abs(a - n) <= np.max(self.tol[wrong])))


class ProbeEvidence:
    """What probe mode measured for one tensor: its slopes along K random directions.

    A candidate gradient c matches when ⟨c, w_j⟩ equals every measured slope
    within its tolerance; the same hypotheses the full check tests entry by
    entry are tested here on the K slopes.
    """

    def __init__(self, shape, directions, values, errors, low, high, dtype, rtol, atol) -> None:
        # directions: numerics.directional.Directions, asked for project(c) and project_abs(c)
        self.shape = tuple(shape)
        self.directions = directions
        self.values = np.asarray(values, dtype=np.float64)
        self.errors = np.asarray(errors, dtype=np.float64)
        self.low = np.asarray(low, dtype=np.float64)
        self.high = np.asarray(high, dtype=np.float64)
        self.dtype, self.rtol, self.atol = dtype, rtol, atol

    def tol(self, candidate: np.ndarray) -> np.ndarray:
        """Each slope's tolerance for ``candidate``: its error, and the rounding of ⟨candidate, w⟩."""
        rounding = self.directions.project_abs(candidate.reshape(-1))
        return tolerance(self.values, self.errors, self.dtype, self.rtol, self.atol, scale=rounding)

    def matches(self, candidate: np.ndarray) -> bool:
        c = np.asarray(candidate, dtype=np.float64)
        if c.shape != self.shape:
            return False
        projected, tol = self.directions.project(c.reshape(-1)), self.tol(c)
        return bool(np.all((projected >= self.low - tol) & (projected <= self.high + tol)))

    def wrong(self, analytic: np.ndarray) -> bool:
        return not self.matches(analytic)

    def loss_ignores(self) -> bool:
        return bool(np.all(np.abs(self.values) <= SAFETY * self.errors))

    def scale(self, analytic: np.ndarray) -> tuple[float, int]:
        tol = self.tol(analytic)
        significant = np.abs(self.values) > tol
        n = self.values[significant]
        a = self.directions.project(analytic.reshape(-1))[significant]
        return (float(np.dot(a, n) / np.dot(n, n)) if n.size else 0.0), int(n.size)

    def matches_scaled(self, analytic: np.ndarray, k: float) -> bool:
        projected = self.directions.project(analytic.reshape(-1))
        return bool(np.all(np.abs(projected - k * self.values) <= abs(k) * self.tol(analytic)))

    def resolved(self) -> int:
        resolution = tolerance(self.values, self.errors, self.dtype, self.rtol, 0.0, scale=0.0)
        return int(np.count_nonzero(np.abs(self.values) > resolution))

    def residual_on(self, analytic: np.ndarray, basis: np.ndarray) -> tuple[float, int]:
        b = np.asarray(basis, dtype=np.float64)
        if b.shape != self.shape:
            return 0.0, 0
        projected = self.directions.project(b.reshape(-1))
        bb = float(np.dot(projected, projected))
        if bb == 0.0:
            return 0.0, 0
        c = float(np.dot(self.directions.project(analytic.reshape(-1)) - self.values, projected) / bb)
        return c, int(np.count_nonzero(np.abs(c * projected) > self.tol(analytic)))

    def unused_entries(self, analytic: np.ndarray) -> int:
        return 0  # slopes along whole-tensor directions do not say which entries the loss ignores

    def permuted(self, analytic: np.ndarray) -> bool:
        return False  # nor where each value belongs

    def summed(self, analytic: np.ndarray) -> float | None:
        return None  # random directions do not measure the gradient's total
