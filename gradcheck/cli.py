"""The command line: parse, call the library, render, exit."""

from __future__ import annotations

import json
import sys

import click

from . import __version__
from . import cases as cases_mod
from .atomic import write_atomic
from .diagnosis import EXPLANATIONS, KINDS
from .numdiff import METHODS
from .render import format_case, summary_line
from .report import RunReport


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gradcheck")
def main() -> None:
    """Check hand-written gradients against finite differences and name the bug."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-k", "keyword", help="Only cases whose name contains this substring.")
@click.option("-x", "--exitfirst", is_flag=True, help="Stop at the first unexpected result.")
@click.option("--json", "json_path", type=click.Path(dir_okay=False, writable=True), help="Write the results as JSON.")
@click.option("--method", type=click.Choice(METHODS), help="Override the cases' differentiation method.")
@click.option("--rtol", type=float, help="Override the relative tolerance.")
@click.option("--atol", type=float, help="Override the absolute tolerance.")
@click.option("--seed", type=int, help="Override the random seed.")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks of errors.")
@click.option("-q", "--quiet", is_flag=True, help="Print only the failures and the summary.")
def run(paths, keyword, exitfirst, json_path, method, rtol, atol, seed, verbose, quiet) -> None:
    """Run every case under PATHS and compare each with its expectation."""
    found, errors = cases_mod.discover(paths)
    selected = cases_mod.select(found, keyword)
    errors = [e for e in errors if not keyword or keyword in e.name]
    if not selected and not errors:
        raise click.UsageError(f"no cases found in {', '.join(paths)}" + (f" matching -k {keyword!r}" if keyword else ""))
    overrides = {"method": method, "rtol": rtol, "atol": atol, "seed": seed}
    results = list(errors)
    for e in errors:
        click.echo(format_case(e, verbose))
    complete = True
    for c in selected:
        if exitfirst and any(not r.as_expected for r in results):
            complete = False
            break
        result = cases_mod.run_case(c, overrides)
        results.append(result)
        if not (quiet and result.as_expected):
            click.echo(format_case(result, verbose))
    report = RunReport(tuple(results), complete)
    if json_path:
        write_atomic(json_path, json.dumps(report.to_dict(), indent=2, ensure_ascii=False) + "\n")
    click.echo(summary_line(report))
    sys.exit(0 if report.ok else 1)


@main.command("list")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-k", "keyword", help="Only cases whose name contains this substring.")
def list_cases(paths, keyword) -> None:
    """List the cases under PATHS with their expectations, without running them."""
    found, errors = cases_mod.discover(paths)
    selected = cases_mod.select(found, keyword)
    for c in selected:
        kinds = "" if not c.kinds else "  " + ", ".join(f"{k}: {v}" for k, v in c.kinds.items())
        click.echo(f"{c.name}  ({c.file})  expect {c.expect}{kinds}")
    for e in errors:
        click.echo(f"ERROR {e.name}  ({e.file})  {e.error}")
    if not selected and not errors:
        raise click.UsageError(f"no cases found in {', '.join(paths)}")
    sys.exit(1 if errors else 0)


@main.command()
@click.argument("kind", required=False, type=click.Choice(KINDS))
def explain(kind) -> None:
    """Explain a diagnosis KIND with its math; without KIND, list the kinds."""
    if kind is None:
        for name in KINDS:
            click.echo(f"{name:<24} {EXPLANATIONS[name].split('. ')[0].rstrip('.')}.")
        return
    click.echo(f"{kind}\n\n{EXPLANATIONS[kind]}")
