"""Numerical differentiation: step sizes, noise estimates and finite differences along coordinate axes."""

from __future__ import annotations

from dataclasses import dataclass
from math import factorial
from typing import Callable, Sequence

import numpy as np

from ..errors import EvaluationFailed
from ..options import METHODS

# Each method's truncation error is O(h**order); rounding error is O(eps / h).
# The step that balances them is eps ** (1 / (order + 1)).
_ORDER = {"central": 2, "richardson": 4}
_COMPLEX_STEP = 1e-20
_CHUNK = 256  # entries sampled at a time: the progress bar's tick, and the scratch lists' length


def step_size(x: np.ndarray, dtype=np.float64, method: str = "central", noise: float = 0.0) -> np.ndarray:
    """The per-entry step for ``method``, for values ``x`` computed in ``dtype``.

    Finite differences use ``eps ** (1 / (order + 1)) * max(1, |x|)``, the step
    that balances truncation against rounding for a method of that order, made
    exact so that ``x + h`` is representable. ``eps`` is the dtype's machine
    epsilon, or ``noise`` (the loss's measured relative noise) when that is
    larger: a loss computed in float32 inside needs the float32 step whatever
    dtype it is handed. The complex step has no cancellation and takes a tiny
    step scaled the same way.
    """
    x = np.asarray(x)
    scale = np.maximum(1.0, np.abs(x.real if np.iscomplexobj(x) else x)).astype(np.float64)
    if method == "complex-step":
        return _COMPLEX_STEP * scale
    if method not in _ORDER:
        raise ValueError(f"unknown method {method!r}; expected one of {METHODS}")
    eps = max(float(np.finfo(dtype).eps), float(noise))
    h = eps ** (1.0 / (_ORDER[method] + 1)) * scale
    base = x.real.astype(dtype) if np.iscomplexobj(x) else x.astype(dtype)
    exact = ((base + h.astype(dtype)) - base).astype(np.float64)
    return np.where(exact > 0, exact, h)


def sample_axes(
    f: Callable[[], complex],
    x: np.ndarray,
    steps: np.ndarray,
    offsets: Sequence[complex],
    indices: Sequence[int] | None = None,
    progress: Callable[[int], None] | None = None,
    lenient: bool = False,
) -> np.ndarray:
    """``f`` with entry ``i`` of the flat buffer ``x`` moved by ``o * steps[i]``, for every index and offset.

    ``f`` reads ``x`` in place; each entry is restored exactly before the next,
    so no array is copied per entry, and the perturbed values are computed
    beforehand, so the loop does nothing but set an entry and call ``f``.
    Returns an array of shape ``(len(offsets), len(indices))``. A failure of
    ``f`` is re-raised as :class:`EvaluationFailed` naming the entry and the
    offset (with ``lenient``, the sample is NaN instead: for steps beyond those
    the check needs). Entries go in chunks of 256, so the scratch stays small
    whatever the parameter's size; ``progress``, when given, is told after
    each chunk how many entries it held.
    """
    index = np.arange(x.size) if indices is None else np.asarray(indices, dtype=np.intp)
    out = np.empty((len(offsets), index.size), dtype=complex if np.iscomplexobj(x) else float)
    steps = np.asarray(steps)
    for start in range(0, index.size, _CHUNK):
        chunk = index[start:start + _CHUNK]
        out[:, start:start + chunk.size] = _sample_chunk(f, x, steps[chunk], offsets, chunk, lenient)
        if progress is not None:
            progress(chunk.size)
    return out


def _sample_chunk(f: Callable[[], complex], x: np.ndarray, steps: np.ndarray, offsets: Sequence[complex],
                  index: np.ndarray, lenient: bool) -> list[list[complex]]:
    """:func:`sample_axes` on one chunk of entries: Python lists of the moved values, so the loop stays lean."""
    originals = x[index]
    moved = [(originals + offset * steps).tolist() for offset in offsets]
    restore = originals.tolist()
    out = [[0.0] * len(index) for _ in offsets]
    rows = range(len(offsets))
    for col, i in enumerate(index.tolist()):
        try:
            for row in rows:
                x[i] = moved[row][col]
                try:
                    out[row][col] = f()
                except Exception:  # the user's code may raise anything
                    if not lenient:
                        raise
                    out[row][col] = np.nan
        except Exception as exc:
            raise EvaluationFailed(i, offsets[row], exc) from exc
        finally:
            x[i] = restore[col]
    return out


