"""Checking: the analytic gradient against finite differences, parameter by parameter, into a Report."""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import time
from dataclasses import replace
from typing import Any, Callable

import numpy as np
from threadpoolctl import threadpool_limits

from . import compare as cmp
from . import diagnosis as dg
from . import numdiff, probe
from .errors import CheckError, EvaluationFailed, GradientError
from .params import Params, as_params
from .report import ParamResult, Report

_NOISE_POINTS = 9  # samples for the noise estimate: f at x + j·s, j = -4 … 4
_NOISE_SHIFT = 1e-6  # s, relative to each entry: above the resolution of a loss computed in float32 inside,
# small enough that the smooth part of the loss vanishes from the high differences
_AMBIGUOUS = 4.0  # a refined difference within this many tolerances is judged by its convergence order
MODES = ("auto", "full", "probe")
BUDGET = 5.0  # seconds a full check may take before "auto" probes instead
_PARALLEL_SECONDS = 2.0  # a full check estimated longer than this uses every core by default
_PARALLEL_MIN_ENTRIES = 512


def _scalar(value: Any, what: str, allow_complex: bool = False) -> complex:
    if type(value) is float:
        return value
    if isinstance(value, np.floating) and not allow_complex:
        return float(value)
    if isinstance(value, (str, bytes)) or value is None:
        raise CheckError(f"{what} returned {value!r}; expected a scalar: a float or a 0-d/size-1 array",
                         expected="scalar", found=type(value).__name__)
    try:
        array = np.asarray(value)
    except Exception as exc:
        raise CheckError(f"{what} returned a {type(value).__name__}; expected a float or a 0-d/size-1 array",
                         expected="scalar", found=type(value).__name__) from exc
    if array.size != 1 or array.dtype.kind not in "fiucb":
        found = f"an array of shape {array.shape}" if array.size != 1 else f"a {array.dtype} value"
        raise CheckError(f"{what} returned {found}; expected a scalar loss: a float or a 0-d/size-1 array "
                         "(sum or average it)", expected="scalar", found=f"shape {array.shape}, dtype {array.dtype}")
    item = array.reshape(()).item()
    if isinstance(item, complex) and not allow_complex:
        return item.real
    return item


class _Objective:
    """The loss as a function of private buffers: calling it evaluates the loss where the buffers stand."""

    def __init__(self, loss: Callable, params: Params, dtype, returns_grad: bool) -> None:
        self.loss = loss
        self.params = params
        self.buffers = params.copies(dtype)
        self.flat = [b.reshape(-1) for b in self.buffers]
        self.structure = params.builder(self.buffers)
        self.returns_grad = returns_grad
        self.complex = np.dtype(dtype or np.float64).kind == "c"
        self.dtype = np.result_type(*self.buffers)
        self.calls = 0
        self.reference = [b.copy() for b in self.buffers]
        self.protect = False

    def guard(self) -> dict[str, str]:
        """Parameters the loss changed in place since the last look: restore them and hand out copies from now on."""
        changed = {}
        for name, b, ref in zip(self.params.names, self.buffers, self.reference):
            if not np.array_equal(b, ref, equal_nan=True):
                changed[name] = f"loss writes into the parameter {name!r} it is given (an in-place update)"
                b[...] = ref
        self.protect = self.protect or bool(changed)
        return changed

    def __call__(self) -> complex:
        self.calls += 1
        out = self.loss(self.params.build([b.copy() for b in self.buffers]) if self.protect else self.structure())
        if self.returns_grad:
            out = _split(out)[0]
        return _scalar(out, "loss", self.complex)


def _split(out: Any) -> tuple[Any, Any]:
    if not (isinstance(out, tuple) and len(out) == 2):
        raise CheckError(f"loss returned {type(out).__name__}; with grad=None it must return (value, grads), "
                         "the loss and its gradients together", expected="(value, grads)", found=type(out).__name__)
    return out


def _call(fn: Callable, arg: Any, what: str) -> Any:
    try:
        return fn(arg)
    except CheckError:
        raise
    except Exception as exc:
        raise CheckError(f"{what} raised {type(exc).__name__}: {exc} (at the given parameters)",
                         expected="a value", found=repr(exc)) from exc


