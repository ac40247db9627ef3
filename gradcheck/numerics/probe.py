"""Probe mode: slopes along random directions per tensor, and group testing to find the wrong entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from ..errors import loss_not_finite, user_code_raised
from .compare import comparable, tolerance
from .directional import Directional, Directions, Slope, abs_dot
from .nearby import Nearby
from .plan import LOW_PRECISION
from .sampling import Point

LOCATE_BASE = 100  # loss evaluations group testing may spend on one tensor beyond what each disagreeing group earns
MAX_LOCATED = 20  # wrong entries group testing follows before it calls the error spread
MISS_PER_PROBE = 0.08  # P(|N(0, s²)| < s/10): one probe missing an error ten times its tolerance
GUARANTEE = ("probe mode: each tensor was checked along {probes} random Gaussian directions w; an error e in a "
             "gradient changes each slope by N(0, ‖w⊙e‖²), so an error whose size ‖max(1,|x|)⊙e‖ is ten times "
             "the slope tolerance (detail 'catches_error_norm') is caught with probability ≥ 1 − {miss:.1e}; smaller "
             "errors may pass, and the indices of wrong entries come from group testing; mode='full' checks every "
             "entry")


def measure(directional: Directional, analytic: np.ndarray | None, rng: np.random.Generator, count: int,
            dtype, rtol, atol) -> tuple[Directions, list[Slope]]:
    """K directions and the loss's slope along each; a slope that disagrees with the analytic one gets a second look."""
    states, slopes = [], []
    for _ in range(count):
        states.append(rng.bit_generator.state)
        w = directional.direction(rng)
        slope = directional.slope(w)
        if analytic is None or _disagrees(float(analytic @ w), abs_dot(analytic, w), slope, dtype, rtol, atol):
            slope = directional.refine(w, slope)
        slopes.append(slope)
        del w  # let it go before the next is drawn: one direction is held at a time
    return Directions(directional, type(rng.bit_generator), states), slopes


def _disagrees(a: float, scale: float, slope: Slope, dtype, rtol, atol) -> bool:
    return not slope.admits(a, float(tolerance(slope.value, slope.error, dtype, rtol, atol, scale=scale)))


@dataclass(frozen=True)
class Localized:
    """What group testing found: the wrong entries (flat indices), the evaluations spent, and why it stopped early."""

    found: tuple[int, ...]
    evaluations: int
    stopped: str | None = None  # None when every disagreeing group was followed down to single entries


def localize(directional: Directional, analytic: np.ndarray, rng: np.random.Generator, dtype, rtol, atol,
             budget: int | None = None) -> Localized:
    """Adaptive group testing: halve the groups whose slope disagrees until single entries remain.

    A group is probed along a random direction w; its first half along w
    restricted to that half. The slope is linear in the direction, so the
    second half's slope is the group's minus the first's, with both errors:
    one probe per disagreeing group and level, and k wrong entries among P
    cost about 2·k·log2(P) loss evaluations. A slope within ten tolerances
    of agreeing gets a second look (Richardson) before it counts. The budget
    grows with what is found: 100 + 4·(groups disagreeing)·log2(P). Stops,
    and says why, when more than ``MAX_LOCATED`` groups disagree at once
    (the error is spread, not local) or the budget runs out.
    """
    start = directional.evaluations
    levels = max(1, int(np.ceil(np.log2(max(analytic.size, 2)))))
    root = np.arange(analytic.size)
    w = directional.direction(rng, root)
    groups = [(root, w, *_measured(directional, analytic, w, root, dtype, rtol, atol))]
    groups = [g for g in groups if g[3]]
    found: list[int] = []
    stopped = None
    while groups:
        limit = budget if budget is not None else LOCATE_BASE + 4 * max(len(groups) + len(found), 1) * levels
        if directional.evaluations - start >= limit:
            stopped = f"the budget of {limit} loss evaluations ran out ({len(groups)} groups still disagree)"
            break
        if len(groups) + len(found) > MAX_LOCATED:
            stopped = (f"{len(groups) + len(found)} groups disagree at once, more than {MAX_LOCATED}: the error is "
                       "spread, not local")
            break
        next_groups = []
        for group, w, (value, error, a), _ in groups:
            if group.size == 1:
                found.append(int(group[0]))
                continue
            first, second = np.array_split(group, 2)
            w1 = np.zeros_like(w)
            w1[first] = w[first]
            (v1, e1, a1), wrong1 = _measured(directional, analytic, w1, first, dtype, rtol, atol)
            rest = (value - v1, error + e1, a - a1)  # linear in the direction: the second half's slope, inferred
            if wrong1:
                next_groups.append((first, w1, (v1, e1, a1), True))
            w2 = np.zeros_like(w)
            w2[second] = w[second]
            if _disagree(rest, analytic, w2, second, dtype, rtol, atol):
                next_groups.append((second, w2, rest, True))
        groups = next_groups
    return Localized(tuple(found), directional.evaluations - start, stopped)


