"""A Report as plain text in numpy.testing's manner: verdict, table, each failure's account and heatmap."""

from __future__ import annotations

import math
from typing import Any, Mapping, Optional, Protocol, Sequence, Tuple

import numpy as np

from .indexing import entry_label, index_label


# What this module reads of report.ParamResult and report.Report. report.py imports this module
# (str(report) is its text), so the renderer names the attributes it reads instead of importing the types.
class ParamResult(Protocol):
    name: str
    ok: bool
    kind: str
    shape: Optional[Tuple[int, ...]]
    grad_shape: Optional[Tuple[int, ...]]
    size: int
    mismatched: int
    max_abs_error: float
    max_rel_error: float
    hint: str
    detail: Mapping[str, Any]
    detectable: float
    analytic: Optional[np.ndarray]
    numerical: Optional[np.ndarray]
    rel_error: Optional[np.ndarray]
    wrong_entries: Optional[np.ndarray]
    excess: Optional[np.ndarray]


class Report(Protocol):
    results: Sequence[ParamResult]
    method: str
    evaluations: int
    mode: str
    diagnosis: Optional[str]
    notes: Sequence[str]
    mode_reason: str
    held_fixed: Sequence[str]
    not_checked: Sequence[str]
    subject: str
    unit: str
    evaluated: str
    trace: Any

    @property
    def ok(self) -> bool: ...

    @property
    def failed(self) -> Sequence[ParamResult]: ...

    @property
    def inconclusive(self) -> Sequence[ParamResult]: ...

    @property
    def accounted(self) -> Sequence[ParamResult]: ...

    @property
    def refused(self) -> bool: ...

_FIRST = 5  # mismatched entries listed per parameter
_VERBOSE_SIZE = 64  # -v lists every entry of parameters up to this size

# Heatmap levels of each entry's error ÷ tolerance (0 for an entry that is right, whatever its size), and the
# character of each in plain text.
HEAT_THRESHOLDS = (1.0, 2.0, 10.0, 100.0, 1000.0)
HEAT_LABELS = ("right", "1–2× tol", "2–10×", "10–100×", "100–1000×", "≥1000×")
HEAT_CHARS = ".-=+*#"
HEAT_WIDTH = 64
HEAT_HEIGHT = 16


def _shape(shape) -> str:
    return "-" if shape is None else str(tuple(shape))


def _num(x: float) -> str:
    return f"{x:.3g}" if np.isfinite(x) else "-"


def verdict(report: Report) -> str:
    """One line: the verdict, the method and the cost."""
    n = len(report.results)
    noun = report.unit if n == 1 else report.unit + "s"
    how = (f"{report.method}{', probe mode' if report.mode == 'probe' else ''}, {report.evaluations} "
           f"{report.evaluated} evaluations")
    if report.not_checked:
        how += f"; not checked: {', '.join(report.not_checked)} (no gradient returned)"
    unsure = len(report.inconclusive)
    also = f", {unsure} inconclusive" if unsure else ""
    if report.refused:
        return f"no verdict: the loss gives different values at the same point ({how})"
    subject = report.subject
    if report.ok and not unsure:
        return f"{subject} OK: {'the' if n == 1 else 'all ' + str(n)} {noun} match{'es' if n == 1 else ''} ({how})"
    if report.ok:
        matching = n - unsure
        return f"{subject} OK: {matching} of {n} {noun} match{'es' if matching == 1 else ''}{also} ({how})"
    wrong = len(report.failed)
    return f"{subject} WRONG: {wrong} of {n} {noun} do{'es' if wrong == 1 else ''} not match{also} ({how})"


COLUMNS = ("parameter", "shape", "analytic shape", "kind", "mismatched", "max abs err", "max rel err", "detectable")


def row(r: ParamResult) -> tuple[str, ...]:
    """A parameter's cells under COLUMNS; the analytic shape only where it differs."""
    kinks, unjudged = r.detail.get("kinks"), r.detail.get("unjudged")
    counts = [f"{kinks} kink{'s' if kinks > 1 else ''}"] if kinks else []
    counts += [f"{unjudged} unjudged"] if unjudged else []
    kind = f"{r.kind} ({', '.join(counts)})" if counts else r.kind
    grad_shape = "" if r.grad_shape in (None, r.shape) else _shape(r.grad_shape)
    return (r.name, _shape(r.shape), grad_shape, kind, f"{r.mismatched} / {r.size}", _num(r.max_abs_error),
            _num(r.max_rel_error), _num(r.detectable))


