"""Cases: the @case decorator and Problem, discovery of case files, and running them against expectations."""

from __future__ import annotations

import importlib.util
import inspect
import sys
import time
import traceback
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from . import isolation
from .checker import check
from .errors import CheckError
from .layers import check_network
from .report import CaseResult, RunReport, merge

CHECK_OPTIONS = ("method", "eps", "rtol", "atol", "seed", "batch_size", "mode", "budget", "probes", "workers")
EXPECTATIONS = ("pass", "fail")


@dataclass(frozen=True)
class Problem:
    """What a case returns: a loss, its gradient and the point to check, as for :func:`gradcheck.check`.

    With ``network`` (layers with forward/backward, see :func:`gradcheck.check_network`)
    and its ``inputs``, the layers are checked one by one as well, and their
    results follow the parameters' in the report.
    """

    loss: Callable | None
    grad: Callable | None
    params: Any
    batch_size: int | None = None
    network: Any = None
    inputs: Any = None


@dataclass(frozen=True)
class Case:
    """A case found in a file: the function that builds its Problem and what it is expected to give."""

    name: str
    file: str
    func: Callable[[], Problem] | None = field(default=None, repr=False)  # None when found in another process
    expect: str = "pass"
    kinds: dict[str, str] | None = None
    options: dict[str, Any] = field(default_factory=dict)
    doc: str = ""  # the first line of the function's docstring

    def function(self) -> Callable[[], Problem]:
        """The case function, importing its file again when the case was found in another process."""
        if self.func is not None:
            return self.func
        found, error = _load(Path(self.file))
        if error is not None:
            raise CheckError(error.error)
        for c in found:
            if c.name == self.name:
                return c.func
        raise CheckError(f"case {self.name!r} is no longer in {self.file}")


@dataclass(frozen=True)
class _Spec:
    expect: str
    kinds: dict[str, str] | None
    options: dict[str, Any]


def case(func: Callable | None = None, *, expect: str = "pass", kinds: dict[str, str] | None = None, **options: Any):
    """Mark a function returning a :class:`Problem` as a case, expected to "pass" or "fail".

    ``kinds`` maps parameter names to the diagnosis kind the report must name;
    other keyword arguments are check options (method, eps, rtol, atol, seed,
    batch_size, mode, budget, probes, workers) used for this case unless the
    command line overrides them.
    """
    if expect not in EXPECTATIONS:
        raise ValueError(f"expect is {expect!r}; expected 'pass' or 'fail'")
    unknown = sorted(set(options) - set(CHECK_OPTIONS))
    if unknown:
        raise TypeError(f"unknown check option(s) {unknown}; expected some of {list(CHECK_OPTIONS)}")

    def mark(fn: Callable) -> Callable:
        fn.__gradcheck_case__ = _Spec(expect, dict(kinds) if kinds else None, options)
        return fn

    return mark(func) if func is not None else mark


def _files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for path in map(Path, paths):
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)
        else:
            yield path


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _error(name: str, file: str, message: str, tb: str | None = None) -> CaseResult:
    return CaseResult(name, file, "pass", "error", False, error=message, traceback=tb)


def _load(path: Path) -> tuple[list[Case], CaseResult | None]:
    module_name = f"gradcheck_case_{abs(hash(str(path.resolve())))}"
    file = str(path)
    if not path.exists():
        return [], _error(path.name, file, f"no such file: {file}")
    sys.path.insert(0, str(path.parent.resolve()))
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        return [], _error(path.stem, file, f"cannot import {file}: {_one_line(exc)}", traceback.format_exc())
    finally:
        sys.path.remove(str(path.parent.resolve()))
    found = []
    for name, obj in vars(module).items():
        spec = getattr(obj, "__gradcheck_case__", None)
        if isinstance(spec, _Spec) and getattr(obj, "__module__", None) == module_name:
            doc = (inspect.getdoc(obj) or "").strip().splitlines()
            found.append(Case(name, file, obj, spec.expect, spec.kinds, spec.options, doc[0] if doc else ""))
    return found, None


def _load_elsewhere(path: Path, timeout: float | None) -> tuple[list[Case], CaseResult | None]:
    """Load a case file in a forked child: a file that hangs or crashes on import is an error, not the end."""
    def specs(progress):
        found, error = _load(path)
        return [replace(c, func=None) for c in found], error

    outcome = isolation.call(specs, (), timeout)
    if outcome.error is not None:
        return [], _error(path.stem, str(path), f"cannot import {path}: {outcome.error}", outcome.traceback)
    return outcome.value


def discover(paths: Iterable[str | Path], isolate: bool = False,
             timeout: float | None = None) -> tuple[list[Case], list[CaseResult]]:
    """The cases in ``paths`` (files, or folders searched for ``*.py``), and an error result per file that fails to load.

    With ``isolate``, each file is imported in a forked child under ``timeout``.
    Two cases with one name are both turned into errors naming the clash.
    """
    cases: list[Case] = []
    errors: list[CaseResult] = []
    for path in _files(paths):
        found, error = _load_elsewhere(path, timeout) if isolate and isolation.available() else _load(path)
        cases.extend(found)
        if error:
            errors.append(error)
    by_name: dict[str, list[Case]] = {}
    for c in cases:
        by_name.setdefault(c.name, []).append(c)
    for name, same in by_name.items():
        if len(same) > 1:
            files = ", ".join(c.file for c in same)
            for c in same:
                errors.append(_error(name, c.file, f"case name {name!r} is defined {len(same)} times: {files}"))
    return [c for c in cases if len(by_name[c.name]) == 1], errors


