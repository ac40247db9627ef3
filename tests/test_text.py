"""Rendering: the plain-text report pinned exactly, heatmaps, colour and plain output."""

import io
import re
from pathlib import Path

import numpy as np
import pytest

import gradcheck
from gradcheck import text as render
from gradcheck.cases import format_case
from gradcheck.output import terminal

CASES = Path(__file__).resolve().parent.parent / "cases"


def test_plain_report_of_a_sign_flip_reads_like_numpy_testing():
    report = gradcheck.check(lambda p: float(0.5 * np.sum(p["w"] ** 2)), lambda p: {"w": -p["w"]},
                             {"w": np.array([1.0, 2.0, -4.0])})
    assert str(report) == f"""\
gradients WRONG: 1 of 1 parameter does not match (central, {report.evaluations} loss evaluations)
  parameter  shape  kind          mismatched  max abs err  max rel err  detectable
  w          (3,)   sign-flipped  3 / 3       8            2            1e-06

w: sign-flipped
  Mismatched elements: 3 / 3 (100%)
  Max absolute difference: 8
  Max relative difference: 2
  entry        analytic       numerical
  0            -1.000000e+00   1.000000e+00
  1            -2.000000e+00   2.000000e+00
  2             4.000000e+00  -4.000000e+00
  Observed order of the Taylor remainder: 1.00 (2 when right, 1 when wrong)
  analytic = −numerical: the backward computes the negative gradient (an error written y − a instead of a − y)
  error ÷ tolerance per entry, how far beyond its tolerance each wrong entry lies (one row):
    ###
  legend: . right  - 1–2× tol  = 2–10×  + 10–100×  * 100–1000×  # ≥1000×"""


def test_passing_report_is_a_verdict_and_a_table():
    report = gradcheck.check(lambda p: float(np.sum(p**2)), lambda p: 2 * p, np.array([1.0, 2.0]))
    lines = str(report).splitlines()
    assert lines[0] == f"gradients OK: the parameter matches (central, {report.evaluations} loss evaluations)"
    assert lines[1].split() == ["parameter", "shape", "kind", "mismatched", "max", "abs", "err", "max", "rel", "err",
                                "detectable"]
    assert lines[2].split()[:4] == ["param", "(2,)", "ok", "0"]


class TestHeatmap:
    def test_a_large_array_is_binned_to_fit_and_keeps_the_worst_entry(self):
        excess = np.zeros((40, 200))
        excess[3, 150] = 5000.0
        grid, block = render.heat_grid(excess)
        assert block == (3, 4) and grid.shape == (14, 50)
        assert grid[1, 37] == 5 and grid.sum() == 5

    def test_levels_are_multiples_of_the_tolerance(self):
        grid, block = render.heat_grid(np.array([0.0, 1.5, 5.0, 50.0, 500.0, 5e3]))
        assert grid.tolist() == [[0, 1, 2, 3, 4, 5]] and block == (1, 1)

    def test_a_3d_array_is_axis_0_by_the_rest(self):
        grid, _ = render.heat_grid(np.zeros((2, 3, 4)))
        assert grid.shape == (2, 12)

    def test_caption_states_the_binning(self):
        assert render.heat_caption((40, 200), (3, 4)) == (
            "error ÷ tolerance per entry, how far beyond its tolerance each wrong entry lies (rows × columns; each "
            "cell the largest of a 3 × 4 block of entries):")

    def test_legend(self):
        assert render.heat_legend() == ". right  - 1–2× tol  = 2–10×  + 10–100×  * 100–1000×  # ≥1000×"

    def test_a_wrong_column_shows_as_a_column_and_right_entries_are_blank_whatever_their_size(self):
        A = np.array([[1e-9, 2.0, 3.0, 4e6], [5.0, 6e-7, 7.0, 8.0], [9.0, 10.0, 11.0, 1e-12]])

        def grad(p):
            g = A.copy()
            g[:, 2] *= 1.5
            return g

        report = gradcheck.check(lambda p: float(np.sum(A * p)), grad, np.ones((3, 4)))
        lines = str(report).splitlines()
        start = next(i for i, line in enumerate(lines) if line.startswith("  error ÷ tolerance per entry"))
        rows = [line.strip() for line in lines[start + 1:start + 4]]
        assert all(row[2] in "*#" for row in rows)  # 1.5× of 3, 7, 11: hundreds of tolerances off
        assert all(set(row[:2] + row[3:]) == {"."} for row in rows)


class TestColour:
    def _case(self):
        from gradcheck import cases

        found, _ = cases.discover([CASES / "s5_unit_by_unit.py"])
        return cases.run_case(next(c for c in found if "b12" in c.name))

    def test_colour_output_carries_ansi_codes_and_the_same_facts(self):
        out = io.StringIO()
        terminal.console(out, color=True, width=200).print(terminal.case(self._case()))
        text = out.getvalue()
        assert "\x1b[" in text and "wrong values, a single entry at (1, 2)" in text and "legend:" in text

    def test_plain_output_has_no_ansi_codes(self):
        text = format_case(self._case())
        assert "\x1b[" not in text and "wrong values, a single entry at (1, 2)" in text

    def test_no_color_environment_disables_colour(self, monkeypatch):
        class Tty(io.StringIO):
            def isatty(self):
                return True

        assert terminal.use_color(stream=Tty())
        monkeypatch.setenv("NO_COLOR", "1")
        assert not terminal.use_color(stream=Tty())
        monkeypatch.delenv("NO_COLOR")
        assert not terminal.use_color(no_color=True, stream=Tty())
        assert not terminal.use_color(stream=io.StringIO())


def test_verbose_lists_every_entry_of_small_parameters():
    report = gradcheck.check(lambda p: float(np.sum(p**2)), lambda p: 2 * p, np.array([1.0, 2.0]))
    lines = render.format_report(report, verbose=True).splitlines()
    assert lines[-4].split() == ["entry", "analytic", "numerical", "abs", "err", "rel", "err"]
    assert lines[-3].split()[:3] == ["0", "2.000000e+00", "2.000000e+00"]
    assert lines[-1].startswith("mode: auto: every entry; a full check is estimated at")


NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]\d+)?%?(?![\w.])")


@pytest.fixture(scope="module")
def shipped_results():
    from gradcheck import cases

    found, _ = cases.discover([CASES])
    return [cases.run_case(c) for c in found]


@pytest.mark.parametrize("width", [60, 80, 120])
def test_every_number_of_the_plain_report_appears_whole_in_the_terminal(shipped_results, width):
    for result in shipped_results:
        plain = format_case(result)
        out = io.StringIO()
        terminal.console(out, color=False, width=width).print(terminal.case(result, width=width))
        printed = out.getvalue()
        words = set(printed.split())
        missing = [n for n in NUMBER.findall(plain) if n not in words and n.rstrip("%") not in printed]
        assert missing == [], (result.name, width, missing)
        assert max(len(line.rstrip()) for line in printed.splitlines()) <= width


def test_the_terminal_table_has_the_plain_texts_column_labels(shipped_results):
    out = io.StringIO()
    terminal.console(out, color=False, width=200).print(terminal.case(shipped_results[1], width=200))
    header = next(line for line in out.getvalue().splitlines() if line.strip().startswith("parameter"))
    plain = next(line for line in format_case(shipped_results[1]).splitlines() if line.strip().startswith("parameter"))
    labels = "parameter shape kind mismatched max abs err max rel err detectable".split()
    assert header.split() == plain.split() == labels
