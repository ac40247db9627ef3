"""The results of a run: one CaseResult per case, the RunReport of them all, and their plain text."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Optional, Tuple

from ..report import Report
from ..sweeps import SweepSummary, summarize
from ..text import format_report
from .define import Expectation

Status = Literal["pass", "fail", "inconclusive", "error"]


@dataclass(frozen=True, eq=False)
class CaseResult:
    """One case of a run: what was expected, what happened, and the report when there is one."""

    name: str
    file: str
    expect: Expectation
    status: Status
    as_expected: bool
    kinds: Optional[Mapping[str, str]] = None  # the kinds the case expects, by parameter
    error: Optional[str] = None  # one line, for status "error"
    reason: Optional[str] = None  # why the result is not as expected
    report: Optional[Report] = None
    traceback: Optional[str] = field(default=None, repr=False)
    doc: str = ""
    seconds: float = 0.0
    sweep: Optional[Mapping[str, Any]] = None  # a swept case's combination of settings
    group: str = ""  # the swept case's own name

    def to_dict(self) -> dict[str, Any]:
        report = self.report
        return {
            "name": self.name,
            "sweep": None if self.sweep is None else dict(self.sweep),
            "file": self.file,
            "expect": self.expect,
            "kinds": None if self.kinds is None else dict(self.kinds),
            "status": self.status,
            "as_expected": self.as_expected,
            "reason": self.reason,
            "error": self.error,
            "method": report.method if report else None,
            "evaluations": report.evaluations if report else 0,
            "diagnosis": report.diagnosis if report else None,
            "seconds": round(self.seconds, 6),
            "parameters": [r.to_dict() for r in report] if report else [],
        }


@dataclass(frozen=True, eq=False)
class RunReport:
    """Every case of a run, in the order they ran."""

    cases: Tuple[CaseResult, ...]
    complete: bool = True  # False when the run was interrupted or stopped early

    @property
    def ok(self) -> bool:
        return bool(self.cases) and all(c.as_expected for c in self.cases)

    @property
    def summary(self) -> dict[str, int]:
        errors = sum(c.status == "error" for c in self.cases)
        expected = sum(c.as_expected for c in self.cases)
        return {"cases": len(self.cases), "as_expected": expected,
                "unexpected": len(self.cases) - expected - errors, "errors": errors}

    @property
    def sweeps(self) -> tuple[SweepSummary, ...]:
        """Per swept case, in the order first run: what its failing combinations (a gradient wrong) share."""
        groups: dict[str, list[CaseResult]] = {}
        for c in self.cases:
            if c.group:
                groups.setdefault(c.group, []).append(c)
        return tuple(summarize(name, [(c.sweep or {}, c.name, c.status == "fail") for c in runs])
                     for name, runs in groups.items())

    def to_dict(self) -> dict[str, Any]:
        return {"version": 1, "complete": self.complete, "cases": [c.to_dict() for c in self.cases],
                "sweeps": [s.to_dict() for s in self.sweeps], "summary": self.summary}


_LABEL = {"pass": "PASS", "fail": "FAIL", "inconclusive": "INCONCLUSIVE", "error": "ERROR"}


def case_header(c: CaseResult) -> str:
    """One line per case: verdict, name, file, expectation and whether it was met."""
    met = "as expected" if c.as_expected else f"UNEXPECTED: {c.reason or c.error}"
    return f"{_LABEL[c.status]:<5} {c.name}  ({c.file})  expect {c.expect}: {met}"


def failure_line(c: CaseResult) -> str:
    """A case in one line: its name, what broke (each wrong parameter with its kind) and what it expected —
    ``dense_regression_b1: b1 sign-flipped (expected pass)``. The same line in the run's closing list, pytest's
    short summary, the JUnit message, the Markdown table and the GitHub summary."""
    return f"{c.name}: {found(c)}"


def found(c: CaseResult) -> str:
    """What a case found and what it expected, without its name (where the name is already said, as in pytest's
    ``FAILED path::name - b1 sign-flipped (expected pass)``)."""
    if c.status == "error":
        return f"error: {c.error} (expected {c.expect})"
    said = c.report.one_line() if c.report is not None else c.status
    return f"{said} (expected {c.expect}{_named(c)})"


def _named(c: CaseResult) -> str:
    return ": " + ", ".join(f"{k} {v}" for k, v in c.kinds.items()) if c.kinds else ""


def brief(c: CaseResult) -> str:
    """A case that met its expectation, in one line: ``PASS  name`` or ``XFAIL name  b1 sign-flipped ✓``."""
    if c.status == "pass":
        return f"PASS  {c.name}"
    label = "XFAIL" if c.status == "fail" else "INCONCLUSIVE"
    return f"{label} {c.name}  {c.report.one_line() if c.report is not None else ''} ✓"


def format_case(c: CaseResult, verbose: bool = False) -> str:
    """A case's header, its doc line, and its report (or its error)."""
    lines = [case_header(c)]
    if c.doc:
        lines.append(f"      {c.doc}")
    if c.status == "error":
        lines.append(f"      {c.error}")
        if verbose and c.traceback:
            lines.extend("      " + line for line in c.traceback.rstrip().splitlines())
    elif c.report is not None:
        lines.extend("    " + line if line else "" for line in format_report(c.report, verbose).splitlines())
    return "\n".join(lines)


def summary_line(run: RunReport) -> str:
    """The closing line of a run: counts of cases as expected, unexpected and errors."""
    s = run.summary
    errors = f"{s['errors']} error{'' if s['errors'] == 1 else 's'}"
    text = f"{s['as_expected']} as expected, {s['unexpected']} unexpected, {errors} ({s['cases']} cases)"
    return text if run.complete else text + " — incomplete run"


def sweep_lines(run: RunReport) -> list[str]:
    """``SWEEPS:`` and a line per swept case: what its failing combinations share, the smallest first."""
    sweeps = run.sweeps
    return ["SWEEPS:", *(f"  {s.line()}" for s in sweeps)] if sweeps else []


def closing(run: RunReport) -> list[str]:
    """The end of a run: the sweeps, ``UNEXPECTED:`` and each unexpected case's one line, then the counts."""
    wrong = [c for c in run.cases if not c.as_expected]
    return (sweep_lines(run) + (["UNEXPECTED:", *(f"  {failure_line(c)}" for c in wrong)] if wrong else [])
            + [summary_line(run)])
