"""The loss's noise: whether it repeats at one point, and how much it jitters nearby (which sets the steps)."""

from __future__ import annotations

import time

import numpy as np

from ..errors import CheckError, loss_not_finite, user_code_raised
from . import numdiff
from .compare import chunks
from .objective import Objective

_NOISE_POINTS = 9  # samples for the noise estimate: f at x + j·s, j = -4 … 4
# The moves, tried in order; the first one the loss resolves is used. First every entry x by 2^-30·x: a float64
# loss's rounding shows, and a kink (a ReLU at 0, a max with ties), whose piecewise-linear break would pass for
# noise in the high differences, is almost never crossed. A loss that computes in float32 inside cannot resolve
# it: a relative move below float32's spacing (2^-24) rounds every entry back to itself and the values repeat.
# Then every entry by 1e-6·max(1, |x|), above float32's resolution, where the smooth part of the loss still
# vanishes from the high differences.
_TINY = 2.0 ** -30
_NOISE_SHIFT = 1e-6
_RESOLVED = _NOISE_POINTS - 2  # distinct values among the samples that show the loss resolves a move


def _table(objective: Objective, f0: float, start: list, shift, seconds: list) -> list[float]:
    """The loss at x + j·shift for j = -4 … 4 (f0 at j = 0); the buffers are put back after.

    ``shift(i, x_part, part)`` is parameter i's shift on its entries ``part``, worked out a chunk at a time, so
    that no shift is held whole.
    """
    values = []
    try:
        for j in range(-(_NOISE_POINTS // 2), _NOISE_POINTS // 2 + 1):
            if j == 0:
                values.append(f0)
                continue
            for i, (buffer, x) in enumerate(zip(objective.flat, start)):
                for part in chunks(x.size):
                    np.add(x[part], j * shift(i, x[part], part), out=buffer[part], casting="unsafe")
            began = time.perf_counter()
            values.append(objective())
            seconds.append(time.perf_counter() - began)
    finally:
        for buffer, x in zip(objective.flat, start):
            buffer[...] = x
    return values


def measure_noise(objective: Objective, f0: float, rng: np.random.Generator) -> tuple[float, float]:
    """The loss's noise level near the point, and the median seconds one evaluation takes.

    Every entry moves at once, along one random sign pattern, by multiples of
    the smallest move the loss resolves (see ``_TINY``). The buffers start as
    the user's arrays, which are where they are put back.
    """
    eps = np.finfo(objective.dtype).eps
    start = [np.asarray(a, dtype=b.dtype).reshape(-1) for a, b in zip(objective.params.arrays, objective.buffers)]
    signs = [_signs(rng, b.size) for b in objective.buffers]
    big = max(_NOISE_SHIFT, 64 * eps)
    moves = [lambda i, x, part: big * np.maximum(1.0, np.abs(x)) * signs[i][part]]
    if 64 * eps < _TINY:
        moves.insert(0, lambda i, x, part: _TINY * x * signs[i][part])
    seconds: list[float] = []
    for shift in moves:
        values = _table(objective, f0, start, shift, seconds)
        if len(set(values)) >= _RESOLVED:
            break
    floor = _returned_precision(values, eps) * abs(f0)
    return max(numdiff.kink_free_noise_level(values), floor), float(np.median(seconds))


def _signs(rng: np.random.Generator, size: int) -> np.ndarray:
    """``rng.choice((-1.0, 1.0), size)`` as int8: the same draws (choice picks by ``integers(0, 2)``), held in an
    eighth of the memory."""
    return rng.integers(0, 2, size=size).astype(np.int8) * np.int8(2) - np.int8(1)


def _returned_precision(values: list[float], eps: float) -> float:
    """The machine epsilon of the narrowest float type that holds every value: a loss computed in float32
    returns float32 numbers, whose rounding (half their spacing) is the least noise each of them carries.

    Only values that differ tell: a loss that gives one value everywhere (a saturated unit, a flat region) may
    happen to give a float32 number; two different float64 values that are both float32 numbers by chance are
    about a billion to one.
    """
    if len(set(values)) < 2:
        return eps
    with np.errstate(over="ignore"):
        for dtype in (np.float16, np.float32):
            if np.finfo(dtype).eps > eps and all(float(dtype(v)) == v for v in values):
                return float(np.finfo(dtype).eps) / 2
    return eps


def noise_and_notes(objective: Objective, f0: float, seed: int) -> tuple[float, float, list[str]]:
    """The noise level, the seconds per evaluation, and what the user should know about either."""
    notes = []
    try:
        noise, seconds = measure_noise(objective, f0, np.random.default_rng(seed))
    except Exception:  # the loss fails a few ulps away: let the per-entry pass name the entry
        noise, seconds = float(np.finfo(objective.dtype).eps * abs(f0)), 0.0
        notes.append("the noise estimate failed (the loss raised near the point); rounding of the dtype assumed")
    if f0 and noise / abs(f0) > 1e3 * np.finfo(objective.dtype).eps:
        notes.append(f"the loss's own noise, {noise / abs(f0):.2g} of its value, is far above the rounding of "
                     f"{objective.dtype}: it computes in lower precision inside (or is noisy); steps and tolerances "
                     "follow that noise")
    return noise, seconds, notes


_AGAIN = "when called a second time at the given parameters"
_SAME = "the loss must give the same value for the same point"


def unrepeatable(objective: Objective, f0: float, analytic: list) -> str | None:
    """None when the loss gives the same value twice at one point, or differs too little to matter; else why not."""
    try:
        again = objective()
    except CheckError:
        raise
    except Exception as exc:
        raise user_code_raised("loss", exc, f"{_AGAIN} (it succeeded the first time): {_SAME}") from exc
    if not np.isfinite(again):
        raise loss_not_finite(again, f"{_AGAIN} (it was {f0} the first time): {_SAME}")
    if again == f0:
        return None
    step = float(np.finfo(objective.dtype).eps ** (1 / 3))
    grads = np.concatenate([np.abs(np.asarray(g, dtype=np.float64)).ravel() for g in analytic if g is not None] or
                           [np.zeros(1)])
    finite = grads[np.isfinite(grads)]
    typical = float(np.sqrt(np.mean(finite ** 2))) if finite.size else 0.0
    change = typical * step
    difference = abs(again - f0)
    if difference / step <= 1e-3 * typical:
        return None
    return (f"the loss is {f0!r} and then {again!r} at the same point, a difference of {difference:.3g}, while a "
            f"central difference measures changes of about {change:.3g}: the check cannot tell a gradient from the "
            "noise; make the loss deterministic (a fixed dropout mask and batch, a seeded generator)")