def shown_columns(rows: Sequence[tuple[str, ...]]) -> list[int]:
    """The columns a table shows: all but the analytic shape, which only when some gradient's shape differs."""
    return [i for i, column in enumerate(COLUMNS) if column != "analytic shape" or any(r[i] for r in rows)]


def table(report: Report) -> list[str]:
    """One row per parameter: name, shape, analytic shape, kind, mismatched entries and the largest errors."""
    rows = [row(r) for r in report.results]
    columns = shown_columns(rows)
    lines = [tuple(COLUMNS[i] for i in columns)] + [tuple(r[i] for i in columns) for r in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(columns))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines]


def heat_grid(rel_error: np.ndarray, width: int = HEAT_WIDTH, height: int = HEAT_HEIGHT):
    """Per-entry error ÷ tolerance as a grid of heat levels (0 … 5), binned to at most ``height`` × ``width``.

    A 0-d or 1-D array is one row; an N-D array is shown as (first axis) × (the
    rest). Each cell is the largest error of the block of entries it covers.
    Returns the grid and the block size (rows, columns).
    """
    a = np.asarray(rel_error, dtype=np.float64)
    a = a.reshape(1, -1) if a.ndim < 2 else a.reshape(a.shape[0], -1)
    rows, cols = a.shape
    rb, cb = math.ceil(rows / height), math.ceil(cols / width)
    padded = np.zeros((math.ceil(rows / rb) * rb, math.ceil(cols / cb) * cb))
    padded[:rows, :cols] = np.nan_to_num(a, nan=np.inf)
    blocks = padded.reshape(padded.shape[0] // rb, rb, padded.shape[1] // cb, cb).max(axis=(1, 3))
    return np.searchsorted(np.asarray(HEAT_THRESHOLDS), blocks, side="right"), (rb, cb)


def heat_legend() -> str:
    """What the heatmap characters mean."""
    return "  ".join(f"{c} {b}" for c, b in zip(HEAT_CHARS, HEAT_LABELS))


def heat_caption(shape, block) -> str:
    """The heatmap's title: what a cell holds, and how entries were binned."""
    layout = "one row" if len(shape) < 2 else ("rows × columns" if len(shape) == 2 else "axis 0 × the other axes")
    binned = f"; each cell the largest of a {block[0]} × {block[1]} block of entries" if block != (1, 1) else ""
    return f"error ÷ tolerance per entry, how far beyond its tolerance each wrong entry lies ({layout}{binned}):"


def heatmap(r: ParamResult) -> list[str]:
    """The plain-text heatmap of a parameter's per-entry error, with caption and legend."""
    grid, block = heat_grid(r.excess)
    return ["  " + heat_caption(r.shape, block),
            *("    " + "".join(HEAT_CHARS[v] for v in row) for row in grid),
            "  legend: " + heat_legend()]


def entries(r: ParamResult) -> list[str]:
    """Every entry's analytic and numerical value and error, for a small parameter (-v)."""
    a = np.asarray(r.analytic, dtype=np.float64)
    n = np.asarray(r.numerical, dtype=np.float64)
    lines = ["  entry        analytic       numerical      abs err    rel err"]
    for flat in range(a.size):
        lines.append(f"  {entry_label(flat, a.shape):<12} {a.flat[flat]: .6e}  {n.flat[flat]: .6e}  "
                     f"{abs(a.flat[flat] - n.flat[flat]):.2e}   {_relative(r).flat[flat]:.2e}")
    return lines


def _comparable(r: ParamResult) -> bool:
    return r.analytic is not None and r.numerical is not None and np.shape(r.analytic) == np.shape(r.numerical)


def _relative(r: ParamResult) -> np.ndarray:
    """|a − n| / max(|a|, |n|) per entry: kept in the result for a wrong gradient, worked out for a right one."""
    if r.rel_error is not None:
        return r.rel_error
    a, n = np.asarray(r.analytic, dtype=np.float64), np.asarray(r.numerical, dtype=np.float64)
    denom = np.maximum(np.abs(a), np.abs(n))
    return np.abs(a - n) / np.where(denom > 0, denom, 1.0)


def account(r: ParamResult, verbose: bool = False) -> list[str]:
    """The numpy.testing-style account of one failing parameter: counts, largest errors, entries, hint."""
    title, facts, hint = account_parts(r, verbose)
    return [title, *facts, *([hint] if hint else [])]


def account_parts(r: ParamResult, verbose: bool = False) -> tuple[str, list[str], str | None]:
    """The account in its parts, for renderers that style them: the title line, the facts, the hint line."""
    title = f"{r.name}: {r.kind}"
    lines: list[str] = []
    if r.shape is not None and r.grad_shape is not None and r.grad_shape != r.shape:
        lines.append(f"  analytic shape {_shape(r.grad_shape)}, parameter shape {_shape(r.shape)}")
    if r.size:
        pct = 100.0 * r.mismatched / r.size
        lines.append(f"  Mismatched elements: {r.mismatched} / {r.size} ({pct:.3g}%)")
    if np.isfinite(r.max_abs_error) and r.grad_shape == r.shape:
        of = f" of the slopes along {r.detail['probes']} probe directions" if "probes" in r.detail else ""
        lines.append(f"  Max absolute difference{of}: {r.max_abs_error:.6g}")
        lines.append(f"  Max relative difference{of}: {r.max_rel_error:.6g}")
        if _comparable(r):
            lines.extend(entries(r) if verbose and r.size <= _VERBOSE_SIZE else _first_entries(r))
    if r.detail.get("entries"):
        lines.append("  entry        analytic       numerical")
        for e in r.detail["entries"]:
            lines.append(f"  {index_label(e['index']):<12} {e['analytic']: .6e}  {e['numerical']: .6e}")
    if "order" in r.detail:
        lines.append(f"  Observed order of the Taylor remainder: {r.detail['order']:.2f} (2 when right, 1 when wrong)")
    return title, lines, f"  {r.hint}" if r.hint else None


def has_heatmap(r: ParamResult) -> bool:
    return _comparable(r) and r.size > 1 and r.excess is not None


def one_line(report: Report) -> str:
    """The wrong parameters with their kinds, or the verdict when nothing is wrong: one line for summaries."""
    if report.refused:
        return "no verdict: the loss is not deterministic"
    wrong = [f"{r.name} {r.kind}" for r in report.failed]
    unsure = [f"{r.name} inconclusive" for r in report.inconclusive]
    return ", ".join(wrong + unsure) or ("all gradients match" if report.subject == "gradients" else
                                          f"{report.subject}: every {report.unit} matches")


def failure(r: ParamResult, verbose: bool = False) -> list[str]:
    """A failing parameter's account followed by its heatmap."""
    return account(r, verbose) + (heatmap(r) if has_heatmap(r) else [])


def _first_entries(r: ParamResult) -> list[str]:
    """The mismatched entries with the largest relative errors, in index order."""
    a = np.asarray(r.analytic, dtype=np.float64)
    n = np.asarray(r.numerical, dtype=np.float64)
    wrong = np.abs(a - n) > 0 if r.wrong_entries is None else r.wrong_entries
    order = np.argsort(-(_relative(r) * wrong).reshape(-1), kind="stable")[: min(_FIRST, r.mismatched)]
    if not len(order):
        return []
    lines = ["  entry        analytic       numerical"]
    for flat in sorted(order):
        lines.append(f"  {entry_label(flat, a.shape):<12} {a.flat[flat]: .6e}  {n.flat[flat]: .6e}")
    return lines


def trace_lines(trace: Any) -> list[str]:
    """Where the error enters, then the table of the backward's intermediates (variable, line, paired with, verdict,
    error)."""
    lines = [f"trace: {trace.sentence}"]
    if trace.rows:
        rows = [("variable", "line", "paired with", "verdict", "error")] + [
            (r.variable, str(r.line), r.paired_with or "-", r.verdict, _num(r.error)) for r in trace.rows]
        widths = [max(len(row[i]) for row in rows) for i in range(5)]
        lines.extend("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)
    return lines


def format_report(report: Report, verbose: bool = False) -> str:
    """The whole report as plain text: verdict, table, then each failure and the diagnosis across parameters."""
    lines = [verdict(report), *table(report)]
    if report.held_fixed:
        lines.append(f"held fixed: {', '.join(report.held_fixed)}")
    for r in report.accounted:
        lines.append("")
        lines.extend(failure(r, verbose))
    for r in report.inconclusive:
        lines.append("")
        lines.extend(account(r, verbose))
    if verbose:
        for r in report.results:
            if r.ok and _comparable(r) and r.size <= _VERBOSE_SIZE:
                lines.extend(["", f"{r.name}: ok", *entries(r)])
    if report.diagnosis:
        lines.extend(["", report.diagnosis])
    if report.trace is not None:
        lines.extend(["", *trace_lines(report.trace)])
    if verbose:  # why this mode ran; a probe verdict's guarantee is always in its notes
        lines.append(f"mode: {report.mode_reason}")
    for note in report.notes:
        lines.append(f"note: {note}")
    return "\n".join(lines)
