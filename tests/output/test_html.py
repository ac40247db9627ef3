"""The HTML report: self-contained, one section per case, heatmap cells = entries; and the notebook view."""

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

import gradcheck
from gradcheck import cases
from gradcheck.output import files

CASES = Path(__file__).resolve().parents[2] / "cases"


class Page(HTMLParser):
    """The tags of a page, with their attributes, and the text of each <summary>."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.summaries: list[str] = []
        self._in_summary = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_summary = tag == "summary"
        if self._in_summary:
            self.summaries.append("")

    def handle_endtag(self, tag):
        self._in_summary = self._in_summary and tag != "summary"

    def handle_data(self, data):
        if self._in_summary:
            self.summaries[-1] += data

    def all(self, tag):
        return [a for t, a in self.tags if t == tag]


@pytest.fixture(scope="module")
def shipped():
    found, errors = cases.discover([CASES])
    run = cases.RunReport(tuple(cases.run_case(c) for c in found))
    return run, files.to_html(run)


def test_every_case_has_a_section_unexpected_open_and_the_rest_collapsed(shipped):
    run, text = shipped
    sections = Page(text).all("details")
    assert len(sections) == len(run.cases)
    assert all(("open" in s) == (s["data-outcome"] == "unexpected") for s in sections)
    assert {s["data-outcome"] for s in sections} == {"as-expected"}


def test_heatmap_cells_are_the_entries_of_each_wrong_parameter(shipped):
    run, text = shipped
    page = Page(text)
    maps = page.all("svg")
    wrong = [r for c in run.cases if c.report for r in c.report.accounted if r.excess is not None and r.size > 1]
    assert len(maps) == len(wrong) and [int(m["data-entries"]) for m in maps] == [r.size for r in wrong]
    assert len(page.all("rect")) == sum(r.size for r in wrong)


def test_the_page_needs_no_network(shipped):
    _, text = shipped
    page = Page(text)
    assert not page.all("link") and not [a for a in page.all("script") if "src" in a] and not page.all("img")
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in text


def test_an_unexpected_case_is_open_and_named_in_one_line():
    problem = gradcheck.Problem(lambda p: float(np.sum(p ** 2)), lambda p: -2 * p, np.ones(3))
    result = cases.run_case(cases.Case("flipped", "f.py", lambda: problem, "pass"))
    page = Page(files.to_html(cases.RunReport((result,))))
    assert "open" in page.all("details")[0] and page.all("details")[0]["data-outcome"] == "unexpected"
    assert page.summaries == ["flipped: param sign-flipped (expected pass)"]


def test_a_report_shows_itself_in_a_notebook():
    a = np.arange(1.0, 7.0)

    def grad(w):
        g = 2 * a * w
        g[3] *= 1.01
        return g
    report = gradcheck.check(lambda w: float(np.sum(a * w * w)), grad, np.ones(6))
    page = Page(report._repr_html_())
    cells = page.all("rect")
    assert len(cells) == 6 and [c["data-level"] for c in cells].count("0") == 5


@pytest.mark.skipif(not (shutil.which("chromium") or shutil.which("chromium-browser")),
                    reason="no Chromium installed (apt-get install chromium) to open the page headless")
def test_the_page_opens_in_a_headless_browser_without_console_errors(shipped, tmp_path):
    _, text = shipped
    path = tmp_path / "report.html"
    path.write_text(text, encoding="utf-8")
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
                           "--dump-dom", path.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "<details" in done.stdout
    assert "CONSOLE" not in done.stderr and "Uncaught" not in done.stderr
