"""Golden files: the text every shipped case prints, pinned byte for byte (measured seconds masked).

A deliberate change of output is made visible by regenerating the files and
reviewing their diff: ``GRADCHECK_REGENERATE=1 python -m pytest tests/test_golden.py``.
"""

import io
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcheck import cases
from gradcheck.cli import main
from gradcheck.diagnosis import KINDS

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden"
REGENERATE = bool(os.environ.get("GRADCHECK_REGENERATE"))

# What a clock measured, not what the code computed.
_TIMINGS = [
    (re.compile(r"estimated at \S+ s \((\d+) loss evaluations of \S+ ms\)"),
     r"estimated at <s> s (\1 loss evaluations of <ms> ms)"),
    (re.compile(r'"seconds": [0-9.e+-]+'), '"seconds": <s>'),
    (re.compile(r'time="[0-9.]+"'), 'time="<s>"'),
]


def _masked(text: str) -> str:
    for pattern, replacement in _TIMINGS:
        text = pattern.sub(replacement, text)
    return text


def _matches_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    text = _masked(text)
    if REGENERATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}; run with GRADCHECK_REGENERATE=1 to write it"
    assert text == path.read_text(encoding="utf-8")


def _shipped():
    found, errors = cases.discover([ROOT / "cases"])
    assert not errors
    return found


SHIPPED = _shipped()


@pytest.fixture
def in_root(monkeypatch):
    monkeypatch.chdir(ROOT)


@pytest.mark.parametrize("mode", ["full", "probe"])
@pytest.mark.parametrize("case", SHIPPED, ids=[c.name for c in SHIPPED])
def test_every_shipped_report_reads_as_pinned(case, mode):
    result = cases.run_case(case, {"mode": mode})
    assert result.report is not None, result.error
    _matches_golden(f"reports/{case.name}.{mode}.txt", str(result.report) + "\n")


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("flags", [(), ("-v",)], ids=["plain", "verbose"])
def test_the_run_of_the_shipped_cases_reads_as_pinned(in_root, flags):
    result = _invoke("run", "cases/", "--no-color", *flags)
    assert result.exit_code == 0
    _matches_golden(f"run{''.join(flags)}.txt", result.output)


@pytest.mark.parametrize("option, name", [("--json", "run.json"), ("--junit", "run.xml"), ("--markdown", "run.md")])
def test_the_report_files_of_the_shipped_cases_read_as_pinned(in_root, tmp_path, option, name):
    out = tmp_path / name
    assert _invoke("run", "cases/", "--no-color", option, out).exit_code == 0
    _matches_golden(name, out.read_text(encoding="utf-8"))


def test_the_coloured_terminal_output_reads_as_pinned(in_root):
    try:
        from gradcheck.output import terminal
    except ImportError:
        from gradcheck import terminal
    buffer = io.StringIO()
    con = terminal.console(file=buffer, color=True, width=100)
    found = cases.discover(["cases/"])[0]
    for c in found:
        con.print(terminal.case(cases.run_case(c), verbose=False))
    _matches_golden("terminal.ansi", buffer.getvalue())


def test_list_reads_as_pinned(in_root):
    _matches_golden("list.txt", _invoke("list", "cases/").output)


@pytest.mark.parametrize("kind", [None, *KINDS])
def test_explain_reads_as_pinned(kind):
    args = ("explain",) if kind is None else ("explain", kind)
    _matches_golden(f"explain/{kind or 'index'}.txt", _invoke(*args).output)
