"""Terminal rendering with rich: coloured case headers, parameter tables, heatmaps and progress."""

from __future__ import annotations

import os
import sys
import time
from typing import IO

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from .. import text
from ..cases.results import CaseResult, RunReport, closing, sweep_lines
from ..cases.results import brief as brief_line
from ..kinds import Kind
from ..report import ParamResult, Report

HEAT_STYLES = ("green4", "yellow3", "orange3", "red3", "red1", "bold bright_red")
_INDENT = 2  # a report is printed indented by this much inside a case
_STATUS = {"pass": "bold green", "fail": "bold red", "inconclusive": "bold yellow", "error": "bold magenta"}


def use_color(no_color: bool = False, stream: IO | None = None) -> bool:
    """Colour only on a terminal, and never with --no-color or NO_COLOR set."""
    stream = stream or sys.stdout
    return not no_color and "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def console(file: IO | None = None, color: bool = True, width: int | None = None) -> Console:
    return Console(file=file, force_terminal=color, no_color=not color, highlight=False, width=width)


def heatmap(r: ParamResult) -> Group:
    """The per-entry error of a parameter as coloured cells, with caption and legend."""
    grid, block = text.heat_grid(r.excess)
    rows = [Text("  ") + Text.assemble(*((text.HEAT_CHARS[v], HEAT_STYLES[v]) for v in row)) for row in grid]
    legend = Text("legend: ")
    for char, style, label in zip(text.HEAT_CHARS, HEAT_STYLES, text.HEAT_LABELS):
        legend.append(char, style)
        legend.append(f" {label}  ")
    return Group(_line("  " + text.heat_caption(r.shape, block), "dim"), *rows, Padding(legend, (0, 0, 0, 2)))


def column_groups(rows: list[tuple[str, ...]], width: int | None) -> list[list[int]]:
    """The table's columns in groups that each fit ``width`` characters: one group when it fits, else the table
    wraps, each further group repeating the parameter's name. Cells are never cut short."""
    shown = text.shown_columns(rows)
    size = {i: max(len(text.COLUMNS[i]), *(len(r[i]) for r in rows)) + 2 for i in shown}
    if width is None or sum(size.values()) <= width:
        return [shown]
    name, rest = shown[0], shown[1:]
    groups, current = [], [name]
    for i in rest:
        if len(current) > 1 and sum(size[j] for j in current) + size[i] > width:
            groups.append(current)
            current = [name]
        current.append(i)
    return groups + [current]


def table(report: Report, width: int | None = None) -> Group:
    """One row per parameter, coloured by verdict, with the plain text's column labels; a table wider than
    ``width`` wraps into several, each starting with the parameter's name."""
    rows = [text.row(r) for r in report.results]
    parts: list[RenderableType] = []
    for group in column_groups(rows, width):
        t = Table(show_edge=False, pad_edge=False, box=None, header_style="bold", padding=(0, 1))
        for i in group:
            column = text.COLUMNS[i]
            justify = "right" if column.startswith(("max", "mis", "det")) else "left"
            t.add_column(column, justify=justify, no_wrap=True, min_width=max(len(column), *(len(r[i]) for r in rows)))
        for r, row in zip(report.results, rows):
            style = "green" if r.ok else "yellow" if r.kind == Kind.INCONCLUSIVE else "red"
            t.add_row(*(Text(row[i], style=style) if text.COLUMNS[i] == "kind" else row[i] for i in group))
        parts.append(t)
    return Group(*parts)


def _line(line: str, style: str | None = None) -> RenderableType:
    """A line of the plain text, its leading spaces kept as an indent that wrapped lines keep too."""
    stripped = line.lstrip(" ")
    return Padding(Text(stripped, style=style or ""), (0, 0, 0, len(line) - len(stripped)))


def failure(r: ParamResult, verbose: bool = False) -> Group:
    """A failing parameter: the numbers in numpy.testing's manner, the hint, the heatmap."""
    title, facts, hint = text.account_parts(r, verbose)
    parts: list[RenderableType] = [Text(title, style="bold red"), *(_line(line) for line in facts)]
    if hint:
        parts.append(_line(hint, "yellow"))
    if text.has_heatmap(r):
        parts.append(heatmap(r))
    return Group(*parts)


