"""Checking: plan, measure, diagnose and assemble — the analytic gradient against finite differences, into a Report."""

from __future__ import annotations

import inspect
from dataclasses import replace
from typing import Any, Callable

import numpy as np

from .diagnosis import (EntryEvidence, Kind, ProbeEvidence, across, at_kinks, diagnose, locate,
                        located_by_group_testing, wrong_values)
from .errors import GradientError
from .numerics.analytic import Float64Gradients, analytic_gradients
from .numerics.compare import SAFETY, compare
from .numerics.full import measure_full
from .numerics.noise import noise_and_notes, unrepeatable
from .numerics.objective import complex_objective, real_objective
from .numerics.parallel import worker_pool
from .numerics.params import Params, as_params
from .numerics.plan import Plan, make_plan
from .numerics.probe import GUARANTEE, MISS_PER_PROBE, entry_values, guarantee, measure_probe
from .numerics.sampling import Counter, Point
from .options import DEFAULTS, MODES, CheckOptions, Method, Mode
from .report import ParamResult, Report

__all__ = ["MODES", "assert_gradients", "check"]


def check(
    loss: Callable,
    grad: Callable | None,
    params: Any,
    *,
    method: Method = DEFAULTS.method,
    eps: float | None = DEFAULTS.eps,
    rtol: float | None = DEFAULTS.rtol,
    atol: float = DEFAULTS.atol,
    seed: int = DEFAULTS.seed,
    batch_size: int | None = DEFAULTS.batch_size,
    mode: Mode = DEFAULTS.mode,
    budget: float = DEFAULTS.budget,
    probes: int = DEFAULTS.probes,
    workers: int | None = DEFAULTS.workers,
    time_limit: float | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Compare the analytic gradient of ``loss`` with finite differences, parameter by parameter.

    Parameters
    ----------
    loss : callable
        ``loss(params)`` returns a scalar. With ``grad=None`` it returns ``(value, grads)``.
    grad : callable or None
        ``grad(params)`` returns the gradients in the structure of ``params``.
    params : dict, array, or list of arrays
        The point to check at; never modified.
    method : {"central", "richardson", "complex-step", "auto"}
    eps : float, optional
        A fixed step (default: per entry, from the dtype, the magnitude and the loss's noise).
    rtol, atol : float, optional
        Tolerances added to each entry's error estimate.
    seed : int
        Seeds the noise shifts and the probe directions.
    batch_size : int, optional
        Lets the diagnosis name a missing mean.
    mode : {"auto", "full", "probe"}
        "full" checks every entry; "probe" ``probes`` random directions per tensor, at a cost
        independent of the parameter count; "auto" is full when its estimate is within ``budget`` seconds.
    workers : int, optional
        Processes sharing a full check (default: every core when it would take more than a few seconds).
    time_limit : float, optional
        Seconds; a full check that could not finish in time is refused up front.
    progress : callable, optional
        ``progress(done, total)`` is told how many entries have been measured.

    Returns
    -------
    Report
        A verdict per parameter. A wrong gradient never raises; only a check that cannot be made
        raises :class:`CheckError`.

    Examples
    --------
    >>> import numpy as np, gradcheck
    >>> report = gradcheck.check(lambda p: float(np.sum(p ** 2)), lambda p: -2 * p, np.array([1.0, 2.0]))
    >>> print(str(report).splitlines()[0])
    gradients WRONG: 1 of 1 parameter does not match (central, 14 loss evaluations)
    >>> report["param"].kind, report["param"].hint
    ('sign-flipped', 'analytic = −numerical: the backward computes the negative gradient (an error written y − a instead of a − y)')
    """
    options = CheckOptions(method=method, eps=eps, rtol=rtol, atol=atol, seed=seed, batch_size=batch_size, mode=mode,
                           budget=budget, probes=probes, workers=workers)
    p = as_params(params)
    mutations: dict[str, str] = {}
    analytic, extras = analytic_gradients(loss, grad, p, mutations=mutations)
    real, f0, notes = real_objective(loss, p, returns_grad=grad is None)
    mutations.update(real.restore_and_list_changes())
    why = unrepeatable(real, f0, analytic)
    if why is not None:
        return _refusal(p, analytic, real.calls, why, notes)
    noise, seconds, noise_notes = noise_and_notes(real, f0, seed)
    total = sum(a.size for a in p.arrays)
    plan = make_plan(options, total, seconds, time_limit)
    complex_ = complex_objective(loss, p, grad is None, f0, real) if plan.tries_complex_step else None
    plan = plan.settled(complex_analytic=complex_ is not None)
    counter = Counter(progress, total)
    with worker_pool((real, complex_), plan.workers, total) as pool:
        point = Point(real, complex_, f0, noise, options, plan.method, Float64Gradients(loss, grad, p), counter, pool)
        results = [_result(point, plan, i, name, a) for i, (name, a) in enumerate(zip(p.names, analytic))]
        moved = real.restore_and_list_changes()
        if moved:  # the loss changed its parameters while perturbed: measure again, the loss now gets copies
            mutations.update(moved)
            results = [_result(point, plan, i, name, a) for i, (name, a) in enumerate(zip(p.names, analytic))]
    results = [_mutated(r, mutations[r.name]) if r.name in mutations else r for r in results]
    results += [_extra(name, g) for name, g in extras.items()]
    guaranteed = (GUARANTEE.format(probes=probes, miss=MISS_PER_PROBE ** probes),) if plan.mode == "probe" else ()
    evaluations = real.calls + (complex_.calls if complex_ else 0) + counter.worker_evaluations
    return Report(results=tuple(results), method=plan.method, evaluations=evaluations, mode=plan.mode,
                  diagnosis=across(results), notes=(*notes, *noise_notes, *plan.notes, *guaranteed),
                  mode_reason=plan.reason)


def assert_gradients(loss: Callable, grad: Callable | None, params: Any, **options: Any) -> Report:
    """Like :func:`check`, with the same options, but raise :class:`GradientError` when a gradient is wrong.

    The error's message is the report's plain text; ``error.report`` is the report.
    """
    __tracebackhide__ = True
    report = check(loss, grad, params, **options)
    if not report.ok:
        raise GradientError(report, str(report))
    return report


assert_gradients.__signature__ = inspect.signature(check).replace(  # type: ignore[attr-defined]
    return_annotation=Report)


def _result(point: Point, plan: Plan, index: int, name: str, analytic: np.ndarray | None) -> ParamResult:
    shape = point.real.buffers[index].shape
    if point.real.flat[index].size == 0:
        fits = analytic is not None and analytic.shape == shape
        return ParamResult(name=name, ok=fits, kind=Kind.OK if fits else Kind.SHAPE_MISMATCH, shape=shape,
                           grad_shape=None if analytic is None else analytic.shape, size=0, mismatched=0,
                           max_abs_error=0.0, max_rel_error=0.0)
    measure = _probe_result if plan.mode == "probe" else _full_result
    return measure(point, index, name, analytic, shape)


def _full_result(point: Point, index: int, name: str, a: np.ndarray | None, shape: tuple[int, ...]) -> ParamResult:
    measured = measure_full(point, index, name, a)
    comparison = measured.comparison
    numerical = measured.numerical.reshape(shape)
    evidence = EntryEvidence(numerical, measured.tol.reshape(shape), (SAFETY * measured.error).reshape(shape),
                             None if comparison is None else comparison.mismatched.reshape(shape))
    diagnosis = diagnose(a, evidence, point.options.batch_size, name)
    if diagnosis.kind == Kind.WRONG_VALUES:
        diagnosis = wrong_values(*locate(evidence.mismatched))
    diagnosis = at_kinks(diagnosis, measured.detail.get("wrong_at_kinks", 0))
    size = numerical.size
    if comparison is None:
        mismatched, max_abs, max_rel, rel = size, float("inf"), float("inf"), None
        if a is not None and a.shape == shape:
            diff = np.abs(a.astype(np.float64).reshape(-1) - measured.numerical)
            max_abs = float(np.nanmax(diff)) if np.isfinite(diff).any() else max_abs
    else:
        mismatched, max_abs, max_rel = comparison.count, comparison.max_abs_error, comparison.max_rel_error
        rel = comparison.rel_error.reshape(shape)
    return ParamResult(name=name, ok=diagnosis.kind == Kind.OK, kind=diagnosis.kind, shape=shape,
                       grad_shape=None if a is None else a.shape, size=size, mismatched=mismatched,
                       max_abs_error=max_abs, max_rel_error=max_rel, hint=diagnosis.hint,
                       detail={**measured.detail, **diagnosis.detail}, analytic=a, numerical=numerical, rel_error=rel)


def _probe_result(point: Point, index: int, name: str, a: np.ndarray | None, shape: tuple[int, ...]) -> ParamResult:
    measured = measure_probe(point, index, name, a)
    rtol, atol, af = point.options.rtol, point.options.atol, measured.analytic_flat
    slopes = measured.slopes
    evidence = ProbeEvidence(shape, measured.directions, [s.value for s in slopes], [s.error for s in slopes],
                             [s.low for s in slopes], [s.high for s in slopes], measured.analytic_dtype, rtol, atol)
    diagnosis = diagnose(a, evidence, point.options.batch_size, name)
    if diagnosis.kind == Kind.WRONG_VALUES:
        found = measured.localize()
        diagnosis = wrong_values(*located_by_group_testing(found.found, found.evaluations, found.stopped, shape))
    detail = {**diagnosis.detail, **guarantee(slopes, measured.analytic_dtype, rtol, atol)}
    max_abs = max_rel = float("inf")
    if af is not None:
        projected = measured.directions @ af
        comparison = compare(projected, np.clip(projected, evidence.low, evidence.high), evidence.tol(af))
        detail["probes_disagreeing"] = comparison.count
        max_abs, max_rel = comparison.max_abs_error, comparison.max_rel_error
    size = point.real.flat[index].size
    located = round(diagnosis.detail.get("fraction", 0.0) * size) if diagnosis.detail.get("located") else 0
    if located and af is not None:
        detail["entries"] = _entry_values(point, index, name, af, shape, diagnosis.detail["indices"])
    point.counter.advance(size)
    return ParamResult(name=name, ok=diagnosis.kind == Kind.OK, kind=diagnosis.kind, shape=shape,
                       grad_shape=None if a is None else a.shape, size=size,
                       mismatched=0 if diagnosis.kind == Kind.OK else located, max_abs_error=max_abs,
                       max_rel_error=max_rel, hint=diagnosis.hint, detail=detail)


def _entry_values(point: Point, index: int, name: str, af: np.ndarray, shape, indices) -> list[dict[str, Any]]:
    """Analytic and numerical values of the entries group testing located (a few evaluations each)."""
    flat = np.array([np.ravel_multi_index(tuple(i), shape) if shape else 0 for i in indices])
    values = entry_values(point, index, name, af, flat)
    return [{"index": list(i), "analytic": float(af[j]), "numerical": float(v)} for i, j, v in zip(indices, flat, values)]


def _refusal(p: Params, analytic: list, evaluations: int, why: str, notes: list) -> Report:
    """No verdict: the loss is not deterministic, so every parameter is reported as such."""
    results = tuple(ParamResult(name=name, ok=False, kind=Kind.NOISY_LOSS, shape=a.shape,
                                grad_shape=None if g is None else tuple(np.shape(g)), size=a.size, mismatched=0,
                                max_abs_error=float("nan"), max_rel_error=float("nan"), hint=why,
                                detail={"refused": True})
                    for name, a, g in zip(p.names, p.arrays, analytic))
    return Report(results=results, method="none", evaluations=evaluations, mode="full", notes=tuple(notes),
                  mode_reason="no verdict: the loss is not deterministic")


def _extra(name: str, g: np.ndarray) -> ParamResult:
    """A gradient returned under a name that is no parameter."""
    return ParamResult(name=name, ok=False, kind=Kind.SHAPE_MISMATCH, shape=None, grad_shape=tuple(g.shape),
                       size=int(g.size), mismatched=int(g.size), max_abs_error=0.0, max_rel_error=0.0,
                       hint=f"grad returned {name!r}, which is not a parameter", detail={"extra": True})


def _mutated(result: ParamResult, how: str) -> ParamResult:
    """The result of a parameter whose code changed it in place: the finding first, the clean check after."""
    found = "its gradient is right" if result.ok else f"its gradient is {result.kind}: {result.hint}"
    return replace(result, ok=False, kind=Kind.MUTATES_PARAMS, hint=f"{how}; checked on a clean copy, {found}",
                   detail={**result.detail, "gradient_kind": result.kind})