def _entry(flat_index: int, shape: tuple[int, ...]):
    """An entry as the user indexes it: a number for a vector, a tuple for more axes."""
    return dg.entry_index(flat_index, shape) if len(shape) > 1 else int(flat_index)


def _evaluation_error(exc: EvaluationFailed, name: str, shape: tuple[int, ...]) -> CheckError:
    if isinstance(exc.cause, CheckError):
        return exc.cause
    entry = _entry(exc.index, shape)
    return CheckError(f"loss raised {type(exc.cause).__name__}: {exc.cause} when entry {entry} of {name!r} "
                      f"was moved by {exc.offset} step(s); the loss must be defined near the given point",
                      expected="a value", found=repr(exc.cause))


def _analytic(loss, grad, params: Params, dtype=None, mutations: dict[str, str] | None = None) -> tuple[list, dict]:
    """The analytic gradients, computed on copies and copied out, so nothing the user's code does later changes them.

    With ``mutations``, records by parameter name how the code misbehaved: it
    wrote into the parameters it was given, returned a view of them as a
    gradient, or returned a buffer that a later call overwrites.
    """
    fn, what = (loss, "loss") if grad is None else (grad, "grad")

    def call():
        inputs = params.copies(dtype)
        out = _call(fn, params.build(inputs), what)
        found, extra = params.read_grads(_split(out)[1] if grad is None else out, what)
        return inputs, found, extra

    inputs, found, extra = call()
    if mutations is not None:
        for name, before, after, g in zip(params.names, params.arrays, inputs, found):
            if not np.array_equal(np.asarray(before, dtype=after.dtype), after, equal_nan=True):
                mutations[name] = f"{what} writes into the parameter {name!r} it is given (an in-place update)"
            elif g is not None and any(np.shares_memory(g, x) for x in inputs):
                mutations[name] = f"{what} returns a view of its input as the gradient of {name!r}"
        kept = [None if g is None else g.copy() for g in found]
        call()  # a second call shows whether the first call's arrays are buffers that get overwritten
        for name, g, copy in zip(params.names, found, kept):
            if g is not None and name not in mutations and not np.array_equal(g, copy, equal_nan=True):
                mutations[name] = (f"{what} returns a buffer as the gradient of {name!r} and overwrites it on the "
                                   "next call; return a new array (or a copy)")
    return [None if g is None else g.copy() for g in found], {k: v.copy() for k, v in extra.items()}


def _objective(loss, params: Params, returns_grad: bool) -> tuple[_Objective, float, list[str]]:
    """The objective in float64 where the loss allows it, else in the parameters' own dtypes."""
    notes = []
    native = np.result_type(*params.arrays)
    candidates = [np.float64, None] if native != np.float64 else [None]
    for dtype in candidates:
        obj = _Objective(loss, params, dtype, returns_grad)
        try:
            f0 = obj()
        except CheckError:
            if dtype is None:
                raise
            continue
        except Exception as exc:
            if dtype is None:
                raise CheckError(f"loss raised {type(exc).__name__}: {exc} (at the given parameters)",
                                 expected="a value", found=repr(exc)) from exc
            continue
        if not np.isfinite(f0):
            if dtype is None:
                raise CheckError(f"loss is {f0} at the given parameters; a gradient can only be checked where "
                                 "the loss is finite: look for log(0), an overflow or a division by zero",
                                 expected="a finite loss", found=f0)
            continue
        if dtype is np.float64 and native != np.float64:
            notes.append(f"the loss was evaluated in float64 for the numerical side (parameters are {native})")
        elif native != np.float64:
            notes.append(f"the loss does not accept float64 parameters; differences taken in {native}")
        return obj, float(f0), notes
    raise AssertionError("unreachable")


