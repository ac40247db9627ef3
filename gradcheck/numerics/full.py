"""Full mode: every entry by finite differences, and a second look at the suspects."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .compare import Comparison, chunks, comparable, compare, largest, stored, tolerance, tolerances
from .nearby import Nearby
from .numdiff import Refined, central, richardson
from .plan import LOW_PRECISION
from .sampling import Point
from .stepsearch import ladder

_AMBIGUOUS = 4.0  # a refined difference within this many tolerances is judged by its convergence order


@dataclass(frozen=True, eq=False)
class FullMeasurement:
    """One parameter measured entry by entry (flat arrays), and, when comparable, its comparison with the analytic."""

    numerical: np.ndarray
    error: np.ndarray
    tol: np.ndarray
    comparison: Comparison | None  # None when the analytic gradient is missing, mis-shaped or not finite
    detail: dict[str, Any] = field(default_factory=dict)  # what the second look found: kinks, order


@dataclass(frozen=True, eq=False)
class SecondLook:
    """The suspects re-measured: the refined values, errors and tolerances, which entries are still wrong, and why."""

    numerical: np.ndarray
    error: np.ndarray
    tol: np.ndarray
    still_wrong: np.ndarray
    detail: dict[str, Any]
    by_rule: dict[str, np.ndarray] = field(default_factory=dict)  # "nearby", "unjudged": the flat indices so judged


@dataclass(frozen=True, eq=False)
class Kept:
    """The first pass's samples at the entries a later look may need, in entry order: one row per offset."""

    indices: np.ndarray
    rows: np.ndarray

    def at(self, idx: np.ndarray) -> np.ndarray:
        """The rows at entries ``idx`` (all of them kept)."""
        return self.rows[:, np.searchsorted(self.indices, idx)]


# Errors are estimates of an order of magnitude (hence SAFETY): float32 holds them to 7 digits in half the memory.
ERROR_DTYPE = np.float32

_OFFSETS = {"central": (1, -1), "richardson": (1, -1, 0.5, -0.5), "complex-step": (1j,)}


def _first_pass(point: Point, index: int, name: str, af: np.ndarray | None, a_dtype):
    """Every entry's numerical derivative by the plan's method and its rounding error, a chunk at a time; and the
    samples at the entries whose difference from the analytic value may be looked at again (:class:`Kept`).

    The first pass counts rounding only: truncation, which only a second look
    can measure, could otherwise hide a small wrong value behind its estimate.
    Kept are the entries beyond the tolerance at scale 0 (which the tensor's
    scale only widens) or, for Richardson, beyond ``_DOUBT`` errors.
    """
    method = point.method
    size = point.real.flat[index].size
    value, error = np.empty(size), np.empty(size, dtype=ERROR_DTYPE)
    objective = point.complex if method == "complex-step" else point.real
    kept_indices, kept_rows = [], []
    for part, h, s in point.sample_parts(objective, index, name, method, _OFFSETS[method]):
        if method == "complex-step":
            value[part] = s[0].imag / h
            error[part] = np.finfo(np.float64).eps * (np.abs(value[part]) + 1e-300)
            continue
        if method == "richardson":
            value[part] = richardson(central(s[0], s[1], h), central(s[2], s[3], h / 2))[0]
            error[part] = 2.0 * point.noise / h
        else:
            value[part], error[part] = central(s[0], s[1], h), point.noise / h
        if af is not None:
            diff = np.abs(af[part] - value[part])
            floor = tolerance(value[part], error[part], a_dtype, point.options.rtol, point.options.atol, scale=0.0)
            if method == "richardson":
                floor = np.minimum(floor, _DOUBT * error[part])
            keep = np.flatnonzero(diff > floor)
            kept_indices.append(keep + part.start)
            kept_rows.append(s[:, keep].real)
    kept = None
    if kept_rows:
        kept = Kept(np.concatenate(kept_indices), np.concatenate(kept_rows, axis=1))
    return value, error, kept


