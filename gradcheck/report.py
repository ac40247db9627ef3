"""The report model: frozen per-parameter results and the report that every renderer reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import numpy as np


@dataclass(frozen=True, eq=False)
class ParamResult:
    """The verdict on one parameter's analytic gradient."""

    name: str
    ok: bool
    kind: str
    shape: tuple[int, ...] | None  # None for a gradient key that names no parameter
    grad_shape: tuple[int, ...] | None  # None when the gradient is missing
    size: int
    mismatched: int
    max_abs_error: float
    max_rel_error: float
    hint: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    analytic: np.ndarray | None = field(default=None, repr=False)
    numerical: np.ndarray | None = field(default=None, repr=False)
    rel_error: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Everything the result shows, as JSON-safe data."""
        return {
            "name": self.name,
            "ok": self.ok,
            "kind": self.kind,
            "shape": None if self.shape is None else list(self.shape),
            "grad_shape": None if self.grad_shape is None else list(self.grad_shape),
            "size": self.size,
            "mismatched": self.mismatched,
            "max_abs_error": _finite(self.max_abs_error),
            "max_rel_error": _finite(self.max_rel_error),
            "hint": self.hint,
            "detail": _jsonable(dict(self.detail)),
        }


@dataclass(frozen=True, eq=False)
class Report:
    """The result of one check: a verdict per parameter, in the parameters' order."""

    results: tuple[ParamResult, ...]
    method: str
    evaluations: int
    mode: str = "full"
    diagnosis: str | None = None  # what the pattern across parameters says
    notes: tuple[str, ...] = ()
    mode_reason: str = ""  # why this mode ran

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> tuple[ParamResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    def __iter__(self) -> Iterator[ParamResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, name: str) -> ParamResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(f"no parameter named {name!r}; the report has {[r.name for r in self.results]}")

    def to_dict(self) -> dict[str, Any]:
        """Everything the report shows, as JSON-safe data."""
        return {
            "ok": self.ok,
            "method": self.method,
            "mode": self.mode,
            "mode_reason": self.mode_reason,
            "evaluations": self.evaluations,
            "diagnosis": self.diagnosis,
            "notes": list(self.notes),
            "parameters": [r.to_dict() for r in self.results],
        }

    def __str__(self) -> str:
        from .render import format_report

        return format_report(self)


def merge(reports: "list[Report]") -> Report:
    """One report holding the results of several, in order: the evaluations add up, the diagnoses join."""
    if len(reports) == 1:
        return reports[0]
    return Report(
        tuple(r for report in reports for r in report.results),
        reports[0].method,
        sum(r.evaluations for r in reports),
        reports[0].mode,
        " ".join(r.diagnosis for r in reports if r.diagnosis) or None,
        tuple(n for r in reports for n in r.notes),
        reports[0].mode_reason,
    )


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return _finite(float(value))
    return value


@dataclass(frozen=True, eq=False)
class CaseResult:
    """One case of a run: what was expected, what happened, and the report when there is one."""

    name: str
    file: str
    expect: str  # "pass" or "fail"
    status: str  # "pass", "fail" or "error"
    as_expected: bool
    kinds: Mapping[str, str] | None = None  # the kinds the case expects, by parameter
    error: str | None = None  # one line, for status "error"
    reason: str | None = None  # why the result is not as expected
    report: Report | None = None
    traceback: str | None = field(default=None, repr=False)
    doc: str = ""
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        report = self.report
        return {
            "name": self.name,
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

    cases: tuple[CaseResult, ...]
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

    def to_dict(self) -> dict[str, Any]:
        return {"version": 1, "complete": self.complete, "cases": [c.to_dict() for c in self.cases],
                "summary": self.summary}