def _noise(obj: _Objective, f0: float, rng: np.random.Generator) -> tuple[float, float]:
    """The loss's noise level near the point, and the median seconds one evaluation takes."""
    eps = np.finfo(obj.dtype).eps
    originals = [b.copy() for b in obj.buffers]
    shift = max(_NOISE_SHIFT, 64 * eps)
    shifts = [shift * np.maximum(1.0, np.abs(b)) * rng.choice((-1.0, 1.0), b.shape) for b in originals]
    values, seconds = [], []
    try:
        for j in range(-(_NOISE_POINTS // 2), _NOISE_POINTS // 2 + 1):
            if j == 0:
                values.append(f0)
                continue
            for b, o, s in zip(obj.buffers, originals, shifts):
                np.add(o, j * s, out=b, casting="unsafe")
            start = time.perf_counter()
            values.append(obj())
            seconds.append(time.perf_counter() - start)
    finally:
        for b, o in zip(obj.buffers, originals):
            b[...] = o
    return max(numdiff.noise_level(values), eps * abs(f0)), float(np.median(seconds))


def _complex_objective(loss, params: Params, returns_grad: bool, f0: float, real: _Objective) -> _Objective | None:
    """A complex objective when the loss is analytic in its parameters: complex in, complex out, same slope."""
    obj = _Objective(loss, params, np.complex128, returns_grad)
    try:
        value = obj()
    except Exception:
        return None
    if not isinstance(value, complex) or not np.isfinite(value) or abs(value.real - f0) > 1e-8 * max(1.0, abs(f0)):
        return None
    # The loss must also be analytic: its complex-step slope along one
    # coordinate must agree with a central difference there.
    flat_c, flat_r = next(((c, r) for c, r in zip(obj.flat, real.flat) if c.size), (None, None))
    if flat_c is None:
        return obj
    h, hc = numdiff.step_size(flat_r[:1]), numdiff.step_size(flat_c[:1], method="complex-step")
    try:
        slope_c = numdiff.sample_axes(obj, flat_c, hc, (1j,), [0])[0, 0].imag / hc[0]
        fr = numdiff.sample_axes(real, flat_r, h, (1, -1), [0])
    except Exception:
        return None
    slope_r = numdiff.central(fr[0], fr[1], h)[0]
    # Central differences are good to about 1e-8 relative; a complex step that misses by more is not analytic.
    return obj if abs(slope_c - slope_r) <= 1e-5 * abs(slope_r) + 1e-8 * max(1.0, abs(f0)) else None


def _repeatability(obj: _Objective, f0: float, analytic: list) -> str | None:
    """None when the loss gives the same value twice at one point, or differs too little to matter; else why not."""
    try:
        again = obj()
    except CheckError:
        raise
    except Exception as exc:
        raise CheckError(f"loss raised {type(exc).__name__}: {exc} when called a second time at the given parameters "
                         "(it succeeded the first time): the loss must give the same value for the same point",
                         expected="a value", found=repr(exc)) from exc
    if not np.isfinite(again):
        raise CheckError(f"loss is {again} when called a second time at the given parameters (it was {f0} the first "
                         "time): the loss must give the same value for the same point", expected="a finite loss",
                         found=again)
    if again == f0:
        return None
    step = float(np.finfo(obj.dtype).eps ** (1 / 3))
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


def _refusal(p: Params, analytic: list, evaluations: int, why: str, notes: list) -> Report:
    results = tuple(ParamResult(name, False, dg.NOISY_LOSS, a.shape, None if g is None else tuple(np.shape(g)),
                                a.size, 0, float("nan"), float("nan"), why, {"refused": True})
                    for name, a, g in zip(p.names, p.arrays, analytic))
    return Report(results, "none", evaluations, "full", None, tuple(notes), "no verdict: the loss is not deterministic")


def _mutated(result: ParamResult, how: str) -> ParamResult:
    """The result of a parameter whose code changed it in place: the finding first, the clean check after."""
    found = "its gradient is right" if result.ok else f"its gradient is {result.kind}: {result.hint}"
    hint = f"{how}; checked on a clean copy, {found}"
    return replace(result, ok=False, kind=dg.MUTATES_PARAMS, hint=hint,
                   detail={**result.detail, "gradient_kind": result.kind})


def check(
    loss: Callable,
    grad: Callable | None,
    params: Any,
    *,
    method: str = "central",
    eps: float | None = None,
    rtol: float | None = None,
    atol: float = 0.0,
    seed: int = 0,
    batch_size: int | None = None,
    mode: str = "auto",
    budget: float = BUDGET,
    probes: int = probe.PROBES,
    workers: int | None = None,
    time_limit: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Compare the analytic gradient of ``loss`` with finite differences, parameter by parameter.

    ``loss(params)`` returns a scalar; ``grad(params)`` returns gradients in the
    structure of ``params`` (a dict, one array, or a list of arrays). With
    ``grad=None``, ``loss`` returns ``(value, grads)``. ``method`` is
    "central", "richardson", "complex-step" or "auto"; ``eps`` fixes the
    step (default: per entry, from the dtype and magnitude); ``rtol`` and
    ``atol`` add to each entry's error estimate; ``batch_size`` lets the
    diagnosis name a missing mean. ``mode`` is "full" (every entry), "probe"
    (``probes`` random directions per tensor, at a cost independent of the
    parameter count) or "auto" (full when its estimated time is within
    ``budget`` seconds); ``workers`` processes share a full check (default:
    every core when it would take more than a few seconds, else one);
    ``time_limit`` (seconds) refuses up front a full check that could not
    finish in time; ``progress(done, total)`` is told how many entries have been measured.
    Returns a :class:`Report`; never raises for a wrong gradient, only
    :class:`CheckError` when the check cannot be made.
    """
    if method not in numdiff.METHODS:
        raise CheckError(f"method is {method!r}; expected one of {', '.join(numdiff.METHODS)}",
                         expected=numdiff.METHODS, found=method)
    if mode not in MODES:
        raise CheckError(f"mode is {mode!r}; expected one of {', '.join(MODES)}", expected=MODES, found=mode)
    if int(probes) < 1:
        raise CheckError(f"probes is {probes}; expected at least 1 direction per tensor", expected=">= 1", found=probes)
    p = as_params(params)
    returns_grad = grad is None
    mutations: dict[str, str] = {}
    analytic, extras = _analytic(loss, grad, p, mutations=mutations)
    real, f0, notes = _objective(loss, p, returns_grad)
    mutations.update(real.guard())
    rng = np.random.default_rng(seed)
    noisy = _repeatability(real, f0, analytic)
    if noisy is not None:
        return _refusal(p, analytic, real.calls, noisy, notes)
    try:
        noise, seconds = _noise(real, f0, rng)
    except Exception:  # the loss fails a few ulps away: let the per-entry pass name the entry
        noise, seconds = float(np.finfo(real.dtype).eps * abs(f0)), 0.0
        notes.append("the noise estimate failed (the loss raised near the point); rounding of the dtype assumed")
    if f0 and noise / abs(f0) > 1e3 * np.finfo(real.dtype).eps:
        notes.append(f"the loss's own noise, {noise / abs(f0):.2g} of its value, is far above the rounding of "
                     f"{real.dtype}: it computes in lower precision inside (or is noisy); steps and tolerances "
                     "follow that noise")
    total = sum(a.size for a in p.arrays)
    estimate = 2 * total * seconds
    chosen = mode
    cost = f"a full check is estimated at {estimate:.3g} s ({2 * total} loss evaluations of {1e3 * seconds:.3g} ms)"
    if mode == "full" and time_limit is not None and estimate > time_limit:
        raise CheckError(f"a full check of {total} entries would take about {estimate:.3g} s ({2 * total} loss "
                         f"evaluations of {1e3 * seconds:.3g} ms), over the time limit of {time_limit:g} s; "
                         "use mode='probe' (--mode probe), mode='auto', or a longer --timeout",
                         expected=f"<= {time_limit:g} s", found=f"{estimate:.3g} s")
    if mode == "auto":
        chosen = "full" if estimate <= min(budget, time_limit or budget) else "probe"
        reason = (f"auto: {'every entry' if chosen == 'full' else f'{probes} probe directions per tensor'}; {cost}, "
                  f"{'within' if chosen == 'full' else 'over'} the budget of {budget:g} s")
    else:
        reason = f"mode={mode!r} was asked for; {cost}"
    used, objc = method, None
    if chosen == "probe":
        used = "central"
        if method not in ("central", "auto"):
            notes.append(f"probe mode measures slopes by central differences with Richardson; method {method!r} "
                         "applies to full checks")
    elif method in ("auto", "complex-step"):
        objc = _complex_objective(loss, p, returns_grad, f0, real)
        if objc is None:
            if method == "complex-step":
                raise CheckError("method 'complex-step' needs a loss that accepts complex parameters and returns "
                                 "a complex value analytic in them; this loss does not: use method='central'",
                                 expected="a complex-analytic loss", found="a real-only loss")
            used = "central"
            notes.append("auto: the loss is not complex-analytic, central differences used")
        else:
            used = "complex-step"
            if method == "auto":
                notes.append("auto: the loss is complex-analytic, complex-step used")
    if workers is None:
        workers = (os.cpu_count() or 1) if chosen == "full" and estimate > _PARALLEL_SECONDS else 1
    state = _State(real, objc, f0, noise, eps, rtol, atol, batch_size, used,
                   lambda: _analytic(loss, grad, p, np.float64), chosen, int(probes), seed)
    if progress is not None:
        state.count_progress(progress, total)
    state.workers = int(workers) if chosen == "full" else 1
    with _pool(state, state.workers, total) as pool:
        state.pool = pool
        results = [state.check_param(i, name, a) for i, (name, a) in enumerate(zip(p.names, analytic))]
        moved = real.guard()
        if moved:  # the loss changed its parameters while perturbed: measure again on protected copies
            mutations.update(moved)
            results = [state.check_param(i, name, a) for i, (name, a) in enumerate(zip(p.names, analytic))]
    results = [_mutated(r, mutations[r.name]) if r.name in mutations else r for r in results]
    for name, g in extras.items():
        results.append(ParamResult(name, False, dg.SHAPE_MISMATCH, None, tuple(g.shape), int(g.size), int(g.size), 0.0, 0.0,
                                   f"grad returned {name!r}, which is not a parameter", {"extra": True}))
    if chosen == "probe":
        notes.append(probe.GUARANTEE.format(probes=probes, miss=probe.MISS_PER_PROBE ** probes))
    evaluations = real.calls + (objc.calls if objc else 0) + state.worker_calls
    return Report(tuple(results), used, evaluations, chosen, dg.across(results), tuple(notes), reason)


# The objectives a pool of forked workers evaluates; set just before the fork.
_WORKER_STATE: tuple[_Objective, _Objective | None] | None = None


def _one_thread_each() -> None:
    """Pool initializer: one BLAS thread per worker, so N workers use N cores instead of fighting over them."""
    global _LIMITS
    _LIMITS = threadpool_limits(1)


_LIMITS = None


def _sample_chunk(task):
    which, index, start, stop, steps, offsets = task
    real, objc = _WORKER_STATE
    obj = real if which == "real" else objc
    flat = obj.flat[index]
    aligned = np.zeros(flat.size)
    aligned[start:stop] = steps
    return numdiff.sample_axes(obj, flat, aligned, offsets, range(start, stop))


@contextlib.contextmanager
def _pool(state: "_State", workers: int, total: int):
    """A pool of forked workers sharing the objectives, or None when one process will do (or fork is missing)."""
    global _WORKER_STATE
    if workers <= 1 or total < _PARALLEL_MIN_ENTRIES or "fork" not in mp.get_all_start_methods():
        yield None
        return
    _WORKER_STATE = (state.real, state.objc)
    try:
        with mp.get_context("fork").Pool(workers, initializer=_one_thread_each) as pool:
            yield pool
    finally:
        _WORKER_STATE = None


class _State:
    """What a check keeps while it measures its parameters one by one."""

    def __init__(self, real, objc, f0, noise, eps, rtol, atol, batch_size, method, analytic64, mode, probes, seed):
        self.real, self.objc, self.f0, self.noise = real, objc, f0, noise
        self.eps, self.rtol, self.atol, self.batch_size, self.method = eps, rtol, atol, batch_size, method
        self.mode, self.probes, self.seed = mode, probes, seed
        self.relative_noise = noise / abs(f0) if f0 else 0.0
        self.pool = None
        self.workers = 1
        self.worker_calls = 0
        self._analytic64 = analytic64
        self._a64: list | None = None
        self.progress: Callable[[int], None] | None = None

    def count_progress(self, report: Callable[[int, int], None], total: int) -> None:
        done = 0

        def advance(n: int) -> None:
            nonlocal done
            done += n
            report(done, total)

        self.progress = advance

    def analytic64(self, index: int) -> np.ndarray | None:
        """The analytic gradient at float64 copies of the parameters, when grad accepts them."""
        if self._a64 is None:
            try:
                self._a64 = self._analytic64()[0]
            except Exception:
                self._a64 = []
        return self._a64[index] if index < len(self._a64) else None

    def _sample(self, obj, index, steps, offsets, name, indices=None) -> np.ndarray:
        flat, shape = obj.flat[index], obj.buffers[index].shape
        try:
            if self.pool is not None and indices is None:
                samples = self._sample_in_workers(obj, index, steps, offsets)
            else:
                samples = numdiff.sample_axes(obj, flat, steps, offsets, indices,
                                              None if indices is not None else self.progress)
        except EvaluationFailed as exc:
            raise _evaluation_error(exc, name, shape) from exc.cause
        bad = ~np.isfinite(samples)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            entry = _entry(indices[col] if indices is not None else col, shape)
            raise CheckError(f"loss is {samples[row, col]} when entry {entry} of {name!r} is moved by "
                             f"{offsets[row]} step(s); the loss must be finite near the given point",
                             expected="a finite loss", found=samples[row, col])
        return samples

    def _sample_in_workers(self, obj, index, steps, offsets) -> np.ndarray:
        """The same samples as sample_axes, taken by the pool in chunks of entries, in order."""
        which = "real" if obj is self.real else "complex"
        size = obj.flat[index].size
        chunk = max(256, -(-size // (4 * self.workers)))
        tasks = [(which, index, start, min(start + chunk, size), steps[start:start + chunk], offsets)
                 for start in range(0, size, chunk)]
        parts = []
        for task, part in zip(tasks, self.pool.imap(_sample_chunk, tasks)):
            parts.append(part)
            self.worker_calls += part.size
            if self.progress is not None:
                self.progress(task[3] - task[2])
        return np.concatenate(parts, axis=1)

    def _steps(self, flat: np.ndarray, method: str) -> np.ndarray:
        if self.eps is not None:
            return np.broadcast_to(np.asarray(self.eps, dtype=np.float64), flat.shape).copy()
        return numdiff.step_size(flat, self.real.dtype if method != "complex-step" else np.float64, method,
                                 self.relative_noise)

    def check_param(self, index: int, name: str, analytic: np.ndarray | None) -> ParamResult:
        if self.mode == "probe" and self.real.flat[index].size:
            return self.probe_param(index, name, analytic)
        real = self.real
        flat = real.flat[index]
        shape = real.buffers[index].shape
        if flat.size == 0:
            return ParamResult(name, analytic is not None and analytic.shape == shape,
                               dg.OK if analytic is not None and analytic.shape == shape else dg.SHAPE_MISMATCH,
                               shape, None if analytic is None else analytic.shape, 0, 0, 0.0, 0.0)
        h = self._steps(flat, "central")
        fplus = fminus = None
        if self.method == "complex-step":
            hc = self._steps(flat, "complex-step")
            samples = self._sample(self.objc, index, hc, (1j,), name)
            value = samples[0].imag / hc
            error = np.finfo(np.float64).eps * (np.abs(value) + 1e-300)
        elif self.method == "richardson":
            hr = self._steps(flat, "richardson")
            s = self._sample(real, index, hr, (1, -1, 0.5, -0.5), name)
            value, error = numdiff.richardson(numdiff.central(s[0], s[1], hr), numdiff.central(s[2], s[3], hr / 2))
            error += 2.0 * self.noise / hr
        else:
            fplus, fminus = self._sample(real, index, h, (1, -1), name)
            value = numdiff.central(fplus, fminus, h)
            error = self.noise / h
        a = None if analytic is None else np.asarray(analytic)
        a_dtype = a.dtype if a is not None else np.dtype(np.float64)
        tol = cmp.tolerance(value, error, a_dtype, self.rtol, self.atol)
        detail: dict[str, Any] = {}
        comparison = None
        if a is not None and a.shape == shape and np.all(np.isfinite(a)):
            af = a.reshape(-1).astype(np.float64)
            mismatched = np.abs(af - value) > tol
            if mismatched.any():
                mismatched = self._second_look(index, name, af, flat, h, value, error, tol, mismatched,
                                               fplus, fminus, a_dtype, detail)
            comparison = cmp.compare(af, value, tol)
            comparison = cmp.Comparison(comparison.abs_error, comparison.rel_error, tol, mismatched)
        numerical = value.reshape(shape)
        evidence = dg.EntryEvidence(numerical, tol.reshape(shape), (cmp.SAFETY * error).reshape(shape),
                                    None if comparison is None else comparison.mismatched.reshape(shape))
        diagnosis = dg.diagnose(a, evidence, self.batch_size, name)
        detail.update(diagnosis.detail)
        hint = diagnosis.hint
        if detail.get("wrong_at_kinks") and diagnosis.kind != dg.OK:
            hint += (f"; {detail['wrong_at_kinks']} of the wrong entries sit at kinks, where the analytic value lies "
                     "outside the one-sided slopes (several non-differentiable points met at once, or a wrong "
                     "subgradient)")
        if comparison is None:
            mismatched_count = flat.size
            max_abs = max_rel = float("inf")
            if a is not None and a.shape == shape:
                diff = np.abs(a.astype(np.float64).reshape(-1) - value)
                max_abs, max_rel = float(np.nanmax(diff)) if np.isfinite(diff).any() else max_abs, max_rel
            rel = None
        else:
            mismatched_count = comparison.count
            max_abs, max_rel = comparison.max_abs_error, comparison.max_rel_error
            rel = comparison.rel_error.reshape(shape)
        return ParamResult(name, diagnosis.kind == dg.OK, diagnosis.kind, shape, None if a is None else a.shape,
                           flat.size, mismatched_count, max_abs, max_rel, hint, detail, a, numerical, rel)

    def probe_param(self, index: int, name: str, analytic: np.ndarray | None) -> ParamResult:
        """Probe mode: slopes along random directions, the diagnosis's hypotheses on them, group testing."""
        flat = self.real.flat[index]
        shape = self.real.buffers[index].shape
        rng = np.random.default_rng([self.seed, index])
        directional = probe.Directional(self.real, flat, self.f0, self.noise, self.real.dtype, self.relative_noise)
        a = None if analytic is None else np.asarray(analytic)
        a_dtype = a.dtype if a is not None and a.dtype.kind == "f" else np.dtype(np.float64)
        comparable = a is not None and a.shape == shape and bool(np.all(np.isfinite(a)))
        af = a.reshape(-1).astype(np.float64) if comparable else None
        try:
            W, slopes = probe.measure(directional, af, rng, self.probes, a_dtype, self.rtol, self.atol)
        except Exception as exc:
            raise CheckError(f"loss raised {type(exc).__name__}: {exc} when {name!r} was moved along a probe "
                             "direction; the loss must be defined near the given point", expected="a value",
                             found=repr(exc)) from exc
        if not np.all(np.isfinite([v for slope in slopes for v in slope])):
            raise CheckError(f"loss is not finite when {name!r} is moved along a probe direction; the loss must be "
                             "finite near the given point", expected="a finite loss", found="nan or inf")
        evidence = probe.ProbeEvidence(shape, W, slopes, a_dtype, self.rtol, self.atol,
                                       lambda: probe.localize(directional, af, shape, rng, a_dtype, self.rtol, self.atol))
        diagnosis = dg.diagnose(a, evidence, self.batch_size, name)
        detail = {**diagnosis.detail, **evidence.guarantee()}
        max_abs = max_rel = float("inf")
        if comparable:
            projected = W @ af
            nearest = np.clip(projected, evidence.low, evidence.high)
            comparison = cmp.compare(projected, nearest, evidence.tol(af))
            detail["probes_disagreeing"] = comparison.count
            max_abs, max_rel = comparison.max_abs_error, comparison.max_rel_error
        located = round(diagnosis.detail.get("fraction", 0.0) * flat.size) if diagnosis.detail.get("located") else 0
        if located and comparable:
            detail["entries"] = self._entry_values(index, name, af, shape, diagnosis.detail["indices"])
        if self.progress is not None:
            self.progress(flat.size)
        return ParamResult(name, diagnosis.kind == dg.OK, diagnosis.kind, shape, None if a is None else a.shape,
                           flat.size, 0 if diagnosis.kind == dg.OK else located, max_abs, max_rel, diagnosis.hint,
                           detail)

    def _entry_values(self, index: int, name: str, af: np.ndarray, shape, indices) -> list[dict[str, Any]]:
        """Analytic and numerical values of the entries group testing located (a few evaluations each)."""
        flat = self.real.flat[index]
        idx = np.array([np.ravel_multi_index(tuple(i), shape) if shape else 0 for i in indices])
        h = self._steps(flat, "central")
        fplus, fminus = self._sample(self.real, index, h, (1, -1), name, idx)
        try:
            refined = numdiff.refine(self.real, flat, h, idx, self.f0, fplus, fminus, self.noise, af[idx])
        except EvaluationFailed as exc:
            raise _evaluation_error(exc, name, shape) from exc.cause
        return [{"index": list(i), "analytic": float(af[j]), "numerical": float(v)}
                for i, j, v in zip(indices, idx, refined.value)]

    def _second_look(self, index, name, af, flat, h, value, error, tol, mismatched, fplus, fminus, a_dtype, detail):
        """Refine the suspect entries in place; return which are still wrong.

        Suspects are re-measured at half the step (Richardson). An entry is
        accepted when the refined value agrees; at a kink when the analytic
        value lies between the one-sided slopes; when the difference is
        within a few tolerances and its Taylor remainder converges at order
        2; and, for low-precision gradients, when the float64 analytic
        gradient agrees (the formula is right, the rest is rounding).
        """
        idx = np.flatnonzero(mismatched)
        if fplus is None:
            fplus, fminus = self._sample(self.real, index, h, (1, -1), name, idx)
        else:
            fplus, fminus = fplus[idx], fminus[idx]
        # Re-measure along the real axis only: the complex step has no one-sided slopes.
        try:
            refined = numdiff.refine(self.real, flat, h, idx, self.f0, fplus, fminus, self.noise, af[idx])
        except EvaluationFailed as exc:
            raise _evaluation_error(exc, name, self.real.buffers[index].shape) from exc.cause
        value[idx] = refined.value
        error[idx] = np.maximum(error[idx], refined.error)
        tol[idx] = cmp.tolerance(value, error, a_dtype, self.rtol, self.atol)[idx]
        diff = np.abs(af[idx] - value[idx])
        still = diff > tol[idx]
        low, high = np.minimum(refined.left, refined.right), np.maximum(refined.left, refined.right)
        at_kink = refined.kink & (af[idx] >= low - tol[idx]) & (af[idx] <= high + tol[idx])
        converges = (diff <= _AMBIGUOUS * tol[idx]) & (refined.order >= 1.5)
        still &= ~at_kink & ~converges
        # At a kink the derivative is the interval between the one-sided slopes;
        # the numerical value reported is its point nearest the analytic one.
        value[idx[at_kink]] = np.clip(af[idx][at_kink], low[at_kink], high[at_kink])
        if refined.kink.any():
            kinks = idx[refined.kink]
            detail["kinks"] = int(refined.kink.sum())
            detail["kink_indices"] = [int(i) for i in kinks[:5]]
        if still.any() and a_dtype != np.float64:
            a64 = self.analytic64(index)
            if a64 is not None and a64.size == af.size:
                a64 = a64.reshape(-1).astype(np.float64)[idx]
                tol64 = cmp.tolerance(value, error, np.float64, None, self.atol)[idx]
                rounding = cmp.tolerance(a64, 0.0, a_dtype, self.rtol, self.atol)
                still &= ~((np.abs(a64 - value[idx]) <= tol64) & (np.abs(af[idx] - a64) <= rounding))
        if (refined.kink & still).any():
            detail["wrong_at_kinks"] = int((refined.kink & still).sum())
        orders = refined.order[still]
        orders = orders[np.isfinite(orders)]
        if orders.size:
            detail["order"] = float(np.median(orders))
        out = np.zeros_like(mismatched)
        out[idx[still]] = True
        return out

def assert_gradients(loss: Callable, grad: Callable | None, params: Any, **options: Any) -> Report:
    """Like :func:`check`, but raise :class:`GradientError` with the report as message when a gradient is wrong."""
    __tracebackhide__ = True
    report = check(loss, grad, params, **options)
    if not report.ok:
        raise GradientError(report)
    return report
