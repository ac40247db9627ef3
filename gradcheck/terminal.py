"""Terminal rendering with rich: coloured case headers, parameter tables, heatmaps and progress."""

from __future__ import annotations

import os
import sys
from typing import IO

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from . import render
from .report import CaseResult, ParamResult, Report, RunReport

HEAT_STYLES = ("green4", "green3", "yellow3", "orange3", "red3", "red1", "bold bright_red")
_STATUS = {"pass": "bold green", "fail": "bold red", "error": "bold magenta"}


def use_color(no_color: bool = False, stream: IO | None = None) -> bool:
    """Colour only on a terminal, and never with --no-color or NO_COLOR set."""
    stream = stream or sys.stdout
    return not no_color and "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def console(file: IO | None = None, color: bool = True, width: int | None = None) -> Console:
    return Console(file=file, force_terminal=color, no_color=not color, highlight=False, width=width)


def heatmap(r: ParamResult) -> Group:
    """The per-entry error of a parameter as coloured cells, with caption and legend."""
    grid, block = render.heat_grid(r.rel_error)
    rows = [Text("  ") + Text.assemble(*((render.HEAT_CHARS[v], HEAT_STYLES[v]) for v in row)) for row in grid]
    legend = Text("  legend: ")
    for char, style, label in zip(render.HEAT_CHARS, HEAT_STYLES, render.HEAT_LABELS):
        legend.append(char, style)
        legend.append(f" {label}  ")
    return Group(Text(render.heat_caption(r.shape, block), style="dim"), *rows, legend)


def table(report: Report) -> Table:
    """One row per parameter, coloured by verdict."""
    t = Table(show_edge=False, pad_edge=False, box=None, header_style="bold")
    for column in ("parameter", "shape", "analytic shape", "kind", "mismatched", "max abs err", "max rel err"):
        t.add_column(column, justify="right" if column.startswith(("max", "mis")) else "left")
    for r in report.results:
        style = "green" if r.ok else "red"
        kinks = r.detail.get("kinks")
        kind = f"{r.kind} ({kinks} kink{'s' if kinks > 1 else ''})" if kinks else r.kind
        t.add_row(r.name, render._shape(r.shape), "" if r.grad_shape in (None, r.shape) else render._shape(r.grad_shape),
                  Text(kind, style=style), f"{r.mismatched} / {r.size}", render._num(r.max_abs_error),
                  render._num(r.max_rel_error))
    return t


def failure(r: ParamResult, verbose: bool = False) -> Group:
    """A failing parameter: the numbers in numpy.testing's manner, the hint, the heatmap."""
    lines = render.account(r, verbose)
    parts: list[RenderableType] = [Text(lines[0], style="bold red")]
    parts.extend(Text(line, style="yellow" if line.strip() == r.hint else "") for line in lines[1:])
    if render.has_heatmap(r):
        parts.append(heatmap(r))
    return Group(*parts)


def report(rep: Report, verbose: bool = False) -> Group:
    """A whole report: verdict, table, failures, the diagnosis across parameters."""
    parts: list[RenderableType] = [Text(render.verdict(rep), style="bold green" if rep.ok else "bold red"), table(rep)]
    for r in rep.failed:
        parts.extend([Text(""), failure(r, verbose)])
    if rep.diagnosis:
        parts.extend([Text(""), Text(rep.diagnosis, style="bold yellow")])
    parts.extend(Text(f"note: {n}", style="dim") for n in rep.notes)
    return Group(*parts)


def case(c: CaseResult, verbose: bool = False) -> Group:
    """A case: its coloured header, doc line, and report or error."""
    header = Text.assemble((f"{c.status.upper():<5}", _STATUS[c.status]), " ", (c.name, "bold"), f"  ({c.file})  ",
                           f"expect {c.expect}: ",
                           ("as expected", "green") if c.as_expected else (f"UNEXPECTED: {c.reason or c.error}", "bold red"))
    parts: list[RenderableType] = [header]
    if c.doc:
        parts.append(Text(f"      {c.doc}", style="dim"))
    if c.status == "error":
        parts.append(Text(f"      {c.error}", style="magenta"))
        if verbose and c.traceback:
            parts.append(Text(c.traceback, style="dim"))
    elif c.report is not None:
        parts.append(Padding(report(c.report, verbose), (0, 0, 0, 4)))
    return Group(*parts)


def summary(run: RunReport) -> Text:
    style = "bold green" if run.ok else "bold red"
    return Text(render.summary_line(run), style=style)


def progress(con: Console) -> Progress:
    """A transient bar for cases and entries: done / total, elapsed, remaining; shown after about a second."""
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TimeRemainingColumn(), console=con, transient=True, refresh_per_second=5)