def _disagree(measured: tuple[float, float, float], analytic: np.ndarray, w: np.ndarray, part: np.ndarray, dtype,
              rtol, atol) -> bool:
    value, error, a = measured
    scale = float(np.abs(analytic[part]) @ np.abs(w[part]))
    return abs(a - value) > float(tolerance(value, error, dtype, rtol, atol, scale=scale))


def _measured(directional: Directional, analytic: np.ndarray, w: np.ndarray, part: np.ndarray, dtype, rtol,
              atol) -> tuple[tuple[float, float, float], bool]:
    """The slope along ``w`` (value, error), the analytic slope, and whether they disagree; a disagreement within ten
    tolerances gets a second look (Richardson) first."""
    a, scale = float(analytic[part] @ w[part]), float(np.abs(analytic[part]) @ np.abs(w[part]))
    slope = directional.slope(w)
    tol = float(tolerance(slope.value, slope.error, dtype, rtol, atol, scale=scale))
    if abs(a - slope.value) > 10 * tol or abs(a - slope.value) <= tol:
        return (slope.value, slope.error, a), abs(a - slope.value) > tol
    refined = directional.refine(w, slope)
    return (refined.value, refined.error, a), _disagrees(a, scale, refined, dtype, rtol, atol)


def guarantee(slopes: Sequence[Slope], dtype, rtol, atol) -> dict[str, Any]:
    """The error size these probes catch, and with what probability."""
    values = np.array([s.value for s in slopes])
    errors = np.array([s.error for s in slopes])
    tol = float(np.median(tolerance(values, errors, dtype, rtol, atol, scale=0.0))) if values.size else 0.0
    return {"probes": int(values.size), "catches_error_norm": 10 * tol,
            "miss_probability": MISS_PER_PROBE ** int(values.size)}


@dataclass(frozen=True, eq=False)
class ProbeMeasurement:
    """One parameter probed: the directions, the slopes along them, and the prober that group testing continues."""

    directions: Directions
    slopes: tuple[Slope, ...]
    analytic_dtype: np.dtype
    analytic_flat: np.ndarray | None  # float64, when the analytic gradient is comparable
    prober: Prober

    def localize(self) -> Localized:
        """Group testing on the analytic gradient, continuing the directions' random stream."""
        p = self.prober
        return localize(p.directional, self.analytic_flat, p.rng, self.analytic_dtype, p.rtol, p.atol)


@dataclass(frozen=True, eq=False)
class Prober:
    """The slopes of one tensor and the random stream its directions come from."""

    directional: Directional
    rng: np.random.Generator
    rtol: float | None
    atol: float


