"""A nearby point: where the loss is not differentiable at the point, the gradient is checked a little way off it.

At a kink (a ReLU whose input is exactly 0, a max over ties) the gradient a
backward computes is a convention, such as relu'(0) = 0, and when several
kinks meet at the point it may lie outside the one-sided derivatives of the
coordinate. The code is then checked where its gradient is defined: every
entry moved by a seeded random 2⁻¹¹ to 2⁻¹⁰ of itself, far beyond a float64
loss's steps, so that the kinks lie well away from the steps taken there.
(float32's larger steps may cross them there too: there each entry is
measured at its own best step, and an entry or direction the loss is not
smooth at there either is left unjudged rather than called wrong.)
"""

from __future__ import annotations

import numpy as np

from ..errors import CheckError
from .compare import tolerance
from .directional import Directional
from .sampling import Point
from .stepsearch import ladder

SHIFT = 2.0 ** -10  # the move of every entry, relative to max(1, |entry|)


class Nearby:
    """The check's point moved a little way off it, and the user's gradients there; a context that moves back."""

    def __init__(self, point: Point) -> None:
        self.point = point
        self.objective = point.real
        self.available = False

    def __enter__(self) -> Nearby:
        objective = self.objective
        rng = np.random.default_rng([self.point.options.seed, 2 ** 31 - 1])
        self._start = [b.copy() for b in objective.buffers]
        for buffer, x in zip(objective.buffers, self._start):
            # of random size, not ±1: integer data and weights would let moves of one size cancel into a tie
            # again; at least half the shift, so that no entry stays near where it was
            size = rng.uniform(0.5, 1.0, x.shape) * rng.choice((-1.0, 1.0), x.shape)
            buffer[...] = x + SHIFT * np.maximum(1.0, np.abs(x)) * size
        try:
            self.f0 = float(objective())
            arrays = [b.astype(a.dtype) for b, a in zip(objective.buffers, objective.params.arrays)]
            self.analytic = self.point.gradients_at(arrays)
            self.available = bool(np.isfinite(self.f0)) and len(self.analytic) == len(arrays)
        except Exception:  # the loss or the gradient fails off the point: no second opinion from here
            self.available = False
        return self

    def __exit__(self, *exc) -> None:
        for buffer, x in zip(self.objective.buffers, self._start):
            buffer[...] = x

    def gradient(self, index: int) -> np.ndarray | None:
        """The user's gradient of parameter ``index`` at the nearby point, flat in float64, when it has the shape."""
        if not self.available:
            return None
        g = self.analytic[index]
        if g is None or g.size != self.objective.flat[index].size or not np.all(np.isfinite(g)):
            return None
        return np.asarray(g, dtype=np.float64).reshape(-1)

    def entries_agree(self, index: int, name: str, indices: np.ndarray, a_dtype) -> tuple[np.ndarray, np.ndarray]:
        """Which of the entries ``indices`` have a right gradient at the nearby point, and which were measured
        cleanly enough there to tell (the rest cross kinks there too, as float32's large steps do)."""
        g = self.gradient(index)
        nothing = np.zeros(indices.size, dtype=bool)
        if g is None:
            return nothing, ~nothing
        point = self.point
        options, scale = point.options, float(np.max(np.abs(g), initial=0.0))
        try:
            if point.method == "richardson":
                return self._own_steps_agree(index, name, indices, g, a_dtype, scale)
            h = point.steps(index, "central")
            fplus, fminus = point.sample(self.objective, index, name, h, (1, -1), indices)
            refined = point.refine(index, name, h, indices, fplus, fminus, g[indices], f0=self.f0)
            value, error = refined.value, refined.error
        except CheckError:
            return nothing, ~nothing
        tol = tolerance(value, error, a_dtype, options.rtol, options.atol, scale=scale)
        smooth = ~refined.rough & (np.abs(g[indices] - value) <= tol)
        # A kink within h/2 of the nearby point, which lies on one side of it: the gradient is that side's slope.
        side = (np.abs(g[indices] - refined.left) <= tol) | (np.abs(g[indices] - refined.right) <= tol)
        one_side = refined.kink & side
        # A kink may still lie between h/2 and h of the nearby point, spoiling the step h and so Richardson's
        # value: the central difference at h/2 alone, which does not reach it, must then agree within rounding.
        half = (refined.left + refined.right) / 2
        tol_half = tolerance(half, 2 * point.noise / h[indices], a_dtype, options.rtol, options.atol, scale=scale)
        agree = smooth | one_side | (np.abs(g[indices] - half) <= tol_half)
        return agree, agree | ~refined.rough

    def _own_steps_agree(self, index: int, name: str, indices: np.ndarray, g: np.ndarray, a_dtype,
                         scale: float) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`entries_agree` for a loss computed in low precision: each entry at its own best step
        (:mod:`.stepsearch`), which a kink a little way off the nearby point does not reach; an entry the loss is
        not smooth at there either cannot tell."""
        point = self.point
        hr = point.steps(index, "richardson")

        sample = point.sampler(self.objective, index, name, indices)
        rows = point.sample(self.objective, index, name, hr, (1, -1, 0.5, -0.5), indices)
        found = ladder(sample, hr[indices], *rows, point.noise)
        told = found.smooth(self.f0, point.noise, sample) & np.isfinite(found.value)
        tol = tolerance(found.value, found.error, a_dtype, point.options.rtol, point.options.atol, scale=scale)
        return told & (np.abs(g[indices] - found.value) <= tol), told

    def slope_agrees(self, index: int, w: np.ndarray, a_dtype) -> bool | None:
        """Whether the gradient at the nearby point agrees with the loss's slope there along the direction ``w``;
        None when the slope there is not smooth either and cannot tell."""
        g = self.gradient(index)
        if g is None:
            return False
        point = self.point
        near = Directional(self.objective, self.objective.flat[index], self.f0, point.noise, point.real.dtype,
                           point.relative_noise)
        try:
            refined = near.refine(w, near.slope(w))
        except Exception:  # the loss fails along the direction off the point: no second opinion
            return False
        a, scale = float(g @ w), float(np.abs(g) @ np.abs(w))
        rtol, atol = point.options.rtol, point.options.atol
        tol = float(tolerance(refined.value, refined.error, a_dtype, rtol, atol, scale=scale))
        half = (refined.plus - refined.minus) / near.t  # the central difference at t/2, as in entries_agree
        tol_half = float(tolerance(half, 2 * point.noise / near.t, a_dtype, rtol, atol, scale=scale))
        # the refined slope, or at a kink that still lies within t/2 of the nearby point, the slope of the side the
        # nearby point is on: one of the two one-sided slopes, not anything between them
        if abs(a - refined.low) <= tol or abs(a - refined.high) <= tol or abs(a - half) <= tol_half:
            return True
        return None if refined.rough else False
