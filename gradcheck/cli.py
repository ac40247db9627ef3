"""The command line: parse, call the library, render, exit."""

from __future__ import annotations

import os
import sys

import click

from . import __version__
from . import cases as cases_mod
from .cases import RunReport, brief, closing, format_case
from .cases.distributed import run_on_dask
from .errors import CheckError
from .kinds import FINDINGS, HYPOTHESES, TOPICS, explanation
from .options import RUN, settable
from .output import files, terminal
from .output.atomic import write_atomic

DEFAULT_TIMEOUT = 120.0  # seconds a case may take in `gradcheck run`


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gradcheck")
def main() -> None:
    """Check hand-written gradients against finite differences and name the bug."""


class _Output:
    """Where a run's text goes: plain lines for pipes and --no-color, rich renderables for a terminal."""

    def __init__(self, color: bool, verbose: bool, quiet: bool) -> None:
        self.verbose, self.quiet = verbose, quiet
        self.console = terminal.console(color=True) if color else None

    def case(self, result) -> None:
        """A case as it ends: one line when it met its expectation, in full when not (or with -v)."""
        if self.quiet and result.as_expected:
            return
        full = self.verbose or not result.as_expected
        if self.console:
            self.console.print(terminal.case(result, self.verbose, self.console.width) if full else
                               terminal.brief(result))
        else:
            click.echo(format_case(result, self.verbose) if full else brief(result))

    def summary(self, run: RunReport) -> None:
        if self.console:
            self.console.print(terminal.summary(run))
        else:
            click.echo("\n".join(closing(run)))