def measure_probe(point: Point, index: int, name: str, analytic: np.ndarray | None) -> ProbeMeasurement:
    """Parameter ``index`` probed along ``point.options.probes`` random directions."""
    flat = point.real.flat[index]
    shape = point.real.buffers[index].shape
    options = point.options
    rng = np.random.default_rng([options.seed, index])
    origin = np.asarray(point.real.params.arrays[index], dtype=flat.dtype).reshape(-1)  # the buffer at rest
    directional = Directional(point.real, flat, point.f0, point.noise, point.real.dtype, point.relative_noise,
                              origin)
    a_dtype = analytic.dtype if analytic is not None and analytic.dtype.kind == "f" else np.dtype(np.float64)
    af = analytic.reshape(-1).astype(np.float64, copy=False) if comparable(analytic, shape) else None
    try:
        directions, slopes = measure(directional, af, rng, options.probes, a_dtype, options.rtol, options.atol)
    except Exception as exc:
        raise user_code_raised("loss", exc, f"when {name!r} was moved along a probe direction; the loss must be "
                               "defined near the given point") from exc
    if not np.all(np.isfinite([v for slope in slopes for v in slope])):
        raise loss_not_finite("not finite", f"when {name!r} is moved along a probe direction; the loss must be "
                              "finite near the given point", found="nan or inf")
    if af is not None:
        slopes = _off_kinks(point, index, directions, slopes, af, a_dtype)
    return ProbeMeasurement(directions, tuple(slopes), a_dtype, af,
                            Prober(directional, rng, options.rtol, options.atol))


def _off_kinks(point: Point, index: int, directions: Directions, slopes: list[Slope], af: np.ndarray,
               a_dtype) -> list[Slope]:
    """The slopes the analytic one disagrees with, and those with a kink, judged again at a nearby point.

    A direction that agrees there admits the analytic slope at the point too:
    what disagreed was the convention at a kink, not the backward. Every
    disagreeing direction goes (a whole-tensor direction meets every tie a
    tensor has, and a tie's jump may sit below what the gaps can show); a
    wrong gradient disagrees there as well, at a few evaluations per probe.
    So does every direction with a kink: the interval between its one-sided
    slopes grows with every tie the direction meets at once, wide enough to
    admit a wrong slope; a kinked direction wrong nearby counts its point
    estimate only (for a loss computed in low precision, it is unjudged).
    """
    rtol, atol = point.options.rtol, point.options.atol
    def suspect(j: int) -> bool:
        s = slopes[j]
        if s.low < s.high:
            return True
        w = directions[j]
        return _disagrees(float(af @ w), abs_dot(af, w), s, a_dtype, rtol, atol)

    suspects = [j for j in range(len(slopes)) if suspect(j)]
    if not suspects:
        return slopes
    slopes = list(slopes)
    # float32's steps along a whole tensor cross kinks nearby as surely as at the point, and a sum of many crossed
    # kinks can look smooth there: a kinked direction is then left unjudged rather than called wrong.
    low_precision = point.relative_noise > LOW_PRECISION
    with Nearby(point) as nearby:
        for j in suspects:
            w = directions[j]
            agrees = nearby.slope_agrees(index, w, a_dtype)
            if agrees is False and low_precision and slopes[j].low < slopes[j].high:
                agrees = None
            if agrees:
                a = float(af @ w)
                slopes[j] = slopes[j]._replace(low=min(slopes[j].low, a), high=max(slopes[j].high, a))
            elif agrees is None:  # kinks along this direction here and nearby: it cannot tell
                slopes[j] = slopes[j]._replace(error=float("inf"), low=-float("inf"), high=float("inf"))
            else:
                slopes[j] = slopes[j]._replace(low=slopes[j].value, high=slopes[j].value)
            del w  # one direction held at a time
    return slopes


def entry_values(point: Point, index: int, name: str, analytic_flat: np.ndarray,
                 flat_indices: np.ndarray) -> np.ndarray:
    """The numerical values of chosen entries, refined by Richardson (a few evaluations each)."""
    h = point.steps(index, "central")
    fplus, fminus = point.sample(point.real, index, name, h, (1, -1), flat_indices)
    return point.refine(index, name, h, flat_indices, fplus, fminus, analytic_flat[flat_indices]).value
