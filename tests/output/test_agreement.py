"""One run rendered through every output: terminal, plain text, JSON, JUnit, Markdown, HTML, the assertion message —
each names the same verdicts and kinds."""

import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import gradcheck
from gradcheck import cases
from gradcheck.output import files, terminal

W = np.random.default_rng(5).normal(size=(3, 2))


def problem(flip_b: bool, scale_w: float):
    def loss_and_grad(p):
        z = np.tanh(p["W"]).sum() + 0.5 * np.sum(p["b"] ** 2)
        return float(z), {"W": scale_w * (1 - np.tanh(p["W"]) ** 2), "b": -p["b"] if flip_b else p["b"].copy()}
    return gradcheck.Problem(loss_and_grad, None, {"W": W, "b": np.array([1.0, -2.0])})


@pytest.fixture(scope="module")
def run():
    made = [cases.Case("right", "f.py", lambda: problem(False, 1.0), "pass"),
            cases.Case("unexpected", "f.py", lambda: problem(True, 2.0), "pass"),
            cases.Case("expected", "f.py", lambda: problem(True, 1.0), "fail", {"b": "sign-flipped"})]
    return cases.RunReport(tuple(cases.run_case(c) for c in made))


TRUTH = {"right": {"W": "ok", "b": "ok"}, "unexpected": {"W": "scaled", "b": "sign-flipped"},
         "expected": {"W": "ok", "b": "sign-flipped"}}


def test_json_plain_terminal_junit_markdown_html_and_the_assertion_agree(run, monkeypatch, tmp_path):
    data = json.loads(files.to_json(run))
    assert {c["name"]: {p["name"]: p["kind"] for p in c["parameters"]} for c in data["cases"]} == TRUTH
    for c in run.cases:
        plain = cases.format_case(c)
        out = io.StringIO()
        terminal.console(out, color=False, width=120).print(terminal.case(c, width=120))
        for text in (plain, out.getvalue()):
            for name, kind in TRUTH[c.name].items():
                assert any(line.split()[:1] == [name] and kind in line.split() for line in text.splitlines()), \
                    (c.name, name, kind, text)
    junit = ET.fromstring(files.to_junit(run))
    messages = {t.get("name"): (t.find("failure").get("message") if t.find("failure") is not None else None)
                for t in junit.iter("testcase")}
    assert messages == {"right": None, "expected": None,
                        "unexpected": "unexpected: W scaled, b sign-flipped (expected pass)"}
    markdown = files.to_markdown(run)
    assert "- ❌ unexpected: W scaled, b sign-flipped (expected pass)" in markdown
    assert "| `expected` | `f.py` | fail | fail | b sign-flipped | ✅ |" in markdown
    page = files.to_html(run)
    assert "unexpected: W scaled, b sign-flipped (expected pass)" in page
    assert all(f"<td>{kind}</td>" in page for kinds in TRUTH.values() for kind in kinds.values())
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    from click.testing import CliRunner

    from gradcheck.cli import main
    (tmp_path / "cases_x.py").write_text(
        "import numpy as np\nimport gradcheck\n\n@gradcheck.case\ndef unexpected():\n"
        "    return gradcheck.Problem(lambda p: float(np.sum(p ** 2)), lambda p: -2 * p, np.ones(2))\n")
    CliRunner().invoke(main, ["run", str(tmp_path / "cases_x.py")])
    assert "- ❌ unexpected: param sign-flipped (expected pass)" in summary.read_text()
    with pytest.raises(gradcheck.GradientError) as info:
        gradcheck.assert_gradients(problem(True, 2.0).loss, None, problem(True, 2.0).params)
    assert str(info.value).splitlines()[0] == "W scaled, b sign-flipped"