def _jobs(value: str) -> int:
    """``-n``: a whole number of processes, or ``auto`` for one per core."""
    if value == "auto":
        return os.cpu_count() or 1
    try:
        jobs = int(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is neither a whole number nor 'auto'") from None
    if jobs < 1:
        raise click.BadParameter(f"{jobs} is less than 1")
    return jobs


def _find(paths, keyword, timeout):
    """The cases under ``paths`` matching ``keyword``, and the files that failed to load; none is a usage error."""
    found, errors = cases_mod.discover(paths, isolate=True, timeout=timeout)
    selected = cases_mod.select(found, keyword)
    errors = [e for e in errors if not keyword or keyword in e.name]
    if not selected and not errors:
        matching = f" matching -k {keyword!r}" if keyword else ""
        raise click.UsageError(f"no cases found in {', '.join(paths)}{matching}")
    return selected, errors


def _write_reports(run: RunReport, json_path, junit_path, markdown_path, html_path=None) -> None:
    for path, text in ((json_path, files.to_json), (junit_path, files.to_junit), (markdown_path, files.to_markdown),
                       (html_path, files.to_html)):
        if path:
            write_atomic(path, text(run))


def _click_type(declaration):
    if declaration.choices is not None:
        return click.Choice(declaration.choices)
    if declaration.minimum is not None:
        ranged = click.IntRange if declaration.type is int else click.FloatRange
        return ranged(min=declaration.minimum)
    return declaration.type


RUN_OPTIONS = settable(RUN)


def _check_options(command):
    """The check options `gradcheck run` may override, as declared once in gradcheck.options."""
    for declaration in reversed(RUN_OPTIONS):
        flag = "--" + declaration.name.replace("_", "-")
        command = click.option(flag, declaration.name, type=_click_type(declaration),
                               help=f"{declaration.help} Overrides the cases' own setting.")(command)
    return command


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-k", "keyword", help="Only cases whose name contains this substring.")
@click.option("-x", "--exitfirst", is_flag=True, help="Stop at the first unexpected result.")
@click.option("--strict", is_flag=True, help="An inconclusive gradient does not meet a pass expectation.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False), help="Write the results as JSON.")
@click.option("--junit", "junit_path", type=click.Path(dir_okay=False), help="Write the results as JUnit XML.")
@click.option("--markdown", "markdown_path", type=click.Path(dir_okay=False), help="Write the results as Markdown.")
@click.option("--html", "html_path", type=click.Path(dir_okay=False),
              help="Write the results as one self-contained HTML file.")
@_check_options
@click.option("--timeout", type=click.FloatRange(min=0), default=DEFAULT_TIMEOUT, show_default=True,
              help="Seconds a case may take (0: no limit); each case runs in its own process.")
@click.option("--no-color", is_flag=True,
              help="Plain text without colour (also when NO_COLOR is set or not a terminal).")
@click.option("-v", "--verbose", is_flag=True, help="Show every entry of small parameters and tracebacks of errors.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the failures and the summary.")
@click.option("--dask", "dask_address", metavar="ADDRESS",
              help="Run every case as a task on the Dask cluster at ADDRESS (pip install \"gradcheck[dask]\").")
@click.option("-n", "jobs", default="1", show_default=True, metavar="N|auto", callback=lambda ctx, p, v: _jobs(v),
              help="Cases run at once, each in its own process with one BLAS thread (auto: one per core); output "
                   "and report files are those of a sequential run.")
def run(paths, keyword, exitfirst, strict, json_path, junit_path, markdown_path, html_path, timeout, no_color, verbose,
        quiet, dask_address, jobs, **overrides) -> None:
    """Run every case under PATHS and compare each with its expectation.

    Exit status: 0 when every case met its expectation, 1 when any did not or
    could not run, 2 for usage errors or when no case was found, 130 when
    interrupted (the report files then hold the cases that ran, marked
    incomplete).
    """
    limit = timeout or None
    selected, errors = _find(paths, keyword, limit)
    out = _Output(terminal.use_color(no_color), verbose, quiet)
    for e in errors:
        out.case(e)
    bar = terminal.RunProgress(out.console, len(selected)) if out.console else None

    def on_result(result, run_so_far: RunReport) -> None:
        if bar:
            bar.case_done()
        out.case(result)
        _write_reports(run_so_far, json_path, junit_path, markdown_path, html_path)

    try:
        if dask_address:
            try:
                report, interrupted = run_on_dask(selected, errors, dask_address, overrides, limit, exitfirst,
                                                  on_result, strict)
            except CheckError as exc:
                raise click.UsageError(str(exc)) from None
        else:
            report, interrupted = cases_mod.run_all(selected, errors, overrides, limit, exitfirst, on_result,
                                                    bar.entry if bar else None, strict, jobs)
    finally:
        if bar:
            bar.stop()
    _write_reports(report, json_path, junit_path, markdown_path, html_path)
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if summary_file:
        with open(summary_file, "a", encoding="utf-8") as f:
            f.write(files.to_markdown(report))
    out.summary(report)
    sys.exit(130 if interrupted else 0 if report.ok else 1)


@main.command("list")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-k", "keyword", help="Only cases whose name contains this substring.")
def list_cases(paths, keyword) -> None:
    """List the cases under PATHS with their expectations, without running them."""
    selected, errors = _find(paths, keyword, DEFAULT_TIMEOUT)
    for c in selected:
        kinds = "" if not c.kinds else "  " + ", ".join(f"{k}: {v}" for k, v in c.kinds.items())
        click.echo(f"{c.name}  ({c.file})  expect {c.expect}{kinds}")
    for e in errors:
        click.echo(f"ERROR {e.name}  ({e.file})  {e.error}")
    sys.exit(1 if errors else 0)


@main.command()
@click.argument("kind", required=False, type=click.Choice(FINDINGS))
def explain(kind) -> None:
    """Explain a diagnosis KIND, or a finding about the residual, with its math; without KIND, list them."""
    if kind is None:
        for name in FINDINGS:
            if name == next(iter(HYPOTHESES)):
                click.echo("\nfindings about the residual d = analytic − numerical (detail['hypothesis']):")
            if name == next(iter(TOPICS)):
                click.echo("\nhow a report is reached:")
            click.echo(f"{name:<24} {explanation(name).split('. ')[0].rstrip('.')}.")
        return
    click.echo(f"{kind}\n\n{explanation(kind)}")
