"""The report model: frozen per-parameter results, the report that every renderer reads, and its assertion."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, List, Literal, TypedDict, Union

import numpy as np

from . import html, text
from .kinds import Kind
from .options import Method, Mode


class Entry(TypedDict):
    """One located entry with its two values (probe mode)."""

    index: List[int]
    analytic: float
    numerical: float


class Detail(TypedDict, total=False):
    """The facts behind a result, as data; every key is optional and appears in JSON under ``detail``."""

    refused: bool  # no verdict: the loss is not deterministic
    extra: bool  # a gradient key that names no parameter
    missing: bool  # no gradient returned for the parameter
    gradient_kind: str  # for mutates-params: the kind of the gradient checked on a clean copy
    count: int  # non-finite entries of the analytic gradient
    indices: List[List[int]]  # the first wrong (or non-finite, or located) entries
    fraction: float  # the share of entries that are wrong
    rows: List[int]  # wrong entries fill these rows…
    columns: List[int]  # …or these columns
    k: float  # analytic = k · numerical
    expected_shape: List[int]
    found_shape: List[int]
    axis: "int | None"  # the batch axis a not-reduced gradient keeps (None: every axis)
    m: int  # the batch size read from a not-reduced gradient
    kinks: int  # suspect entries where the loss is not differentiable
    kink_indices: List[int]  # flat indices of the first of them
    wrong_at_kinks: int  # wrong entries whose analytic value lies outside the one-sided slopes
    nearby: int  # entries not differentiable at the point whose gradient is right a little way off it
    inconclusive_entries: int  # entries of an ok gradient too small against their error to certify
    unjudged: int  # entries crossing kinks within every step, at the point and nearby: not judged either way
    order: float  # median observed order of the Taylor remainder of the wrong entries
    probes: int  # probe mode: directions per tensor
    catches_error_norm: float  # probe mode: the error size caught with probability 1 − miss_probability
    miss_probability: float
    probes_disagreeing: int  # probe mode: slopes that disagree with the analytic gradient
    located: bool  # probe mode: group testing found the wrong entries
    locate_evaluations: int  # loss evaluations group testing spent
    entries: List[Entry]  # probe mode: the located entries' values
    activation: str  # check_layer: the recognised elementwise activation…
    fingerprint: str  # …and the derivative its backward applied


@dataclass(frozen=True, eq=False)
class ParamResult:
    """The verdict on one parameter's analytic gradient."""

    name: str
    ok: bool
    kind: Kind
    shape: tuple[int, ...] | None  # None for a gradient key that names no parameter
    grad_shape: tuple[int, ...] | None  # None when the gradient is missing
    size: int
    mismatched: int
    max_abs_error: float
    max_rel_error: float
    hint: str = ""
    detail: Detail = field(default_factory=dict)  # type: ignore[assignment]
    detectable: float = float("nan")  # the smallest error, relative to the gradient's size, sure to be caught
    analytic: np.ndarray | None = field(default=None, repr=False)
    numerical: np.ndarray | None = field(default=None, repr=False)
    rel_error: np.ndarray | None = field(default=None, repr=False)
    wrong_entries: np.ndarray | None = field(default=None, repr=False)  # bool, where the values disagree
    excess: np.ndarray | None = field(default=None, repr=False)  # |a − n| / tolerance at wrong entries, else 0

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
            "max_abs_error": finite(self.max_abs_error),
            "max_rel_error": finite(self.max_rel_error),
            "hint": self.hint,
            "detectable": finite(self.detectable),
            "detail": jsonable(dict(self.detail)),
        }


@dataclass(frozen=True)
class TraceRow:
    """One backward intermediate: where it is bound, the forward variable it is the gradient of, and its verdict."""

    variable: str
    function: str
    line: int
    source: str
    paired_with: str | None  # "z1 (line 12)"; None when unpaired
    verdict: str  # "right", "wrong", "unpaired" (a name bound more than once), "untested"
    error: float  # the relative difference of the worst direction
    changed_after: bool = False  # the backward changes it in place after the line that binds it
    position: int = 0  # its place among the arrays the backward bound, in the order it ran
    changed_at: tuple[int, ...] = ()  # the lines that change it in place after the line that binds it

    def to_dict(self) -> dict[str, Any]:
        return {"variable": self.variable, "function": self.function, "line": self.line, "source": self.source,
                "paired_with": self.paired_with, "verdict": self.verdict, "error": finite(self.error)}


