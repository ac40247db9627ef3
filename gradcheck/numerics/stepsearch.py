"""Each entry's own step: Richardson values over a ladder of steps, the one with the smallest total error chosen.

A loss computed in float32 leaves a step rule made for a typical entry little
to spare: rounding of about 6·10⁻⁸ of the loss, divided by the step, is the
error of every derivative. Along some coordinates the loss is nearly
polynomial (a bias under the squared loss), and a step many times larger is
as exact and far less noisy; along others (a weight times an input of 10⁴)
it bends within the rule's step, and only a step many times smaller is
smooth. The classic remedy (as in numdifftools) measures Richardson values at
steps in ratio 2 and takes, per entry, the one whose estimated error is
smallest: truncation, from its difference with the value at twice the step,
plus rounding, from the measured noise.

Picking the smallest of many estimates favours one that is small by chance.
A value is therefore eligible only when it agrees, within their errors,
with the value at every smaller step (truncation only shrinks as the step
does, so the true derivative lies within rounding of those): a function
that turns flat or bends away beyond some step cannot pass for smooth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from .numdiff import central

UP = 4  # levels above the rule's step: up to 16 times larger
DOWN = 12  # levels below it: down to 4096 times smaller
_AGREE = 4.0  # standard deviations of rounding within which two levels agree


@dataclass(frozen=True)
class Ladder:
    """The chosen level of each entry: Richardson value, its error, the step, and the samples at ± it and ± half."""

    value: np.ndarray
    error: np.ndarray
    step: np.ndarray  # H: the value is Richardson from central differences at H and H/2
    fplus: np.ndarray
    fminus: np.ndarray
    plus2: np.ndarray
    minus2: np.ndarray


    def smooth(self, f0: float, noise: float, sample: Sampler) -> np.ndarray:
        """Where the loss has no kink at the point, by one-sided slopes extrapolated to step 0.

        Richardson on each side, 2·(slope at t/2) − (slope at t), cancels the
        curvature, and the two sides then differ by −t³·f⁗/16 for a smooth
        loss; at a kink at the point (or closer than the step) they differ by
        the jump of the slope, which the central differences of every step
        average away. The difference carries rounding of √70·noise/t: within
        three standard deviations of it at t = H, the loss is smooth; beyond,
        the difference at t = H/2 (two more samples) tells a smooth loss,
        where it falls eightfold, from a kink, where it stays.
        """
        rounding = np.sqrt(70.0) * noise / self.step
        wide = _gap(f0, self.fplus, self.fminus, self.plus2, self.minus2, self.step)
        smooth = np.abs(wide) <= 3.0 * rounding
        again = np.flatnonzero(~smooth & np.isfinite(wide))
        if again.size:
            plus4, minus4 = sample(self.step[again] / 4, (1.0, -1.0), again)
            narrow = _gap(f0, self.plus2[again], self.minus2[again], plus4, minus4, self.step[again] / 2)
            smooth[again] = np.abs(narrow) <= np.maximum(6.0 * rounding[again], np.abs(wide[again]) / 4)
        return smooth


def _gap(f0, fplus, fminus, plus2, minus2, t):
    """The right one-sided slope minus the left, each extrapolated from steps t and t/2."""
    return (4.0 * (plus2 + minus2) - (fplus + fminus) - 6.0 * f0) / t


# (steps, offsets[, which]) -> the loss at the entries (or those picked by ``which``) moved by each offset times
# their steps; NaN where it is not defined
Sampler = Callable[..., np.ndarray]


def ladder(sample: Sampler, h: np.ndarray, fplus: np.ndarray, fminus: np.ndarray, plus2: np.ndarray,
           minus2: np.ndarray, noise: float) -> Ladder:
    """The best level per entry, from samples at ± ``h`` and ± ``h/2`` already taken and more drawn by ``sample``.

    ``sample(steps, offsets)`` returns the loss at each entry moved by each
    offset times its step (NaN where the loss is not defined; a third
    argument picks some of the entries). Levels go up
    to ``2**UP`` times ``h`` and down to ``2**-DOWN`` times it, downward only
    while rounding alone at the next level stays below the best error found.
    """
    levels = {0: (fplus, fminus), -1: (plus2, minus2)}
    for k in range(1, UP + 1):
        levels[k] = tuple(sample(h * 2.0 ** k, (1.0, -1.0)))
    k = -1
    while k > -DOWN and bool(np.any(2.0 * noise / (h * 2.0 ** (k - 1)) < _best(levels, h, noise)[1])):
        k -= 1
        levels[k] = tuple(sample(h * 2.0 ** k, (1.0, -1.0)))
    (pick, error), values = _best(levels, h, noise), _levels(levels, h, noise)[0]
    keys, cols = sorted(levels)[1:-1], np.arange(h.size)

    def at(k_shift: int, what: int) -> np.ndarray:
        return np.array([levels[k + k_shift][what] for k in keys])[pick, cols]

    value = np.array([values[k] for k in keys])[pick, cols]
    step = h * 2.0 ** np.array(keys)[pick]
    return Ladder(value, error, step, at(0, 0), at(0, 1), at(-1, 0), at(-1, 1))


def _levels(levels: dict, h: np.ndarray, noise: float) -> tuple[dict, dict]:
    """Richardson values R_k (steps 2^k·h and half) and their errors |R_k − R_{k+1}| + rounding, by level."""
    d = {k: central(fp, fm, h * 2.0 ** k) for k, (fp, fm) in levels.items()}
    values = {k: (4.0 * d[k - 1] - d[k]) / 3.0 for k in d if k - 1 in d}
    errors = {k: np.abs(values[k] - values[k + 1]) + 2.0 * noise / (h * 2.0 ** k) for k in values if k + 1 in values}
    return values, errors


def _best(levels: dict, h: np.ndarray, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """Per entry, the position (among the levels with an error, lowest first) of the eligible level with the smallest
    error, and that error (infinite where none is eligible)."""
    values, errors = _levels(levels, h, noise)
    eligible = _eligible(values, errors, h, noise)
    err = np.array([np.where(eligible[k], errors[k], np.inf) for k in sorted(errors)])
    pick = np.argmin(err, axis=0)
    return pick, err[pick, np.arange(h.size)]


def _eligible(values: dict, errors: dict, h: np.ndarray, noise: float) -> dict:
    """Level k is eligible where its value agrees with every smaller level's within their errors (and is finite)."""
    out = {}
    for k in errors:
        ok = np.isfinite(errors[k])
        for j in values:
            if j < k:
                rounding = 2.0 * noise / (h * 2.0 ** j)
                ok &= np.abs(values[k] - values[j]) <= _AGREE * rounding + errors[k]
        out[k] = ok
    return out
