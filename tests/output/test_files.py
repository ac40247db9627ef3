"""Report files: JUnit XML and Markdown contents, the step summary, atomic writes and interrupted runs."""

import json
import os
import textwrap
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from gradcheck.cli import main
from gradcheck.output import atomic
from tests.conftest import CASE_FILE

FILE = CASE_FILE + """
@gradcheck.case
def wrongly_expected_to_pass():
    return problem(3.0)

@gradcheck.case
def cannot_run():
    raise RuntimeError("setup failed")
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "my_cases.py").write_text(textwrap.dedent(FILE))
    return tmp_path


def run(*args, env=None):
    return CliRunner().invoke(main, ["run", *map(str, args)], env=env, catch_exceptions=False)


def test_junit_has_the_counts_and_elements_consumers_read(folder, tmp_path):
    out = tmp_path / "report.xml"
    assert run(folder, "--junit", out).exit_code == 1
    root = ET.parse(out).getroot()
    suite = root.find("testsuite")
    counts = (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped"))
    assert counts == ("4", "1", "1", "0")
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert list(cases) == ["right", "flipped", "wrongly_expected_to_pass", "cannot_run"]
    assert all(c.get("classname") and c.get("time") for c in cases.values())
    assert cases["right"].find("failure") is None and cases["flipped"].find("failure") is None
    failure = cases["wrongly_expected_to_pass"].find("failure")
    assert failure.get("message") == "wrongly_expected_to_pass: param scaled (expected pass)"
    assert "gradients WRONG" in failure.text
    error = cases["cannot_run"].find("error")
    assert error.get("message") == "cannot_run: error: RuntimeError: setup failed (expected pass)"


def test_markdown_has_a_table_and_the_unexpected_details(folder, tmp_path):
    out = tmp_path / "report.md"
    run(folder, "--markdown", out)
    text = out.read_text()
    assert "| case | file | expect | result | what it found | as expected |" in text
    assert "| `flipped` |" in text and "✅" in text and "❌" in text
    assert "- ❌ wrongly_expected_to_pass: param scaled (expected pass)" in text
    assert "<details><summary>wrongly_expected_to_pass: param scaled (expected pass)</summary>" in text
    assert "<code>right</code>" not in text


def test_github_step_summary_is_appended(folder, tmp_path):
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    run(folder, env={"GITHUB_STEP_SUMMARY": str(summary)})
    text = summary.read_text()
    assert text.startswith("earlier step\n## gradcheck")


class TestAtomicWrites:
    def test_write_replaces_the_whole_file_and_leaves_no_temporary(self, tmp_path):
        path = tmp_path / "r.json"
        path.write_text("old")
        atomic.write_atomic(path, "new")
        assert path.read_text() == "new" and os.listdir(tmp_path) == ["r.json"]

    def test_a_failure_while_writing_leaves_the_old_file_whole(self, tmp_path):
        path = tmp_path / "r.json"
        path.write_text("old")
        with pytest.raises(TypeError):
            atomic.write_atomic(path, b"not text")  # the write itself fails
        assert path.read_text() == "old" and os.listdir(tmp_path) == ["r.json"]

    def test_files_get_ordinary_permissions(self, tmp_path):
        path = tmp_path / "r.json"
        atomic.write_atomic(path, "x")
        mask = os.umask(0)
        os.umask(mask)
        assert path.stat().st_mode & 0o777 == 0o666 & ~mask


INTERRUPTING = """
@gradcheck.case
def presses_ctrl_c():
    import os, signal, time
    os.kill(os.getppid(), signal.SIGINT)  # the case runs in a child: Ctrl-C reaches the run
    time.sleep(30)
"""


def test_an_interrupted_run_writes_what_it_has_marked_incomplete(tmp_path):
    folder = tmp_path / "cases"
    folder.mkdir()
    (folder / "cases.py").write_text(textwrap.dedent(CASE_FILE + INTERRUPTING))
    out = tmp_path / "r.json"
    result = run(folder, "--json", out, "--junit", tmp_path / "r.xml")
    assert result.exit_code == 130
    data = json.loads(out.read_text())
    assert data["complete"] is False and [c["name"] for c in data["cases"]] == ["right", "flipped"]
    assert ET.parse(tmp_path / "r.xml").getroot().find("testsuite/properties/property").get("value") == "false"
    assert "incomplete run" in result.output


def test_junit_stays_valid_xml_when_a_message_carries_control_characters(tmp_path):
    (tmp_path / "c.py").write_text("import gradcheck\n\n@gradcheck.case\ndef bell():\n"
                                   "    raise ValueError('ring \\x07 and \\x00 end')\n")
    out = tmp_path / "r.xml"
    run(tmp_path / "c.py", "--junit", out)
    error = ET.parse(out).getroot().find("testsuite/testcase/error")
    assert error.get("message").endswith("error: ValueError: ring \ufffd and \ufffd end (expected pass)")
