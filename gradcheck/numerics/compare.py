"""Comparison and tolerances: where an analytic gradient and a numerical one disagree beyond their errors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

# How far past its error estimate a difference must lie before it counts:
# the estimates are orders of magnitude, not bounds.
SAFETY = 10.0

_DEFAULT_RTOL = {np.dtype(np.float64): 1e-6, np.dtype(np.float32): 1e-3, np.dtype(np.float16): 3e-2}


def default_rtol(dtype) -> float:
    """The relative tolerance for an analytic gradient computed in ``dtype``.

    Well below the smallest error the check must catch (1e-3 in float64,
    1e-2 in float32), well above the dtype's rounding of a typical gradient.
    """
    dtype = np.dtype(dtype)
    return _DEFAULT_RTOL.get(dtype, float(np.sqrt(np.finfo(dtype).eps)) if dtype.kind == "f" else 1e-6)


def tolerance(numerical, error, analytic_dtype, rtol: float | None = None, atol: float = 0.0,
              scale=None) -> np.ndarray:
    """The largest difference each value may show and still be right.

    ``atol + rtol * |numerical| + SAFETY * (numerical error + analytic rounding)``,
    where the analytic rounding is the analytic dtype's eps times the value
    and ``scale``: by default the tensor's largest entry (sums over a batch
    cancel); for a directional derivative, the sum of |analytic · direction|.
    """
    numerical = np.asarray(numerical, dtype=np.float64)
    if rtol is None:
        rtol = default_rtol(analytic_dtype)
    eps = np.finfo(analytic_dtype).eps if np.dtype(analytic_dtype).kind == "f" else np.finfo(np.float64).eps
    magnitude = np.abs(numerical)
    if scale is None:
        scale = float(magnitude.max()) if magnitude.size else 0.0
    return atol + rtol * magnitude + SAFETY * (np.asarray(error, dtype=np.float64) + eps * (magnitude + scale))


CHUNK = 16384  # entries a whole-parameter computation handles at a time: its scratch arrays are this long


def chunks(size: int) -> Iterator[slice]:
    """Slices that cover ``range(size)`` in order, ``CHUNK`` entries each."""
    return (slice(start, min(start + CHUNK, size)) for start in range(0, size, CHUNK))


def largest(a: np.ndarray) -> float:
    """max |a| over every entry, a chunk at a time (0 for an empty array, nan when an entry is)."""
    a = np.reshape(a, -1)
    return float(np.max([np.abs(a[s]).max() for s in chunks(a.size)], initial=0.0))


def same_values(a: np.ndarray, b: np.ndarray) -> bool:
    """``np.array_equal(a, b, equal_nan=True)`` a chunk at a time, without its whole-array temporaries."""
    if np.shape(a) != np.shape(b):
        return False
    a, b = np.reshape(a, -1), np.reshape(b, -1)
    for s in chunks(a.size):
        x, y = a[s], b[s]
        if not ((x == y) | ((x != x) & (y != y))).all():  # x != x: NaN
            return False
    return True


STORED = np.float32  # how a whole parameter's tolerances are kept: to 7 digits, rounded up, in half the memory


def stored(tol) -> np.ndarray:
    """``tol`` as :data:`STORED`, each value rounded up (never a tighter tolerance than the one worked out)."""
    tol = np.asarray(tol, dtype=np.float64)
    with np.errstate(over="ignore"):
        out = tol.astype(STORED)
    below = out < tol
    out[below] = np.nextafter(out[below], STORED(np.inf))
    return out


def tolerances(numerical: np.ndarray, error: np.ndarray, analytic_dtype, rtol: float | None = None,
               atol: float = 0.0) -> np.ndarray:
    """:func:`tolerance` of a whole flat parameter, at the scale of its largest entry, a chunk at a time, kept as
    :func:`stored` values."""
    scale = largest(numerical)  # as one call of tolerance would take it
    out = np.empty(numerical.size, dtype=STORED)
    for s in chunks(numerical.size):
        out[s] = stored(tolerance(numerical[s], error[s], analytic_dtype, rtol, atol, scale=scale))
    return out


def _relative(diff: np.ndarray, a: np.ndarray, n: np.ndarray) -> np.ndarray:
    denom = np.maximum(np.abs(a), np.abs(n))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, diff / np.where(denom > 0, denom, 1.0), 0.0)


@dataclass(frozen=True, eq=False)
class Comparison:
    """Per-entry differences between analytic and numerical values (flat float64 arrays), against a tolerance.

    Only the verdict per entry is stored; the differences are worked out when
    asked for, so that a right parameter of 10⁸ entries costs no more arrays.
    """

    analytic: np.ndarray
    numerical: np.ndarray
    tolerance: np.ndarray
    mismatched: np.ndarray  # of bool

    @property
    def abs_error(self) -> np.ndarray:
        return np.abs(self.analytic - self.numerical)

    @property
    def rel_error(self) -> np.ndarray:
        """|a - n| / max(|a|, |n|): 0 when equal, 2 when opposite."""
        return _relative(self.abs_error, self.analytic, self.numerical)

    @property
    def count(self) -> int:
        return int(np.count_nonzero(self.mismatched))

    @property
    def max_abs_error(self) -> float:
        return max((float(np.abs(self.analytic[s] - self.numerical[s]).max()) for s in chunks(self.analytic.size)),
                   default=0.0)

    @property
    def max_rel_error(self) -> float:
        a, n = self.analytic, self.numerical
        return max((float(_relative(np.abs(a[s] - n[s]), a[s], n[s]).max()) for s in chunks(a.size)), default=0.0)


def compare(analytic, numerical, tol, mismatched=None) -> Comparison:
    """Compare two arrays of one shape entry by entry under ``tol`` (or with the ``mismatched`` entries decided)."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numerical, dtype=np.float64)
    tol = np.asarray(tol)
    tol = tol if tol.dtype.kind == "f" else tol.astype(np.float64)  # stored tolerances stay as they are
    if mismatched is None:
        mismatched = np.abs(a - n) > tol
    return Comparison(a, n, tol, mismatched)


def fits(candidate, numerical, tol) -> bool:
    """Whether ``candidate`` equals ``numerical`` in every entry within ``tol``."""
    candidate = np.asarray(candidate, dtype=np.float64)
    return candidate.shape == np.shape(numerical) and bool(np.all(np.abs(candidate - numerical) <= tol))


def comparable(analytic: np.ndarray | None, shape: tuple[int, ...]) -> bool:
    """Whether an analytic gradient can be compared entry by entry: present, of the shape, finite."""
    return analytic is not None and analytic.shape == shape and bool(np.all(np.isfinite(analytic)))
