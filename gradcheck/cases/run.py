"""Running cases: build the Problem, check it, judge the report against the case's expectation."""

from __future__ import annotations

import time
import traceback
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

from ..checker import check
from ..errors import CheckError, one_line
from ..layers import check_network
from ..numerics.parallel import one_blas_thread
from ..report import merge
from ..vector import check_hessian, check_hvp, check_jacobian, check_jvp, check_vjp
from . import isolation
from .define import Case, Problem
from .discover import load
from .results import CaseResult, RunReport


def _function(c: Case) -> Callable[[], Problem]:
    """The case function, importing its file again when the case was found in another process."""
    if c.func is not None:
        return c.func
    found, error = load(Path(c.file))
    if error is not None:
        raise CheckError(error.error)
    for other in found:
        if other.name == c.name:
            return other.func
    raise CheckError(f"case {c.name!r} is no longer in {c.file}")


def _unexpected(c: Case, status: str, report, strict: bool) -> str | None:
    if status == "inconclusive" and c.expect == "pass" and not strict:
        return None  # an inconclusive gradient is not a wrong one; --strict asks for every gradient certified
    if status != c.expect:
        return f"expected {c.expect}, got {status}" + (" (--strict)" if status == "inconclusive" else "")
    if status in ("fail", "inconclusive") and c.kinds:
        names = [r.name for r in report]
        wrong = []
        for name, kind in c.kinds.items():
            got = report[name].kind if name in names else "no such parameter"
            if got != kind:
                wrong.append(f"{name}: expected {kind}, got {got}")
        if wrong:
            return "kinds differ: " + "; ".join(wrong)
    return None


def _check_kind_names(c: Case, problem: Problem) -> None:
    """The parameters ``kinds`` names exist, before the check starts (layer results, ``2.Sigmoid.x``, aside)."""
    params = problem.params
    names = ([str(k) for k in params] if isinstance(params, dict) else
             [str(i) for i in range(len(params))] if isinstance(params, (list, tuple)) else ["param"])
    missing = [n for n in (c.kinds or {}) if "." not in n and n not in names]
    if missing and problem.loss is not None:
        raise CheckError(f"kinds names {', '.join(map(repr, missing))}, which the case's parameters do not have; "
                         f"they are {names}", expected=names, found=missing)


_OTHER = {"jac": check_jacobian, "jvp": check_jvp, "vjp": check_vjp, "hvp": check_hvp, "hess": check_hessian}


def _other_derivative(other: tuple[str, Callable, Callable], params: Any, options: dict[str, Any]):
    """The check of a Jacobian, a product or a Hessian, with the case's options that apply to it."""
    name, fn, derivative = other
    if fn is None:
        needs = "f" if name in ("jac", "jvp", "vjp") else "grad"
        raise CheckError(f"the Problem has {name}= but no {needs}= to differentiate", expected=needs, found=None)
    kept = {k: v for k, v in options.items() if k in ("rtol", "atol", "seed", "probes")}
    if options.get("mode") in ("full", "probe"):
        kept["mode"] = options["mode"]
    kept["method"] = options.get("method", "central")
    return _OTHER[name](fn, derivative, params, **kept)


def run_case(c: Case, overrides: dict[str, Any] | None = None, progress: Callable[[int, int], None] | None = None,
             time_limit: float | None = None, strict: bool = False) -> CaseResult:
    """Build the case's Problem, check it, and judge the report against the expectation.

    ``time_limit`` (seconds) makes a full check that could not finish in time
    an error up front, naming the option that makes it affordable. The status
    is "fail" when a gradient is wrong, "inconclusive" when none is wrong but
    some could not be certified, else "pass"; an inconclusive case meets a
    "pass" expectation unless ``strict``.
    """
    start = time.perf_counter()
    base = dict(name=c.name, file=c.file, expect=c.expect, kinds=c.kinds, doc=c.doc, sweep=c.sweep or None,
                group=c.group)
    try:
        problem = _function(c)(**c.sweep)
        if not isinstance(problem, Problem):
            raise CheckError(f"case returned {type(problem).__name__ if problem is not None else 'None'}; "
                             "expected gradcheck.Problem(loss, grad, params)",
                             expected="Problem", found=type(problem).__name__)
        _check_kind_names(c, problem)
        options = {**c.options, **{k: v for k, v in (overrides or {}).items() if v is not None}}
        if problem.batch_size is not None:
            options.setdefault("batch_size", problem.batch_size)
        if time_limit is not None:
            options["time_limit"] = time_limit
        reports = []
        other = problem.derivative()
        if other is not None:
            reports.append(_other_derivative(other, problem.params, options))
        elif problem.loss is not None:
            reports.append(check(problem.loss, problem.grad, problem.params, progress=progress, **options))
        if problem.network is not None:
            options.pop("batch_size", None)
            options.pop("workers", None)
            options.pop("time_limit", None)
            reports.append(check_network(problem.network, problem.inputs, **options))
        if not reports:
            raise CheckError("the Problem has neither a loss nor a network to check, nor another derivative (jac, "
                             "jvp, vjp with f; hvp, hess with grad)", expected="loss or network", found=None)
        report = merge(reports)
    except (Exception, SystemExit) as exc:
        return CaseResult(status="error", as_expected=False, error=one_line(exc), traceback=traceback.format_exc(),
                          seconds=time.perf_counter() - start, **base)
    status = "fail" if not report.ok else "inconclusive" if report.inconclusive else "pass"
    reason = _unexpected(c, status, report, strict)
    return CaseResult(status=status, as_expected=reason is None, reason=reason, report=report,
                      seconds=time.perf_counter() - start, **base)


