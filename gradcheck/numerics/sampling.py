"""Sampling the loss along coordinate axes at the point of a check, in this process or in workers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, Sequence

import numpy as np

from ..errors import CheckError, EvaluationFailed, loss_not_finite, user_code_raised
from ..indexing import entry_label
from ..options import CheckOptions
from . import numdiff
from .analytic import Float64Gradients
from .compare import chunks
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

    def steps(self, index: int, method: str, part: slice = slice(None)) -> np.ndarray:
        """The per-entry steps of parameter ``index`` (its entries ``part``) for ``method``: the option ``eps``, or
        the noise-aware rule, worked out a chunk at a time so that its scratch stays small."""
        flat = self.real.flat[index][part]
        if self.options.eps is not None:
            return np.full(flat.shape, self.options.eps, dtype=np.float64)
        dtype = self.real.dtype if method != "complex-step" else np.float64
        out = np.empty(flat.shape, dtype=np.float64)
        for part in chunks(flat.size):
            out[part] = numdiff.step_size(flat[part], dtype, method, self.relative_noise)
        return out

    def sample_parts(self, objective: Objective, index: int, name: str, method: str,
                     offsets: Sequence[complex]) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
        """Every entry of parameter ``index`` moved by each offset times its step for ``method``, a part of the
        entries at a time (in workers when there are): ``(part, steps, samples)``. No whole-parameter array of
        steps or samples is held; a loss that raises or is not finite is a CheckError naming the entry."""
        flat, shape = objective.flat[index], objective.buffers[index].shape
        advance = self.counter.advance if self.counter.progress is not None else None
        try:
            if self.pool is not None:
                for part, steps, samples in self.pool.sample_parts(objective, index, self.steps_of(index, method),
                                                                   offsets, advance):
                    self.counter.worker_evaluations += samples.size
                    yield part, steps, self._finite(samples, offsets, name, shape, part.start)
                return
            for part in chunks(flat.size):
                steps = self.steps(index, method, part)
                try:  # the part is a view of the buffer: moving its entries moves the parameter's
                    samples = numdiff.sample_axes(objective, flat[part], steps, offsets)
                except EvaluationFailed as exc:
                    raise EvaluationFailed(exc.index + part.start, exc.offset, exc.cause) from exc.cause
                if advance is not None:
                    advance(part.stop - part.start)
                yield part, steps, self._finite(samples, offsets, name, shape, part.start)
        except EvaluationFailed as exc:
            raise evaluation_error(exc, name, shape) from exc.cause

    def steps_of(self, index: int, method: str) -> Callable[[slice], np.ndarray]:
        """``steps(part)``: :meth:`steps` of parameter ``index``'s entries ``part``."""
        return lambda part: self.steps(index, method, part)

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
                steps = np.asarray(steps)
                samples = np.concatenate([part for _, _, part in self.pool.sample_parts(
                    objective, index, lambda part: steps[part], offsets, advance)], axis=1)
                self.counter.worker_evaluations += samples.size
            else:
                samples = numdiff.sample_axes(objective, flat, steps, offsets, indices,
                                              advance if indices is None else None, lenient)
        except EvaluationFailed as exc:
            raise evaluation_error(exc, name, shape) from exc.cause
        if lenient:
            return np.where(~np.isfinite(samples), np.nan, samples)
        return self._finite(samples, offsets, name, shape, 0, indices)

    @staticmethod
    def _finite(samples: np.ndarray, offsets, name: str, shape, first: int, indices=None) -> np.ndarray:
        """``samples``, or the CheckError for the first that is not finite (column j is entry ``first + j``, or
        ``indices[j]``)."""
        bad = ~np.isfinite(samples)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            entry = entry_label(indices[col] if indices is not None else first + col, shape)
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
