"""Sampling the loss along coordinate axes at the point of a check, in this process or in workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from ..errors import CheckError, EvaluationFailed, loss_not_finite, user_code_raised
from ..indexing import entry_label
from ..options import CheckOptions
from . import numdiff
from .analytic import Float64Gradients
from .objective import Objective
from .parallel import WorkerPool


def evaluation_error(exc: EvaluationFailed, name: str, shape: tuple[int, ...]) -> CheckError:
    """The CheckError for a loss that raised with entry ``exc.index`` of ``name`` moved."""
    if isinstance(exc.cause, CheckError):
        return exc.cause
    where = f"entry {entry_label(exc.index, shape)} of {name!r}"
    return user_code_raised("loss", exc.cause, f"when {where} was moved by {exc.offset} step(s); the loss must be "
                            "defined near the given point")


@dataclass
class Counter:
    """Entries measured so far, reported as ``progress(done, total)``; and loss evaluations made in workers."""

    progress: Callable[[int, int], None] | None
    total: int
    done: int = 0
    worker_evaluations: int = 0

    def advance(self, entries: int) -> None:
        self.done += entries
        if self.progress is not None:
            self.progress(self.done, self.total)


@dataclass(frozen=True)
class Point:
    """Where a check measures: the objectives at the parameters, the loss's value and noise there, the options."""

    real: Objective
    complex: Objective | None
    f0: float
    noise: float
    options: CheckOptions
    method: str  # the method the plan settled on: central, richardson or complex-step
    float64: Float64Gradients
    counter: Counter
    gradients_at: Callable[[Sequence[np.ndarray]], list] = field(repr=False)  # the user's gradients elsewhere
    pool: WorkerPool | None = field(default=None, repr=False)

    @property
    def relative_noise(self) -> float:
        return self.noise / abs(self.f0) if self.f0 else 0.0

    def steps(self, index: int, method: str) -> np.ndarray:
        """The per-entry steps of parameter ``index`` for ``method``: the option ``eps``, or the noise-aware rule."""
        flat = self.real.flat[index]
        if self.options.eps is not None:
            return np.broadcast_to(np.asarray(self.options.eps, dtype=np.float64), flat.shape).copy()
        dtype = self.real.dtype if method != "complex-step" else np.float64
        return numdiff.step_size(flat, dtype, method, self.relative_noise)

    def sample(self, objective: Objective, index: int, name: str, steps: np.ndarray, offsets: Sequence[complex],
               indices: np.ndarray | None = None, lenient: bool = False) -> np.ndarray:
        """The loss with each entry (all, or ``indices``) of parameter ``index`` moved by each offset times its step.

        Every entry is counted as measured when all are sampled; a loss that
        raises or is not finite is a CheckError naming the entry (with
        ``lenient``, for steps the check could do without, a NaN sample).
        """
        flat, shape = objective.flat[index], objective.buffers[index].shape
        advance = self.counter.advance if self.counter.progress is not None else None
        try:
            if self.pool is not None and indices is None:
                samples = self.pool.sample_axes(objective, index, steps, offsets, advance)
                self.counter.worker_evaluations += samples.size
            else:
                samples = numdiff.sample_axes(objective, flat, steps, offsets, indices,
                                              advance if indices is None else None, lenient)
        except EvaluationFailed as exc:
            raise evaluation_error(exc, name, shape) from exc.cause
        bad = ~np.isfinite(samples)
        if lenient:
            return np.where(bad, np.nan, samples)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            entry = entry_label(indices[col] if indices is not None else col, shape)
            raise loss_not_finite(samples[row, col], f"when entry {entry} of {name!r} is moved by {offsets[row]} "
                                  "step(s); the loss must be finite near the given point")
        return samples

    def sampler(self, objective: Objective, index: int, name: str, indices: np.ndarray) -> Callable[..., np.ndarray]:
        """``sample(steps, offsets, which=all)``: the loss at entries ``indices[which]`` moved by each offset times
        their ``steps``, NaN where it is not defined (the stepsearch ladder's sampler)."""
        size = objective.flat[index].size

        def sample(steps, offsets, which=slice(None)):
            full = np.zeros(size)
            full[indices[which]] = steps
            return self.sample(objective, index, name, full, offsets, indices[which], lenient=True)
        return sample

    def refine(self, index: int, name: str, steps: np.ndarray, indices: np.ndarray, fplus: np.ndarray,
               fminus: np.ndarray, slope: np.ndarray, f0: float | None = None) -> numdiff.Refined:
        """:func:`numdiff.refine` on the real objective (whose value where it stands is ``f0``), failures named."""
        try:
            return numdiff.refine(self.real, self.real.flat[index], steps, indices, self.f0 if f0 is None else f0,
                                  fplus, fminus, self.noise, slope)
        except EvaluationFailed as exc:
            raise evaluation_error(exc, name, self.real.buffers[index].shape) from exc.cause