def report(rep: Report, verbose: bool = False, width: int | None = None) -> Group:
    """A whole report: verdict, table (fitted to ``width``), failures, the diagnosis across parameters."""
    style = "bold red" if not rep.ok else "bold yellow" if rep.inconclusive else "bold green"
    parts: list[RenderableType] = [Text(text.verdict(rep), style=style), table(rep, width)]
    if rep.held_fixed:
        parts.append(Text(f"held fixed: {', '.join(rep.held_fixed)}", style="dim"))
    for r in rep.accounted:
        parts.extend([Text(""), failure(r, verbose)])
    for r in rep.inconclusive:
        title, facts, hint = text.account_parts(r, verbose)
        parts.extend([Text(""), Text(title, style="bold yellow"), *(_line(line) for line in facts),
                      *([_line(hint, "yellow")] if hint else [])])
    if rep.diagnosis:
        parts.extend([Text(""), Text(rep.diagnosis, style="bold yellow")])
    if rep.trace is not None:
        first, *rows = text.trace_lines(rep.trace)
        parts.extend([Text(""), Text(first, style="bold yellow"), *(_line(line) for line in rows)])
    if verbose:
        parts.append(Text(f"mode: {rep.mode_reason}", style="dim"))
    parts.extend(Text(f"note: {n}", style="dim") for n in rep.notes)
    return Group(*parts)


def case(c: CaseResult, verbose: bool = False, width: int | None = None) -> Group:
    """A case: its coloured header, doc line, and report or error."""
    met = ("as expected", "green") if c.as_expected else (f"UNEXPECTED: {c.reason or c.error}", "bold red")
    header = Text.assemble((f"{c.status.upper():<5}", _STATUS[c.status]), " ", (c.name, "bold"), f"  ({c.file})  ",
                           f"expect {c.expect}: ", met)
    parts: list[RenderableType] = [header]
    if c.doc:
        parts.append(_line(f"      {c.doc}", "dim"))
    if c.status == "error":
        parts.append(Text(f"      {c.error}", style="magenta"))
        if verbose and c.traceback:
            parts.append(Text(c.traceback, style="dim"))
    elif c.report is not None:
        inner = None if width is None else width - _INDENT
        parts.append(Padding(report(c.report, verbose, inner), (0, 0, 0, _INDENT)))
    return Group(*parts)


def brief(c: CaseResult) -> Table:
    """A case that met its expectation, in one neutral line (an expected failure is not shown red); on a narrow
    terminal the rest of the line wraps under the case name, not to column 0."""
    label, _, rest = brief_line(c).partition(" ")
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column()
    grid.add_row(label, rest.lstrip())
    grid.style = "green" if c.status == "pass" else "cyan"
    return grid


def summary(run: RunReport) -> Text:
    """What the sweeps' failing combinations share, the unexpected cases in one line each, then the counts."""
    sweeps = sweep_lines(run)
    lines = closing(run)[len(sweeps):]
    text = Text("\n".join(sweeps) + "\n" if sweeps else "")
    text.append("\n".join(lines[:-1]) + ("\n" if len(lines) > 1 else ""), style="bold red")
    text.append(lines[-1], style="bold green" if run.ok else "bold red")
    return text


class RunProgress:
    """A transient bar for cases and entries (done / total, elapsed, remaining), shown once a run passes a second."""

    DELAY = 1.0

    def __init__(self, con: Console, cases: int) -> None:
        self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                            TimeRemainingColumn(), console=con, transient=True, refresh_per_second=5)
        self.cases = self.bar.add_task("cases", total=cases)
        self.entries = self.bar.add_task("entries", total=None)
        self.start = time.monotonic()
        self.shown = False

    def _show(self) -> None:
        if not self.shown and time.monotonic() - self.start > self.DELAY:
            self.bar.start()
            self.shown = True

    def entry(self, done: int, total: int) -> None:
        self.bar.update(self.entries, completed=done, total=total)
        self._show()

    def case_done(self) -> None:
        self.bar.advance(self.cases)
        self._show()

    def stop(self) -> None:
        if self.shown:
            self.bar.stop()
