"""Rendering: the report as plain text, in numpy.testing's manner."""

from __future__ import annotations

import numpy as np

from .report import CaseResult, ParamResult, Report, RunReport

_FIRST = 5  # mismatched entries listed per parameter


def _shape(shape) -> str:
    return "-" if shape is None else str(tuple(shape))


def _num(x: float) -> str:
    return f"{x:.3g}" if np.isfinite(x) else "-"


def verdict(report: Report) -> str:
    """One line: the verdict, the method and the cost."""
    n = len(report.results)
    noun = "parameter" if n == 1 else "parameters"
    how = f"{report.method}, {report.evaluations} loss evaluations"
    if report.ok:
        return f"gradients OK: {'the' if n == 1 else 'all ' + str(n)} {noun} match{'es' if n == 1 else ''} ({how})"
    return f"gradients WRONG: {len(report.failed)} of {n} {noun} do{'es' if n == 1 else ''} not match ({how})"


def table(report: Report) -> list[str]:
    """One row per parameter: name, shape, kind, mismatched entries and the largest errors."""
    header = ("parameter", "shape", "kind", "mismatched", "max abs err", "max rel err")
    rows = [header]
    for r in report.results:
        shape = _shape(r.shape) if r.grad_shape in (None, r.shape) else f"{_shape(r.shape)} got {_shape(r.grad_shape)}"
        kinks = r.detail.get("kinks")
        kind = f"{r.kind} ({kinks} kink{'s' if kinks > 1 else ''})" if kinks else r.kind
        rows.append((r.name, shape, kind, f"{r.mismatched} / {r.size}", _num(r.max_abs_error), _num(r.max_rel_error)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]


def failure(r: ParamResult) -> list[str]:
    """The numpy.testing-style account of one failing parameter."""
    lines = [f"{r.name}: {r.kind}"]
    if r.shape is not None and r.grad_shape is not None and r.grad_shape != r.shape:
        lines.append(f"  analytic shape {_shape(r.grad_shape)}, parameter shape {_shape(r.shape)}")
    if r.size:
        pct = 100.0 * r.mismatched / r.size
        lines.append(f"  Mismatched elements: {r.mismatched} / {r.size} ({pct:.3g}%)")
    if np.isfinite(r.max_abs_error) and r.grad_shape == r.shape:
        lines.append(f"  Max absolute difference: {r.max_abs_error:.6g}")
        lines.append(f"  Max relative difference: {r.max_rel_error:.6g}")
        if r.analytic is not None and r.numerical is not None and r.rel_error is not None:
            lines.extend(_first_entries(r))
    if "order" in r.detail:
        lines.append(f"  Observed order of the Taylor remainder: {r.detail['order']:.2f} (2 when right, 1 when wrong)")
    if r.hint:
        lines.append(f"  {r.hint}")
    return lines


def _first_entries(r: ParamResult) -> list[str]:
    a = np.asarray(r.analytic, dtype=np.float64)
    n = np.asarray(r.numerical, dtype=np.float64)
    wrong = np.abs(a - n) > 0
    order = np.argsort(-(r.rel_error * wrong).reshape(-1), kind="stable")[: min(_FIRST, r.mismatched)]
    if not len(order):
        return []
    lines = ["  entry        analytic       numerical"]
    for flat in sorted(order):
        index = tuple(int(i) for i in np.unravel_index(flat, a.shape))
        lines.append(f"  {str(index[0] if len(index) == 1 else index):<12} {a.flat[flat]: .6e}  {n.flat[flat]: .6e}")
    return lines


def format_report(report: Report) -> str:
    """The whole report as plain text: verdict, table, then each failure and the diagnosis across parameters."""
    lines = [verdict(report), *table(report)]
    for r in report.failed:
        lines.append("")
        lines.extend(failure(r))
    if report.diagnosis:
        lines.extend(["", report.diagnosis])
    for note in report.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)


_LABEL = {"pass": "PASS", "fail": "FAIL", "error": "ERROR"}


def case_header(c: CaseResult) -> str:
    """One line per case: verdict, name, file, expectation and whether it was met."""
    met = "as expected" if c.as_expected else f"UNEXPECTED: {c.reason or c.error}"
    return f"{_LABEL[c.status]:<5} {c.name}  ({c.file})  expect {c.expect}: {met}"


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
        lines.extend("    " + line if line else "" for line in format_report(c.report).splitlines())
    return "\n".join(lines)


def summary_line(run: RunReport) -> str:
    """The closing line of a run: counts of cases as expected, unexpected and errors."""
    s = run.summary
    text = f"{s['as_expected']} as expected, {s['unexpected']} unexpected, {s['errors']} errors ({s['cases']} cases)"
    return text if run.complete else text + " — incomplete run"
