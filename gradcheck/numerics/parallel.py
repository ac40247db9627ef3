"""Parallel workers for full mode: forked processes that share the objectives, one BLAS thread each."""

from __future__ import annotations

import collections
import contextlib
import ctypes
import multiprocessing as mp
from typing import Callable, Iterator, Sequence

import numpy as np
from threadpoolctl import threadpool_limits

from ..errors import EvaluationFailed
from . import numdiff
from .objective import Objective

_IN_FLIGHT = 2  # tasks per worker sent ahead: enough to keep it busy, few enough that samples do not pile up
_CHUNK = 16384  # the most entries one task carries: the parent holds a few tasks' samples, not a parameter's
MIN_ENTRIES = 512  # fewer entries than this are measured in one process: forking costs more than it saves

# What the pool's initializer hands each worker process: its objectives.
_inherited: dict = {}


def one_blas_thread() -> Callable[[], None]:
    """Limit this process (and the children it forks) to one BLAS thread, as processes sharing the cores must;
    returns what sets the limits back."""
    return threadpool_limits(1).restore_original_limits


def _start_worker(objectives: Sequence[Objective | None]) -> None:
    """Pool initializer: the objectives this worker evaluates (its one BLAS thread it inherits from the parent)."""
    _inherited["objectives"] = objectives


def _sample_chunk(task) -> tuple[int, np.ndarray]:
    which, index, start, stop, steps, offsets = task
    objective = _inherited["objectives"][which]
    try:  # the chunk is a view of the buffer: moving its entries moves the parameter's
        return start, numdiff.sample_axes(objective, objective.flat[index][start:stop], steps, offsets)
    except EvaluationFailed as exc:
        raise EvaluationFailed(exc.index + start, exc.offset, exc.cause) from exc.cause


class WorkerPool:
    """Forked workers that sample one parameter's entries in chunks, in order."""

    def __init__(self, pool, objectives: Sequence[Objective | None], workers: int) -> None:
        self._pool, self._objectives, self.workers = pool, tuple(objectives), workers

    def sample_parts(self, objective: Objective, index: int, steps: Callable[[slice], np.ndarray], offsets,
                     progress: Callable[[int], None] | None = None
                     ) -> Iterator[tuple[slice, np.ndarray, np.ndarray]]:
        """The samples of :func:`numdiff.sample_axes` over every entry of parameter ``index``, chunk by chunk in
        order: ``(part, steps, samples)``, where ``steps(part)`` gives a part's steps. Each task carries its
        chunk's steps and returns its chunk's samples; two tasks per worker are in flight at a time."""
        which = next(i for i, o in enumerate(self._objectives) if o is objective)
        size = objective.flat[index].size
        chunk = min(max(256, -(-size // (4 * self.workers))), _CHUNK)
        flight: collections.deque = collections.deque()
        for start in range(0, size, chunk):
            part = slice(start, min(start + chunk, size))
            task = (which, index, part.start, part.stop, steps(part), offsets)
            flight.append((part, self._pool.apply_async(_sample_chunk, (task,))))
            if len(flight) > _IN_FLIGHT * self.workers:
                yield self._collect(flight, steps, progress)
        while flight:
            yield self._collect(flight, steps, progress)

    @staticmethod
    def _collect(flight: collections.deque, steps: Callable[[slice], np.ndarray],
                 progress: Callable[[int], None] | None) -> tuple[slice, np.ndarray, np.ndarray]:
        """The oldest task's ``(part, steps, samples)``, once it is done."""
        part, result = flight.popleft()
        samples = result.get()[1]
        if progress is not None:
            progress(samples.shape[1])
        return part, steps(part), samples


def _release_free_memory() -> None:
    """Give the C heap's free pages back to the system before forking (glibc's ``malloc_trim``; elsewhere nothing).

    Pages the parent freed but kept (arrays of the analytic gradient's first calls) are inherited by every
    worker; when the parent then reuses them for its own arrays, each write copies the page, and the workers go
    on holding the old contents: a parameter's size or two of garbage for the whole run.
    """
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (AttributeError, OSError):
        pass


@contextlib.contextmanager
def worker_pool(objectives: Sequence[Objective | None], workers: int, total: int) -> Iterator[WorkerPool | None]:
    """A pool of forked workers sharing ``objectives``, or None when one process will do (or fork is missing)."""
    if workers <= 1 or total < MIN_ENTRIES or "fork" not in mp.get_all_start_methods():
        yield None
        return
    # The BLAS limit is set once here, before the workers fork, and they inherit it: set in each worker, the
    # library scan costs about 0.1 s of CPU, more than a small check saves.
    restore = one_blas_thread()
    _release_free_memory()
    try:
        with mp.get_context("fork").Pool(workers, initializer=_start_worker, initargs=(tuple(objectives),)) as pool:
            yield WorkerPool(pool, objectives, workers)
    finally:
        restore()
