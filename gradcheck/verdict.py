"""A parameter's verdict: its measurement diagnosed and assembled into a ParamResult, and the results around it."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from .diagnosis import (
    Diagnosis,
    EntryEvidence,
    Kind,
    ProbeEvidence,
    at_kinks,
    diagnose,
    locate,
    located_by_group_testing,
    wrong_values,
)
from .numerics.compare import chunks, compare, largest
from .numerics.full import measure_full
from .numerics.params import Params
from .numerics.plan import LOW_PRECISION, Plan
from .numerics.probe import entry_values, guarantee, measure_probe
from .numerics.sampling import Point
from .report import ParamResult, Report


def measured(point: Point, plan: Plan, index: int, name: str, analytic: np.ndarray | None) -> ParamResult:
    """Parameter ``index`` measured as the plan says, diagnosed, as its ParamResult."""
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
    tol = measured.tol.reshape(shape)
    evidence = EntryEvidence(numerical, tol, measured.error.reshape(shape),
                             None if comparison is None else comparison.mismatched.reshape(shape),
                             atol=point.options.atol)
    diagnosis = diagnose(a, evidence, point.options.batch_size, name, point.real.buffers[index])
    if diagnosis.kind == Kind.WRONG_VALUES:
        diagnosis = wrong_values(*locate(evidence.mismatched), diagnosis)
    diagnosis = at_kinks(diagnosis, measured.detail.get("wrong_at_kinks", 0))
    if diagnosis.kind == Kind.INCONCLUSIVE:
        diagnosis = _what_would_decide(diagnosis, point)
    size = numerical.size
    if diagnosis.kind == Kind.OK and evidence.resolved() < size:  # right, but not every entry could be told
        diagnosis = replace(diagnosis, detail={**diagnosis.detail, "inconclusive_entries": size - evidence.resolved()})
    excess = rel = None
    if comparison is None:
        mismatched, max_abs, max_rel = size, float("inf"), float("inf")
        if a is not None and a.shape == shape:
            diff = np.abs(a.astype(np.float64).reshape(-1) - measured.numerical)
            max_abs = float(np.nanmax(diff)) if np.isfinite(diff).any() else max_abs
    else:
        mismatched, max_abs, max_rel = comparison.count, comparison.max_abs_error, comparison.max_rel_error
        if diagnosis.kind != Kind.OK:  # entries are shown only for a gradient that is not right
            rel = comparison.rel_error.reshape(shape)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(comparison.tolerance > 0, comparison.abs_error / comparison.tolerance, np.inf)
            excess = np.where(comparison.mismatched, ratio, 0.0).reshape(shape)
    return ParamResult(name=name, ok=diagnosis.kind == Kind.OK, kind=diagnosis.kind, shape=shape,
                       grad_shape=None if a is None else a.shape, size=size, mismatched=mismatched,
                       max_abs_error=max_abs, max_rel_error=max_rel, hint=diagnosis.hint,
                       detail={**measured.detail, **diagnosis.detail}, detectable=_detectable(tol, largest(numerical)),
                       analytic=a, numerical=numerical, rel_error=rel,
                       wrong_entries=None if diagnosis.kind == Kind.OK else evidence.mismatched, excess=excess)


def _probe_result(point: Point, index: int, name: str, a: np.ndarray | None, shape: tuple[int, ...]) -> ParamResult:
    measured = measure_probe(point, index, name, a)
    rtol, atol, af = point.options.rtol, point.options.atol, measured.analytic_flat
    slopes = measured.slopes
    evidence = ProbeEvidence(shape, measured.directions, [s.value for s in slopes], [s.error for s in slopes],
                             [s.low for s in slopes], [s.high for s in slopes], measured.analytic_dtype, rtol, atol)
    diagnosis = diagnose(a, evidence, point.options.batch_size, name, point.real.buffers[index])
    if diagnosis.kind == Kind.INCONCLUSIVE:
        diagnosis = _what_would_decide(diagnosis, point)
    if diagnosis.kind == Kind.WRONG_VALUES and "hypothesis" in diagnosis.detail:  # no entry to look for
        diagnosis = replace(diagnosis, hint=f"wrong values; {diagnosis.hint}")
    elif diagnosis.kind == Kind.WRONG_VALUES:
        found = measured.localize()
        diagnosis = wrong_values(*located_by_group_testing(found.found, found.evaluations, found.stopped, shape),
                                 diagnosis)
    detail = {**diagnosis.detail, **guarantee(slopes, measured.analytic_dtype, rtol, atol)}
    max_abs = max_rel = float("inf")
    if af is not None:
        projected = measured.directions.project(af)
        comparison = compare(projected, np.clip(projected, evidence.low, evidence.high), evidence.tol(af))
        detail["probes_disagreeing"] = comparison.count
        max_abs, max_rel = comparison.max_abs_error, comparison.max_rel_error
    size = point.real.flat[index].size
    located = round(diagnosis.detail.get("fraction", 0.0) * size) if diagnosis.detail.get("located") else 0
    if located and af is not None:
        detail["entries"] = _entry_values(point, index, name, af, shape, diagnosis.detail["indices"])
    point.counter.advance(size)
    scaled = None if af is None else measured.prober.directional.scaled_norm(af)
    return ParamResult(name=name, ok=diagnosis.kind == Kind.OK, kind=diagnosis.kind, shape=shape,
                       grad_shape=None if a is None else a.shape, size=size,
                       mismatched=0 if diagnosis.kind in (Kind.OK, Kind.INCONCLUSIVE) else located,
                       max_abs_error=max_abs, max_rel_error=max_rel, hint=diagnosis.hint, detail=detail,
                       detectable=_detectable(detail["catches_error_norm"], scaled))


def _what_would_decide(diagnosis: Diagnosis, point: Point) -> Diagnosis:
    """An inconclusive diagnosis with what would make the values measurable, as far as the check knows it."""
    ways = []
    if point.real.dtype != np.float64:
        ways.append("float64 parameters (the loss was evaluated in " f"{point.real.dtype})")
    elif point.relative_noise > LOW_PRECISION:
        ways.append("a loss computed in float64 inside (its values carry rounding of "
                    f"{point.relative_noise:.2g} of the loss)")
    if point.method != "complex-step":
        ways.append("method='complex-step' if the loss accepts complex parameters")
    ways.append("a point where this gradient is larger (away from saturated units)")
    return replace(diagnosis, hint=f"{diagnosis.hint}; what would decide it: {', or '.join(ways)}")


def _detectable(tol, size: float | None) -> float:
    """The smallest error, relative to the gradient's ``size``, the check was sure to catch.

    Full mode: an error larger than this fraction of the largest entry, in
    any entry the check could judge (``size``: the largest |entry|). Probe
    mode: an error vector whose (scaled) norm is this fraction of the
    gradient's, with the probes' probability (``size``: the scaled norm).
    """
    tol = np.asarray(tol).reshape(-1)
    largest = max((float(np.max(t, where=np.isfinite(t), initial=-np.inf)) for t in (tol[s] for s in chunks(tol.size))),
                  default=-np.inf)
    if size is None or largest == -np.inf:
        return float("inf")
    return largest / size if size > 0 else float("inf")


def _entry_values(point: Point, index: int, name: str, af: np.ndarray, shape, indices) -> list[dict[str, Any]]:
    """Analytic and numerical values of the entries group testing located (a few evaluations each)."""
    flat = np.array([np.ravel_multi_index(tuple(i), shape) if shape else 0 for i in indices])
    values = entry_values(point, index, name, af, flat)
    return [{"index": list(i), "analytic": float(af[j]), "numerical": float(v)}
            for i, j, v in zip(indices, flat, values)]


def refusal(p: Params, analytic: list, evaluations: int, why: str, notes: list) -> Report:
    """No verdict: the loss is not deterministic. The report says so once, with the fix; every parameter's kind is
    noisy-loss, without an account of its own."""
    results = tuple(ParamResult(name=name, ok=False, kind=Kind.NOISY_LOSS, shape=a.shape,
                                grad_shape=None if g is None else tuple(np.shape(g)), size=a.size, mismatched=0,
                                max_abs_error=float("nan"), max_rel_error=float("nan"),
                                hint="no verdict: the loss is not deterministic (see the report's diagnosis)",
                                detail={"refused": True})
                    for name, a, g in zip(p.names, p.arrays, analytic))
    return Report(results=results, method="none", evaluations=evaluations, mode="full", notes=tuple(notes),
                  diagnosis=why, mode_reason="no verdict: the loss is not deterministic")


def extra(name: str, g: np.ndarray) -> ParamResult:
    """A gradient returned under a name that is no parameter."""
    return ParamResult(name=name, ok=False, kind=Kind.SHAPE_MISMATCH, shape=None, grad_shape=tuple(g.shape),
                       size=int(g.size), mismatched=int(g.size), max_abs_error=0.0, max_rel_error=0.0,
                       hint=f"grad returned {name!r}, which is not a parameter", detail={"extra": True})


def mutated(result: ParamResult, how: str) -> ParamResult:
    """The result of a parameter whose code changed it in place: the finding first, the clean check after."""
    found = "its gradient is right" if result.ok else f"its gradient is {result.kind}: {result.hint}"
    return replace(result, ok=False, kind=Kind.MUTATES_PARAMS, hint=f"{how}; checked on a clean copy, {found}",
                   detail={**result.detail, "gradient_kind": result.kind})