def _mismatched(af: np.ndarray, value: np.ndarray, tol: np.ndarray) -> np.ndarray:
    out = np.empty(af.size, dtype=bool)
    for s in chunks(af.size):
        out[s] = np.abs(af[s] - value[s]) > tol[s]
    return out


def measure_full(point: Point, index: int, name: str, analytic: np.ndarray | None) -> FullMeasurement:
    """Parameter ``index`` measured in every entry; mismatches get a second look before they count."""
    shape = point.real.buffers[index].shape
    a_dtype = analytic.dtype if analytic is not None else np.dtype(np.float64)
    af = analytic.reshape(-1).astype(np.float64, copy=False) if comparable(analytic, shape) else None
    value, error, kept = _first_pass(point, index, name, af, a_dtype)
    tol = tolerances(value, error, a_dtype, point.options.rtol, point.options.atol)
    if af is None:
        return FullMeasurement(value, error, tol, None)
    mismatched = _mismatched(af, value, tol)
    look = SecondLook(value, error, tol, mismatched, {})
    if mismatched.any():
        richardson_ = point.method == "richardson"
        h = point.steps(index, "richardson" if richardson_ else "central") / (2.0 if richardson_ else 1.0)
        idx = np.flatnonzero(mismatched)
        fplus, fminus = (None, None) if kept is None else kept.at(idx)[-2:]
        look = second_look(point, index, name, af, a_dtype, h, value, error, tol, mismatched, fplus, fminus)
    if point.method == "richardson" and kept is not None:
        look = _own_steps(point, index, name, af, a_dtype, kept, look)
    return FullMeasurement(look.numerical, look.error, look.tol, compare(af, look.numerical, look.tol,
                                                                          look.still_wrong), look.detail)


# A Richardson value within its tolerance but further than this many standard deviations of rounding from the
# analytic one is measured again at its own best step: a small error hidden by a typical entry's step shows there.
_DOUBT = 2.0


def _own_steps(point: Point, index: int, name: str, af: np.ndarray, a_dtype, kept: Kept,
               look: SecondLook) -> SecondLook:
    """Doubtful entries measured at each one's own best step (:mod:`.stepsearch`), and which are wrong there.

    Doubtful are the passing values beyond ``_DOUBT`` standard deviations of
    rounding, and the entries left unjudged: the steps that crossed a bend
    may have been too large for them. A value from the ladder replaces the
    earlier one where the loss is smooth at the point (:meth:`.Ladder.smooth`),
    with an error that now counts truncation too. Entries passed at a kink or
    at the nearby point keep that verdict: several kinks may meet at the
    point along a coordinate whose slopes agree on both sides.
    """
    value, error, tol, wrong = (np.array(a, copy=True) for a in (look.numerical, look.error, look.tol,
                                                                   look.still_wrong))
    diff = np.abs(af - value)
    doubtful = ~wrong & (diff <= tol) & (diff > _DOUBT * error)
    doubtful[look.by_rule.get("unjudged", [])] = True
    doubtful[look.by_rule.get("nearby", [])] = False
    idx = np.flatnonzero(doubtful)
    if not idx.size:
        return look

    sample = point.sampler(point.real, index, name, idx)
    found = ladder(sample, point.steps(index, "richardson", idx), *kept.at(idx), point.noise)
    # At a kink at the point every step's central difference is the same mean of the one-sided slopes, which the
    # ladder would take for the derivative: there the earlier judgement stands.
    smooth = found.smooth(point.f0, point.noise, sample) & np.isfinite(found.value)
    now = idx[smooth]
    value[now], error[now] = found.value[smooth], found.error[smooth]
    tol[now] = stored(tolerance(value[now], error[now], a_dtype, point.options.rtol, point.options.atol,
                                largest(value)))
    wrong[now] = np.abs(af[now] - value[now]) > tol[now]
    detail = dict(look.detail)
    by_rule = {rule: np.setdiff1d(indices, now) for rule, indices in look.by_rule.items()}
    for rule, indices in by_rule.items():
        if indices.size:
            detail[rule] = int(indices.size)
        else:
            detail.pop(rule, None)
    return SecondLook(value, error, tol, wrong, detail, by_rule)


