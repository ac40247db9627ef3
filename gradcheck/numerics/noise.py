"""The loss's noise: whether it repeats at one point, and how much it jitters nearby (which sets the steps)."""

from __future__ import annotations

import time

import numpy as np

from ..errors import CheckError, loss_not_finite, user_code_raised
from . import numdiff
from .objective import Objective

_NOISE_POINTS = 9  # samples for the noise estimate: f at x + j·s, j = -4 … 4
# The scales s of the moves, relative to each entry, tried in order: the first one the loss resolves is used.
# A tiny move sees a float64 loss's rounding and almost never crosses a kink (a ReLU at 0, a max with ties), whose
# piecewise-linear break would pass for noise in the high differences; a loss computed in float32 inside cannot
# resolve it (its values repeat), and is measured at 1e-6, above float32's resolution, where the smooth part of
# the loss still vanishes from the high differences.
_NOISE_SCALES = (2.0 ** -30, 1e-6)
_RESOLVED = _NOISE_POINTS - 2  # distinct values among the samples that show the loss resolves a scale


def _table(objective: Objective, f0: float, start: list, shifts: list, seconds: list) -> list[float]:
    """The loss at x + j·shift for j = -4 … 4 (f0 at j = 0); the buffers are put back after."""
    values = []
    try:
        for j in range(-(_NOISE_POINTS // 2), _NOISE_POINTS // 2 + 1):
            if j == 0:
                values.append(f0)
                continue
            for buffer, x, s in zip(objective.buffers, start, shifts):
                np.add(x, j * s, out=buffer, casting="unsafe")
            began = time.perf_counter()
            values.append(objective())
            seconds.append(time.perf_counter() - began)
    finally:
        for buffer, x in zip(objective.buffers, start):
            buffer[...] = x
    return values


def measure_noise(objective: Objective, f0: float, rng: np.random.Generator) -> tuple[float, float]:
    """The loss's noise level near the point, and the median seconds one evaluation takes.

    Every entry moves at once, along one random sign pattern, by multiples of
    the smallest scale the loss resolves (see ``_NOISE_SCALES``).
    """
    eps = np.finfo(objective.dtype).eps
    start = [buffer.copy() for buffer in objective.buffers]
    signs = [np.maximum(1.0, np.abs(x)) * rng.choice((-1.0, 1.0), x.shape) for x in start]
    seconds: list[float] = []
    for scale in sorted({max(s, 64 * eps) for s in _NOISE_SCALES}):
        values = _table(objective, f0, start, [scale * s for s in signs], seconds)
        if len(set(values)) >= _RESOLVED:
            break
    return max(numdiff.kink_free_noise_level(values), eps * abs(f0)), float(np.median(seconds))


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