def run_isolated(c: Case, overrides: dict[str, Any] | None = None, timeout: float | None = None,
                 progress: Callable[[int, int], None] | None = None, strict: bool = False) -> CaseResult:
    """:func:`run_case` in a forked child under ``timeout`` seconds: a hang, a crash or an exit is an error case."""
    if not isolation.available():
        return run_case(c, overrides, progress, timeout, strict)
    start = time.perf_counter()
    outcome = isolation.call(lambda p: run_case(c, overrides, p, timeout, strict), (), timeout, progress)
    if outcome.error is None:
        return outcome.value
    return CaseResult(name=c.name, file=c.file, expect=c.expect, status="error", as_expected=False, kinds=c.kinds,
                      error=outcome.error, traceback=outcome.traceback, doc=c.doc, sweep=c.sweep or None,
                      group=c.group,
                      seconds=time.perf_counter() - start)


def run_all(selected: list[Case], errors: list[CaseResult], overrides: dict[str, Any] | None = None,
            timeout: float | None = None, exitfirst: bool = False,
            on_result: Callable[[CaseResult, RunReport], None] | None = None,
            progress: Callable[[int, int], None] | None = None, strict: bool = False,
            jobs: int = 1) -> tuple[RunReport, bool]:
    """Run the selected cases, each isolated, after the errors found while loading.

    With ``jobs`` > 1, that many cases run at once, each in its own process
    with one BLAS thread; results still come in discovery order, so the
    output and the report files are those of a sequential run.
    ``on_result(result, run_so_far)`` is called after every case (to print it
    and rewrite report files). ``exitfirst`` stops at the first unexpected
    result; Ctrl-C stops the run (and every running case). Returns the run,
    marked incomplete when it stopped early, and whether it was interrupted.
    """
    pool = ThreadPoolExecutor(jobs) if jobs > 1 and len(selected) > 1 else None
    if pool is None:
        return collect(selected, errors, lambda i, c: run_isolated(c, overrides, timeout, progress, strict),
                       exitfirst, on_result)
    # once, before the cases fork: every child inherits one BLAS thread (limiting in each child costs ~0.1 s)
    restore_blas = one_blas_thread()
    run = None
    try:
        pending = [pool.submit(run_isolated, c, overrides, timeout, None, strict) for c in selected]
        run, interrupted = collect(selected, errors, lambda i, c: pending[i].result(), exitfirst, on_result)
        return run, interrupted
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        if run is None or not run.complete:
            isolation.stop_all()
        restore_blas()


def collect(selected: list[Case], errors: list[CaseResult], outcome: Callable[[int, Case], CaseResult],
            exitfirst: bool = False, on_result: Callable[[CaseResult, RunReport], None] | None = None,
            ) -> tuple[RunReport, bool]:
    """Each case's result, ``outcome(i, case)``, in discovery order after the errors found while loading:
    ``on_result`` after each, stopping at the first unexpected one with ``exitfirst`` and on Ctrl-C. Returns the
    run (incomplete when it stopped early) and whether it was interrupted."""
    results = list(errors)
    stopped = interrupted = False
    try:
        for i, c in enumerate(selected):
            if exitfirst and any(not r.as_expected for r in results):
                stopped = True
                break
            results.append(outcome(i, c))
            if on_result is not None:
                on_result(results[-1], RunReport(cases=tuple(results), complete=False))
    except KeyboardInterrupt:
        interrupted = True
    complete = not (stopped or interrupted) and len(results) == len(errors) + len(selected)
    return RunReport(cases=tuple(results), complete=complete), interrupted
