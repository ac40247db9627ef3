"""A Report as self-contained HTML: the table, each wrong parameter's hint and an SVG heatmap with values on hover."""

from __future__ import annotations

from html import escape

__all__ = ["escape", "heatmap_svg", "page", "report_html"]
from typing import Any

import numpy as np

from .indexing import entry_label
from .text import COLUMNS, HEAT_LABELS, Report, heat_grid, row, verdict

HEAT_COLOURS = ("#e8f5e9", "#fff59d", "#ffb74d", "#f57c00", "#e53935", "#b71c1c")
_CELL = 14  # pixels per heatmap cell
_PER_ENTRY = 4096  # up to this many entries a heatmap has one cell per entry; beyond, one per block

STYLE = """
body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
table.params{border-collapse:collapse;margin:.5em 0}
table.params td,table.params th{border:1px solid #ccc;padding:2px 8px;text-align:left;font-variant-numeric:tabular-nums}
.ok{color:#2e7d32}.wrong{color:#c62828}.inconclusive{color:#b26a00}
.hint{margin:.3em 0 .6em 0}.note{color:#666;font-size:90%}
details{border:1px solid #ddd;border-radius:4px;margin:.4em 0;padding:.3em .6em}
summary{cursor:pointer;font-weight:600}
.legend span{display:inline-block;width:12px;height:12px;margin:0 3px 0 10px;vertical-align:middle}
"""


def _kind_class(r: Any) -> str:
    return "ok" if r.ok else "inconclusive" if str(r.kind) == "inconclusive" else "wrong"


def heatmap_svg(r: Any) -> str:
    """A wrong parameter's error ÷ tolerance as SVG cells (one per entry up to ``_PER_ENTRY``), each with its index,
    analytic and numerical value in a hover title."""
    excess = np.asarray(r.excess, dtype=np.float64)
    a, n = np.asarray(r.analytic, dtype=np.float64), np.asarray(r.numerical, dtype=np.float64)
    per_entry = excess.size <= _PER_ENTRY
    rows, flat_cols = (1, excess.size) if excess.ndim < 2 else (excess.shape[0], excess.size // excess.shape[0])
    grid, block = heat_grid(excess, width=flat_cols, height=rows) if per_entry else heat_grid(excess)
    cells = []
    for i, values in enumerate(grid):
        for j, level in enumerate(values):
            if per_entry:
                flat = i * flat_cols + j
                title = (f"{entry_label(flat, excess.shape)}: analytic {a.flat[flat]:.6g}, numerical "
                         f"{n.flat[flat]:.6g}, {excess.flat[flat]:.3g}× tolerance")
            else:
                title = f"rows {i * block[0]}–{(i + 1) * block[0] - 1}, columns {j * block[1]}–{(j + 1) * block[1] - 1}"
            cells.append(f'<rect class="cell" data-level="{int(level)}" x="{j * _CELL}" y="{i * _CELL}" '
                         f'width="{_CELL - 1}" height="{_CELL - 1}" fill="{HEAT_COLOURS[int(level)]}">'
                         f"<title>{escape(title)}</title></rect>")
    width, height = grid.shape[1] * _CELL, grid.shape[0] * _CELL
    legend = "".join(f'<span style="background:{c}"></span>{escape(t)}' for c, t in zip(HEAT_COLOURS, HEAT_LABELS))
    return (f'<svg class="heatmap" data-entries="{excess.size}" data-per-entry="{str(per_entry).lower()}" '
            f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">{"".join(cells)}</svg>'
            f'<div class="legend note">error ÷ tolerance:{legend}</div>')


def report_html(report: Report) -> str:
    """The report as an HTML fragment: verdict, table, held-fixed arguments, each wrong parameter's hint and
    heatmap, the diagnosis and the notes."""
    status = "ok" if report.ok and not report.inconclusive else "inconclusive" if report.ok else "wrong"
    head = "".join(f"<th>{escape(c)}</th>" for c in COLUMNS)
    rows = "".join(f'<tr class="{_kind_class(r)}">' + "".join(f"<td>{escape(v)}</td>" for v in row(r)) + "</tr>"
                   for r in report.results)
    parts = [f'<div class="gradcheck-report"><p class="verdict {status}"><b>{escape(verdict(report))}</b></p>',
             f'<table class="params"><tr>{head}</tr>{rows}</table>']
    if report.held_fixed:
        parts.append(f'<p class="note">held fixed: {escape(", ".join(report.held_fixed))}</p>')
    for r in (*report.accounted, *report.inconclusive):
        parts.append(f'<div class="param {_kind_class(r)}"><b>{escape(r.name)}: {escape(str(r.kind))}</b>'
                     f'<p class="hint">{escape(r.hint)}</p>')
        if r.excess is not None and r.analytic is not None and r.size > 1:
            parts.append(heatmap_svg(r))
        parts.append("</div>")
    if report.diagnosis:
        parts.append(f'<p class="diagnosis"><b>{escape(report.diagnosis)}</b></p>')
    if report.trace is not None:
        parts.append(f'<p class="diagnosis"><b>trace: {escape(report.trace.sentence)}</b></p>')
        if report.trace.rows:
            cells = [(r.variable, str(r.line), r.source, r.paired_with or "-", r.verdict, f"{r.error:.3g}")
                     for r in report.trace.rows]
            parts.append('<table class="trace"><tr>' + "".join(f"<th>{h}</th>" for h in (
                "variable", "line", "source", "paired with", "verdict", "error")) + "</tr>" + "".join(
                f'<tr class="{"wrong" if c[4] == "wrong" else "ok"}">' + "".join(f"<td>{escape(v)}</td>" for v in c)
                + "</tr>" for c in cells) + "</table>")
    parts.extend(f'<p class="note">note: {escape(n)}</p>' for n in report.notes)
    parts.append("</div>")
    return "".join(parts)


def page(title: str, body: str) -> str:
    """A whole HTML document: no external resources, no network."""
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"<style>{STYLE}</style></head><body>{body}</body></html>\n")