_SHRINK = (16.0, 256.0)  # how much smaller the steps of a rough entry's further looks are


def _smaller_steps(point: Point, index: int, name: str, h: np.ndarray, idx: np.ndarray, refined: Refined,
                   af: np.ndarray) -> tuple[Refined, np.ndarray]:
    """Rough suspects measured again at steps 16 and then 256 times smaller; which were.

    A coordinate along which the loss bends sharply (a weight times an input
    of 1e4) is smooth at a small enough step, and a kink a little way off
    the point drops out of it; a kink at the point stays, its one-sided
    slopes now measured closer in. The rounding error grows as the step
    shrinks, and the tolerance with it: a loss computed in lower precision
    has none to spare, and keeps its steps.
    """
    fields = {f: np.array(getattr(refined, f), copy=True) for f in Refined.__dataclass_fields__}
    shrunk = np.zeros(idx.size, dtype=bool)
    for factor in _SHRINK if point.relative_noise <= LOW_PRECISION else ():
        todo = np.flatnonzero(fields["rough"] & ~fields["kink"])
        if not todo.size:
            break
        steps = h / factor
        fp, fm = point.sample(point.real, index, name, steps, (1, -1), idx[todo])
        again = point.refine(index, name, steps, idx[todo], fp, fm, af[idx[todo]])
        better = ~again.rough | again.kink  # smooth at this step, or a kink pinned at the point
        for f in fields:
            fields[f][todo[better]] = getattr(again, f)[better]
        shrunk[todo[better]] = True
    return Refined(**fields), shrunk


def second_look(point: Point, index: int, name: str, af: np.ndarray, a_dtype, h: np.ndarray, value: np.ndarray,
                error: np.ndarray, tol: np.ndarray, mismatched: np.ndarray, fplus, fminus) -> SecondLook:
    """The suspect entries re-measured, and which of them are still wrong.

    Suspects are re-measured at half the step (Richardson). An entry is
    accepted when the refined value agrees; at a kink when the analytic
    value lies between the one-sided slopes; when the difference is
    within a few tolerances and its Taylor remainder converges at order
    2; for low-precision gradients, when the float64 analytic gradient
    agrees (the formula is right, the rest is rounding); and where the loss
    is not smooth at the point (several kinks met there, or crossed by the
    steps), when the gradient is right at a nearby point (:mod:`.nearby`).
    """
    idx = np.flatnonzero(mismatched)
    refined, value, error = _remeasure(point, index, name, af, h, idx, value, error, fplus, fminus)
    tol[idx] = stored(tolerance(value[idx], error[idx], a_dtype, point.options.rtol, point.options.atol,
                                largest(value)))
    diff = np.abs(af[idx] - value[idx])
    still = diff > tol[idx]
    low, high = np.minimum(refined.left, refined.right), np.maximum(refined.left, refined.right)
    at_kink = refined.kink & (af[idx] >= low - tol[idx]) & (af[idx] <= high + tol[idx])
    # The order tells a wrong slope (remainder ~ h·error) from a right one (~ h²·f''/2) only while the error term
    # can dominate: not at Richardson's large steps, where curvature wins whatever the slope.
    converges = (diff <= _AMBIGUOUS * tol[idx]) & (refined.order >= 1.5) & (point.method != "richardson")
    still &= ~at_kink & ~converges
    # At a kink the derivative is the interval between the one-sided slopes;
    # the numerical value reported is its point nearest the analytic one.
    value[idx[at_kink]] = np.clip(af[idx][at_kink], low[at_kink], high[at_kink])
    detail: dict[str, Any] = {}
    if refined.kink.any():
        detail["kinks"] = int(refined.kink.sum())
        detail["kink_indices"] = [int(i) for i in idx[refined.kink][:5]]
    if still.any() and a_dtype != np.float64:
        still &= ~_rounding_only(point, index, af, a_dtype, idx, value, error)
    # At float32's steps a tie's jump may hide below what the gaps' halving shows: there every wrong-looking entry
    # whose one-sided slopes differ by more than its tolerance is looked at from nearby, as precisely as at the
    # point; in float64, the rough ones.
    apart = np.abs(refined.right - refined.left) > tol[idx]
    off_kinks = still & (refined.rough | (apart & (point.relative_noise > LOW_PRECISION)))
    if off_kinks.any():  # not differentiable here: the gradient is checked where it is defined, a little way off
        with Nearby(point) as nearby:
            right, told = nearby.entries_agree(index, name, idx[off_kinks], a_dtype)
        accepted, untold = np.flatnonzero(off_kinks)[right], np.flatnonzero(off_kinks)[~told]
        still[accepted] = still[untold] = False
        value[idx[accepted]] = np.clip(af[idx[accepted]], low[accepted], high[accepted])
        tol[idx[untold]] = np.inf  # kinks within every step, here and nearby: this entry cannot be judged
        detail.update({k: int(n.size) for k, n in (("nearby", accepted), ("unjudged", untold)) if n.size})
    if (refined.kink & still).any():
        detail["wrong_at_kinks"] = int((refined.kink & still).sum())
    orders = refined.order[still]
    orders = orders[np.isfinite(orders)]
    if orders.size:
        detail["order"] = float(np.median(orders))
    still_wrong = np.zeros_like(mismatched)
    still_wrong[idx[still]] = True
    by_rule = {"nearby": idx[accepted], "unjudged": idx[untold]} if off_kinks.any() else {}
    return SecondLook(value, error, tol, still_wrong, detail, by_rule)


