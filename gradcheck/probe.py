"""Probe mode: directional derivatives per tensor, the diagnosis's hypotheses tested on them, and group testing."""

from __future__ import annotations

from typing import Any, Callable, NamedTuple

import numpy as np

from . import numdiff
from .compare import SAFETY, tolerance
from .diagnosis import entry_index, locate

PROBES = 8  # random directions per tensor
LOCATE_EVALUATIONS = 300  # loss evaluations group testing may spend on one tensor
MAX_LOCATED = 16  # wrong entries group testing follows before it calls the error spread
MISS_PER_PROBE = 0.08  # P(|N(0, s²)| < s/10): one probe missing an error ten times its tolerance
GUARANTEE = ("probe mode: each tensor was checked along {probes} random Gaussian directions w; an error e in a "
             "gradient changes each slope by N(0, ‖w⊙e‖²), so an error whose size ‖max(1,|x|)⊙e‖ is ten times "
             "the slope tolerance (detail 'catches_error_norm') is caught with probability ≥ 1 − {miss:.1e}; smaller "
             "errors may pass, and the indices of wrong entries come from group testing; mode='full' checks every entry")


class Directional:
    """Slopes of the loss along whole-tensor directions: central differences, refined by Richardson."""

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
        left, right, kink = numdiff.one_sided(self.f0, first.plus, first.minus, plus, minus, self.t, self.noise)
        low, high = (min(left, right), max(left, right)) if kink else (value, value)
        return Slope(float(value), float(truncation) + 2 * self.noise / self.t, float(low), float(high), plus, minus)

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

    def admits(self, slope: float, tol: float) -> bool:
        return self.low - tol <= slope <= self.high + tol


class ProbeEvidence:
    """What probe mode measured for one tensor: its slopes along K random directions.

    A candidate gradient c matches when ⟨c, w_j⟩ equals every measured slope
    within its tolerance; the same hypotheses the full check tests entry by
    entry are tested here on the K slopes.
    """

    def __init__(self, shape, W, slopes: list[Slope], dtype, rtol, atol, locator: Callable[[], tuple[str, dict]]):
        self.shape = tuple(shape)
        self.W = W
        self.n = np.array([s.value for s in slopes])
        self.err = np.array([s.error for s in slopes])
        self.low = np.array([s.low for s in slopes])
        self.high = np.array([s.high for s in slopes])
        self.dtype, self.rtol, self.atol = dtype, rtol, atol
        self.locator = locator
        self.located: tuple[str, dict] | None = None

    def tol(self, candidate: np.ndarray) -> np.ndarray:
        rounding = np.abs(self.W) @ np.abs(candidate.reshape(-1))
        return tolerance(self.n, self.err, self.dtype, self.rtol, self.atol, scale=rounding)

    def matches(self, candidate: np.ndarray) -> bool:
        c = np.asarray(candidate, dtype=np.float64)
        if c.shape != self.shape:
            return False
        projected, tol = self.W @ c.reshape(-1), self.tol(c)
        return bool(np.all((projected >= self.low - tol) & (projected <= self.high + tol)))

    def wrong(self, analytic: np.ndarray) -> bool:
        return not self.matches(analytic)

    def loss_ignores(self) -> bool:
        return bool(np.all(np.abs(self.n) <= SAFETY * self.err))

    def scale(self, analytic: np.ndarray) -> tuple[float, int]:
        tol = self.tol(analytic)
        significant = np.abs(self.n) > tol
        n = self.n[significant]
        a = (self.W @ analytic.reshape(-1))[significant]
        return (float(np.dot(a, n) / np.dot(n, n)) if n.size else 0.0), int(n.size)

    def matches_scaled(self, analytic: np.ndarray, k: float) -> bool:
        return bool(np.all(np.abs(self.W @ analytic.reshape(-1) - k * self.n) <= abs(k) * self.tol(analytic)))

    def where(self) -> tuple[str, dict[str, Any]]:
        if self.located is None:
            self.located = self.locator()
        return self.located

    def guarantee(self) -> dict[str, Any]:
        """The error size these probes catch, and with what probability."""
        tol = float(np.median(self.tol(np.zeros(self.shape)))) if self.n.size else 0.0
        return {"probes": int(self.n.size), "catches_error_norm": 10 * tol,
                "miss_probability": MISS_PER_PROBE ** int(self.n.size)}


def measure(directional: Directional, analytic: np.ndarray | None, rng: np.random.Generator, count: int,
            dtype, rtol, atol) -> tuple[np.ndarray, list[Slope]]:
    """K directions and the loss's slope along each; a slope that disagrees with the analytic one gets a second look."""
    W = np.stack([directional.direction(rng) for _ in range(count)])
    slopes = [directional.slope(w) for w in W]
    for j, w in enumerate(W):
        if analytic is None or _disagrees(analytic @ w, np.abs(analytic) @ np.abs(w), slopes[j], dtype, rtol, atol):
            slopes[j] = directional.refine(w, slopes[j])
    return W, slopes


def _disagrees(a: float, scale: float, slope: Slope, dtype, rtol, atol) -> bool:
    return not slope.admits(a, float(tolerance(slope.value, slope.error, dtype, rtol, atol, scale=scale)))


def localize(directional: Directional, analytic: np.ndarray, shape, rng: np.random.Generator, dtype, rtol, atol,
             budget: int = LOCATE_EVALUATIONS) -> tuple[str, dict[str, Any]]:
    """Adaptive group testing: halve the groups whose slope disagrees until single entries remain.

    k wrong entries among P take about 2·k·log2(P) probes. Stops, and says so,
    when the budget of loss evaluations runs out or more than MAX_LOCATED
    groups disagree at once (the error is spread, not local).
    """
    start = directional.evaluations
    groups = [np.arange(analytic.size)]
    found: list[int] = []
    reason = None
    while groups:
        if directional.evaluations - start >= budget:
            reason = f"the budget of {budget} loss evaluations ran out"
            break
        if len(groups) + len(found) > MAX_LOCATED:
            reason = f"more than {MAX_LOCATED} groups disagree at once: the error is spread, not local"
            break
        next_groups = []
        for group in groups:
            if group.size == 1:
                found.append(int(group[0]))
                continue
            for half in np.array_split(group, 2):
                w = directional.direction(rng, half)
                a, scale = float(analytic[half] @ w[half]), float(np.abs(analytic[half]) @ np.abs(w[half]))
                slope = directional.slope(w)
                if _disagrees(a, scale, slope, dtype, rtol, atol):
                    if _disagrees(a, scale, directional.refine(w, slope), dtype, rtol, atol):
                        next_groups.append(half)
        groups = next_groups
    spent = directional.evaluations - start
    mask = np.zeros(analytic.size, bool)
    mask[found] = True
    if reason is None:
        where, detail = locate(mask.reshape(shape)) if found else ("no single entry located", {})
        detail.update(located=True, locate_evaluations=spent)
        return f"{where} (located by group testing in {spent} loss evaluations)", detail
    detail = {"located": False, "locate_evaluations": spent,
              "indices": [list(entry_index(i, shape)) for i in found[:5]]}
    part = f"; located so far: {len(found)} entries" if found else ""
    return f"not located: {reason}{part} (a full check, mode='full', lists every wrong entry)", detail