def noise_level(values: Sequence[float]) -> float:
    """The standard deviation of the noise in ``values``, samples of f at equally spaced points.

    A simplified ECnoise (Moré & Wild, 2011): the k-th differences of a smooth
    function vanish quickly as k grows while those of noise do not; for noise
    of standard deviation s, ``E[(Δ^k f)^2] = s^2 (2k)! / (k!)^2``. The median
    over the upper half of the levels is the estimate.
    """
    d = np.asarray(values, dtype=np.float64)
    levels = []
    for k in range(1, d.size):
        d = np.diff(d)
        gamma = factorial(k) ** 2 / factorial(2 * k)
        levels.append(np.sqrt(gamma * np.mean(d * d)))
    upper = levels[len(levels) // 2 :]
    return float(np.median(upper)) if upper else 0.0


# A half of the table whose noise is this many times below the whole table's shows that the whole table's excess
# is one break in slope, not noise: for real noise, the quieter half is 100 times below the whole in 0.015% of
# tables (8 times: 4%), while a kink's break sits millions of times above a float64 loss's rounding.
_KINK_EXCESS = 100.0


def kink_free_noise_level(values: Sequence[float]) -> float:
    """:func:`noise_level` of equally spaced samples, not inflated by one break in slope among them.

    A kink (a ReLU at 0, a max with ties) makes the samples two straight lines
    whose high differences look like noise. Each half of the samples (the
    middle one shared) is estimated on its own as well: when a half is far
    quieter than the whole, the break lies in the other half (or at the
    middle) and the quieter half's level is the noise.
    """
    whole = noise_level(values)
    middle = len(values) // 2
    halves = min(noise_level(values[: middle + 1]), noise_level(values[middle:]))
    return halves if halves * _KINK_EXCESS < whole else whole


@dataclass(frozen=True)
class Refined:
    """Second look at chosen entries: Richardson values, one-sided slopes and convergence orders."""

    value: np.ndarray  # Richardson extrapolation from steps h and h/2
    error: np.ndarray  # its error estimate
    left: np.ndarray  # one-sided slopes (f(x) - f(x - h/2)) / (h/2)
    right: np.ndarray  # (f(x + h/2) - f(x)) / (h/2)
    kink: np.ndarray  # True where the one-sided slopes disagree and do not converge: not differentiable
    rough: np.ndarray  # True where the gaps do not halve with the step: a kink at or near the point, or several
    order: np.ndarray  # observed order of the Taylor remainder of a candidate slope


def richardson(d1: np.ndarray, d2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Richardson extrapolation of central differences at steps h and h/2, and its error estimate."""
    return d2 + (d2 - d1) / 3.0, np.abs(d2 - d1) / 3.0


def central(fplus: np.ndarray, fminus: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """The central difference from samples at ``x ± h``."""
    return (fplus - fminus) / (2.0 * steps)


# How many standard deviations of rounding a gap between one-sided slopes must exceed before it counts as a kink.
# The gaps of a linear or smooth function are rounding and curvature; a kink's gap is the jump of the slope.
_KINK_SIGMAS = 10.0


def one_sided(f0, fplus, fminus, plus2, minus2, h, noise):
    """The one-sided slopes at step h/2, where they reveal a kink, and where the function is not smooth at all.

    A smooth function's one-sided slopes differ by about h·f''; the gap halves
    with the step. At a kink it stays: a kink is where the gaps at h and at h/2
    are both far beyond rounding (``_KINK_SIGMAS`` standard deviations: a gap
    at step t carries rounding of about √6·noise/t), have one sign, and the
    smaller step keeps at least three quarters of the gap. Rough is wider:
    the gap at h/2 differs from half the gap at h by more than rounding
    explains, as when the steps cross kinks a little way off the point.
    """
    left = (f0 - minus2) / (h / 2)
    right = (plus2 - f0) / (h / 2)
    gap_h = (fplus - f0) / h - (f0 - fminus) / h
    gap_h2 = right - left
    rounding = np.sqrt(6.0) * noise / h  # one standard deviation of the gap at step h
    significant = (np.abs(gap_h) > _KINK_SIGMAS * rounding) & (np.abs(gap_h2) > _KINK_SIGMAS * 2 * rounding)
    kink = significant & (np.sign(gap_h) == np.sign(gap_h2)) & (np.abs(gap_h2) > 0.75 * np.abs(gap_h))
    # Rough only sends a disagreeing entry to be judged at a nearby point, which a wrong gradient fails there too:
    # three standard deviations (σ of gap_h2 − gap_h/2 is √4.25·rounding) keep it below the tolerance.
    rough = np.abs(gap_h2 - gap_h / 2) > 3 * 2.1 * rounding
    return left, right, kink, rough


def refine(
    f: Callable[[], float],
    x: np.ndarray,
    steps: np.ndarray,
    indices: np.ndarray,
    f0: float,
    fplus: np.ndarray,
    fminus: np.ndarray,
    noise: float,
    slope: np.ndarray,
) -> Refined:
    """Re-measure ``indices`` at half the step and judge ``slope`` there by how its Taylor remainder converges.

    ``fplus``/``fminus`` hold the samples at ``x ± h`` already taken for these
    indices. Two more samples per entry give the Richardson value, its error,
    the one-sided slopes at ``h/2`` and, for ``slope`` (the analytic value),
    the observed order of ``r(h) = f(x + h) - f(x) - h * slope``: 2 when the
    slope is right, 1 when it is wrong.
    """
    h = steps[indices]
    plus2, minus2 = sample_axes(f, x, steps, (0.5, -0.5), indices)
    d1 = central(fplus, fminus, h)
    d2 = central(plus2, minus2, h / 2)
    value, truncation = richardson(d1, d2)
    rounding = 2.0 * noise / h
    error = truncation + rounding
    left, right, kink, rough = one_sided(f0, fplus, fminus, plus2, minus2, h, noise)
    with np.errstate(divide="ignore", invalid="ignore"):
        r1 = np.abs(fplus - f0 - h * slope)
        r2 = np.abs(plus2 - f0 - h / 2 * slope)
        order = np.log2(r1 / r2)
    return Refined(value, error, left, right, kink, rough, order)
