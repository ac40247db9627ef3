"""Report files: JSON, JUnit XML, Markdown and HTML, all read from one RunReport."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from .. import html
from ..cases.results import RunReport, failure_line, format_case, summary_line


def to_json(run: RunReport) -> str:
    """The run as JSON, schema version 1."""
    return json.dumps(run.to_dict(), indent=2, ensure_ascii=False) + "\n"


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold (control characters a user's message may carry)."""
    return _NOT_XML.sub("\ufffd", text)


def to_junit(run: RunReport, suite: str = "gradcheck") -> str:
    """The run as JUnit XML: one testsuite, one testcase per case.

    Cases that met their expectation pass; an unexpected result is a
    ``failure`` carrying the plain-text report; a case that could not run is an
    ``error``. An interrupted run is marked by the suite property ``complete``.
    """
    s = run.summary
    root = ET.Element("testsuites", tests=str(s["cases"]), failures=str(s["unexpected"]), errors=str(s["errors"]))
    total = sum(c.seconds for c in run.cases)
    root.set("time", f"{total:.3f}")
    node = ET.SubElement(root, "testsuite", name=suite, tests=str(s["cases"]), failures=str(s["unexpected"]),
                         errors=str(s["errors"]), skipped="0", time=f"{total:.3f}")
    props = ET.SubElement(node, "properties")
    ET.SubElement(props, "property", name="complete", value=str(run.complete).lower())
    for sweep in run.sweeps:  # what each swept case's failing combinations share
        ET.SubElement(props, "property", name=_xml_text(f"sweep {sweep.case}"), value=_xml_text(sweep.line()))
    for c in run.cases:
        classname = _module(c.file)
        case = ET.SubElement(node, "testcase", classname=_xml_text(classname), name=_xml_text(c.name),
                             file=_xml_text(c.file), time=f"{c.seconds:.3f}")
        text = _xml_text(format_case(c))
        if c.status == "error":
            ET.SubElement(case, "error", message=_xml_text(failure_line(c)), type="error").text = text
        elif not c.as_expected:
            ET.SubElement(case, "failure", message=_xml_text(failure_line(c)), type="unexpected").text = text
        else:
            ET.SubElement(case, "system-out").text = _xml_text(format_case(c))
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _module(file: str) -> str:
    """A dotted name for a case file, relative to the working directory when it lies below it."""
    path = Path(file).resolve()
    try:
        path = path.relative_to(Path.cwd())
    except ValueError:
        path = Path(path.name)
    return path.with_suffix("").as_posix().replace("/", ".")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(run: RunReport) -> str:
    """The run as Markdown: a table of cases and verdicts, then the details of the unexpected ones."""
    icon = {True: "✅", False: "❌"}
    unexpected = [c for c in run.cases if not c.as_expected]
    lines = ["## gradcheck", "", summary_line(run), ""]
    lines += [f"- ❌ {_cell(failure_line(c))}" for c in unexpected] + ([""] if unexpected else [])
    lines += [f"- sweep: {_cell(s.line())}" for s in run.sweeps] + ([""] if run.sweeps else [])
    lines += ["| case | file | expect | result | what it found | as expected |",
              "| --- | --- | --- | --- | --- | --- |"]
    for c in run.cases:
        found = _cell(c.error or "") if c.status == "error" else _cell(c.report.one_line() if c.report else "")
        lines.append(f"| `{_cell(c.name)}` | `{_cell(c.file)}` | {c.expect} | {c.status} | {found} | "
                     f"{icon[c.as_expected]} |")
    if unexpected:
        lines.extend(["", "### Unexpected results"])
        for c in unexpected:
            lines.extend(["", f"<details><summary>{_cell(failure_line(c))}</summary>", "", "```text",
                          format_case(c), "```", "", "</details>"])
    return "\n".join(lines) + "\n"


_FILTER = """<script>
function gcFilter(outcome) {
  document.querySelectorAll("details.case").forEach(function (d) {
    d.hidden = outcome !== "all" && d.dataset.outcome !== outcome;
  });
}
</script>"""


def to_html(run: RunReport) -> str:
    """The run as one self-contained HTML page: the summary, a filter by outcome, and one section per case, the
    unexpected ones open and the rest collapsed."""
    unexpected = [c for c in run.cases if not c.as_expected]
    parts = ["<h1>gradcheck</h1>", f'<p class="summary"><b>{html.escape(summary_line(run))}</b></p>']
    if unexpected:
        parts.append('<ul class="unexpected">' + "".join(f"<li class=\"wrong\">{html.escape(failure_line(c))}</li>"
                                                     for c in unexpected) + "</ul>")
    if run.sweeps:
        parts.append('<ul class="sweeps">' + "".join(f"<li>{html.escape(s.line())}</li>" for s in run.sweeps)
                     + "</ul>")
    outcomes = ["all", "unexpected", "as-expected", "error"]
    parts.append('<p class="filter">show: ' + " ".join(
        f'<button type="button" onclick="gcFilter(\'{o}\')">{o}</button>' for o in outcomes) + "</p>")
    for c in run.cases:
        outcome = "error" if c.status == "error" else "as-expected" if c.as_expected else "unexpected"
        body = (html.report_html(c.report) if c.report is not None else
                f'<pre class="wrong">{html.escape(c.error or "")}</pre>')
        said = html.escape(failure_line(c) if not c.as_expected else c.status.upper() + " " + c.name)
        parts.append(f'<details class="case" data-outcome="{outcome}"{" open" if not c.as_expected else ""}>'
                     f"<summary>{said}</summary><p class=\"note\">{html.escape(c.file)} · expect "
                     f"{html.escape(c.expect)}</p>{body}</details>")
    return html.page("gradcheck", "".join(parts) + _FILTER)