@dataclass(frozen=True)
class Trace:
    """The backward's intermediates followed from the forward's, and the sentence on where the error enters."""

    rows: tuple[TraceRow, ...]
    sentence: str
    traced: bool = True

    def to_dict(self) -> dict[str, Any]:
        return {"traced": self.traced, "sentence": self.sentence, "rows": [r.to_dict() for r in self.rows]}


@dataclass(frozen=True, eq=False)
class Report:
    """The result of one check: a verdict per parameter, in the parameters' order."""

    results: tuple[ParamResult, ...]
    method: Union[Method, Literal["none"]]  # "none": no verdict, nothing was measured
    evaluations: int
    mode: Mode = "full"
    diagnosis: str | None = None  # what the pattern across parameters says
    notes: tuple[str, ...] = ()
    mode_reason: str = ""  # why this mode ran
    held_fixed: tuple[str, ...] = ()  # a layer's arguments not differentiated: "y (int64 array (5,))"
    not_checked: tuple[str, ...] = ()  # differentiable arguments the backward returned no gradient for
    subject: str = "gradients"  # what was checked: "gradients", or "Jacobian", "Hessian" … for the other checks
    unit: str = "parameter"  # what each result is of: a parameter, or a block of a matrix
    evaluated: str = "loss"  # the function whose evaluations are counted
    trace: Trace | None = None  # where the error enters, when the intermediates were followed

    @property
    def ok(self) -> bool:
        """No gradient is wrong (an inconclusive one is not wrong)."""
        return not self.failed

    @property
    def certified(self) -> bool:
        """Every gradient is right, and none is inconclusive: what ``strict`` asks for."""
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> tuple[ParamResult, ...]:
        """The results whose gradient is wrong."""
        return tuple(r for r in self.results if not r.ok and r.kind != Kind.INCONCLUSIVE)

    @property
    def inconclusive(self) -> tuple[ParamResult, ...]:
        """The results the check could not certify either way."""
        return tuple(r for r in self.results if r.kind == Kind.INCONCLUSIVE)

    @property
    def refused(self) -> bool:
        """No verdict at all: the loss is not deterministic, which the report's diagnosis says once."""
        return bool(self.results) and all(r.detail.get("refused") for r in self.results)

    @property
    def accounted(self) -> tuple[ParamResult, ...]:
        """The failing results with an account of their own (a refused verdict is the report's one finding)."""
        return tuple(r for r in self.failed if not r.detail.get("refused"))

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
            "certified": self.certified,
            "method": self.method,
            "mode": self.mode,
            "mode_reason": self.mode_reason,
            "evaluations": self.evaluations,
            "diagnosis": self.diagnosis,
            "notes": list(self.notes),
            "held_fixed": list(self.held_fixed),
            "not_checked": list(self.not_checked),
            "subject": self.subject,
            "trace": None if self.trace is None else self.trace.to_dict(),
            "parameters": [r.to_dict() for r in self.results],
        }

    def __str__(self) -> str:
        return text.format_report(self)

    def _repr_html_(self) -> str:
        """The report in a Jupyter notebook: the same view as the HTML report file."""
        return html.report_html(self)

    def one_line(self) -> str:
        """What broke, in one line: each wrong parameter with its kind (``b1 sign-flipped, W1 wrong-values``)."""
        return text.one_line(self)


def merge(reports: "list[Report]") -> Report:
    """One report holding the results of several, in order: the evaluations add up, the diagnoses join."""
    if len(reports) == 1:
        return reports[0]
    return Report(
        results=tuple(r for report in reports for r in report.results),
        method=reports[0].method,
        evaluations=sum(r.evaluations for r in reports),
        mode=reports[0].mode,
        diagnosis="; ".join(r.diagnosis for r in reports if r.diagnosis) or None,
        notes=tuple(n for r in reports for n in r.notes),
        mode_reason=reports[0].mode_reason,
        held_fixed=tuple(f for r in reports for f in r.held_fixed),
        not_checked=tuple(n for r in reports for n in r.not_checked),
    )


def finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return finite(float(value))
    return value


class GradientError(AssertionError):
    """An analytic gradient disagrees with the numerical one; ``report`` says how, and the message is its text."""

    def __init__(self, report: Report, message: str | None = None) -> None:
        body = str(report) if message is None else message
        super().__init__(f"{report.one_line()}\n{body}")  # the first line is what pytest's short summary shows
        self.report = report