def _remeasure(point: Point, index: int, name: str, af: np.ndarray, h: np.ndarray, idx: np.ndarray,
               value: np.ndarray, error: np.ndarray, fplus, fminus) -> tuple[Refined, np.ndarray, np.ndarray]:
    """The suspects ``idx`` measured again: at half the step, then at smaller steps where rough; ``value`` and
    ``error`` updated in place."""
    if fplus is None:  # ``fplus`` and ``fminus``, when given, are the samples at the suspects ``idx``
        fplus, fminus = point.sample(point.real, index, name, h, (1, -1), idx)
    # Re-measured along the real axis only: the complex step has no one-sided slopes.
    refined = point.refine(index, name, h, idx, fplus, fminus, af[idx])
    if point.relative_noise > LOW_PRECISION:
        # Steps this large (a few percent of each entry) cannot tell a kink from a smooth function that bends
        # within them (a tanh saturating over the step): no kink is claimed, only roughness.
        refined = replace(refined, kink=np.zeros_like(refined.kink), rough=refined.rough | refined.kink)
    refined, shrunk = _smaller_steps(point, index, name, h, idx, refined, af)
    if point.method == "richardson":  # a third level: Richardson at (2h, h) and (h, h/2), extrapolated again
        third = idx[~shrunk]
        r = refined.value[~shrunk]
        error[third] = np.maximum(error[third], np.abs(r - value[third]) / 15.0 + 2.0 * point.noise / h[third])
        value[third] = r + (r - value[third]) / 15.0
        value[idx[shrunk]], error[idx[shrunk]] = refined.value[shrunk], refined.error[shrunk]
    else:
        value[idx] = refined.value
        error[idx] = np.maximum(error[idx], refined.error)
    return refined, value, error


def _rounding_only(point: Point, index: int, af: np.ndarray, a_dtype, idx: np.ndarray, value: np.ndarray,
                   error: np.ndarray) -> np.ndarray:
    """Which suspects of a low-precision gradient are right in float64 and off only by the dtype's rounding."""
    a64 = point.float64[index]
    if a64 is None or a64.size != af.size:
        return np.zeros(idx.size, dtype=bool)
    a64 = a64.reshape(-1).astype(np.float64)[idx]
    tol64 = tolerance(value[idx], error[idx], np.float64, None, point.options.atol, largest(value))
    rounding = tolerance(a64, 0.0, a_dtype, point.options.rtol, point.options.atol)
    return (np.abs(a64 - value[idx]) <= tol64) & (np.abs(af[idx] - a64) <= rounding)