def select(cases: Iterable[Case], keyword: str | None) -> list[Case]:
    """The cases whose name contains ``keyword`` (all when it is empty)."""
    return [c for c in cases if not keyword or keyword in c.name]


def _unexpected(c: Case, status: str, report) -> str | None:
    if status != c.expect:
        return f"expected {c.expect}, got {status}"
    if status == "fail" and c.kinds:
        names = [r.name for r in report]
        wrong = []
        for name, kind in c.kinds.items():
            got = report[name].kind if name in names else "no such parameter"
            if got != kind:
                wrong.append(f"{name}: expected {kind}, got {got}")
        if wrong:
            return "kinds differ: " + "; ".join(wrong)
    return None


def run_case(c: Case, overrides: dict[str, Any] | None = None, progress: Callable[[int, int], None] | None = None,
             time_limit: float | None = None) -> CaseResult:
    """Build the case's Problem, check it, and judge the report against the expectation.

    ``time_limit`` (seconds) makes a full check that could not finish in time
    an error up front, naming the option that makes it affordable.
    """
    start = time.perf_counter()
    base = dict(name=c.name, file=c.file, expect=c.expect, kinds=c.kinds, doc=c.doc)
    try:
        problem = c.function()()
        if not isinstance(problem, Problem):
            raise CheckError(f"case returned {type(problem).__name__ if problem is not None else 'None'}; "
                             "expected gradcheck.Problem(loss, grad, params)",
                             expected="Problem", found=type(problem).__name__)
        options = {**c.options, **{k: v for k, v in (overrides or {}).items() if v is not None}}
        if problem.batch_size is not None:
            options.setdefault("batch_size", problem.batch_size)
        if time_limit is not None:
            options["time_limit"] = time_limit
        reports = []
        if problem.loss is not None:
            reports.append(check(problem.loss, problem.grad, problem.params, progress=progress, **options))
        if problem.network is not None:
            options.pop("batch_size", None)
            options.pop("workers", None)
            options.pop("time_limit", None)
            reports.append(check_network(problem.network, problem.inputs, **options))
        if not reports:
            raise CheckError("the Problem has neither a loss nor a network to check", expected="loss or network",
                             found=None)
        report = merge(reports)
    except (Exception, SystemExit) as exc:
        return CaseResult(status="error", as_expected=False, error=_one_line(exc), traceback=traceback.format_exc(),
                          seconds=time.perf_counter() - start, **base)
    status = "pass" if report.ok else "fail"
    reason = _unexpected(c, status, report)
    return CaseResult(status=status, as_expected=reason is None, reason=reason, report=report,
                      seconds=time.perf_counter() - start, **base)


def run_isolated(c: Case, overrides: dict[str, Any] | None = None, timeout: float | None = None,
                 progress: Callable[[int, int], None] | None = None) -> CaseResult:
    """:func:`run_case` in a forked child under ``timeout`` seconds: a hang, a crash or an exit is an error case."""
    if not isolation.available():
        return run_case(c, overrides, progress, timeout)
    start = time.perf_counter()
    outcome = isolation.call(lambda p: run_case(c, overrides, p, timeout), (), timeout, progress)
    if outcome.error is None:
        return outcome.value
    return CaseResult(c.name, c.file, c.expect, "error", False, kinds=c.kinds, error=outcome.error,
                      traceback=outcome.traceback, doc=c.doc, seconds=time.perf_counter() - start)


def run_all(selected: list[Case], errors: list[CaseResult], overrides: dict[str, Any] | None = None,
            timeout: float | None = None, exitfirst: bool = False,
            on_result: Callable[[CaseResult, RunReport], None] | None = None,
            progress: Callable[[int, int], None] | None = None) -> tuple[RunReport, bool]:
    """Run the selected cases one by one, each isolated, after the errors found while loading.

    ``on_result(result, run_so_far)`` is called after every case (to print it
    and rewrite report files). ``exitfirst`` stops at the first unexpected
    result; Ctrl-C stops the run. Returns the run, marked incomplete when it
    stopped early, and whether it was interrupted.
    """
    results = list(errors)
    stopped = interrupted = False
    try:
        for c in selected:
            if exitfirst and any(not r.as_expected for r in results):
                stopped = True
                break
            results.append(run_isolated(c, overrides, timeout, progress))
            if on_result is not None:
                on_result(results[-1], RunReport(tuple(results), False))
    except KeyboardInterrupt:
        interrupted = True
    complete = not (stopped or interrupted) and len(results) == len(errors) + len(selected)
    return RunReport(tuple(results), complete), interrupted
