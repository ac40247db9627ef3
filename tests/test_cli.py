"""The command line: run, list and explain, their output, JSON and exit codes."""

import json
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

import gradcheck
from gradcheck.cli import main

CASES = Path(__file__).resolve().parent.parent / "cases"
FILE = """
import numpy as np
import gradcheck

@gradcheck.case
def good():
    \"\"\"A right gradient.\"\"\"
    return gradcheck.Problem(lambda p: float(np.sum(p ** 2)), lambda p: 2 * p, np.array([1.0, 2.0]))

@gradcheck.case(expect="fail", kinds={"param": "sign-flipped"})
def flipped():
    return gradcheck.Problem(lambda p: float(np.sum(p ** 2)), lambda p: -2 * p, np.array([1.0, 2.0]))
"""


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "cases.py").write_text(textwrap.dedent(FILE))
    return tmp_path


def invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_version():
    assert invoke("--version").output == f"gradcheck, version {gradcheck.__version__}\n"


def test_run_exits_0_when_every_case_meets_its_expectation(folder):
    result = invoke("run", folder)
    assert result.exit_code == 0
    assert result.output.splitlines() == ["PASS  good", "XFAIL flipped  param sign-flipped ✓",
                                          "2 as expected, 0 unexpected, 0 errors (2 cases)"]


def test_run_with_v_prints_every_case_in_full(folder):
    result = invoke("run", folder, "-v")
    assert f"PASS  good  ({folder / 'cases.py'})  expect pass: as expected" in result.output


def test_run_exits_1_on_an_unexpected_result(folder):
    (folder / "more.py").write_text(textwrap.dedent(FILE.replace("good", "good2").replace("def flipped", "def flipped2")
                                                    .replace("-2 * p", "2 * p")))
    result = invoke("run", folder)
    assert result.exit_code == 1
    assert "UNEXPECTED: expected fail, got pass" in result.output
    assert result.output.splitlines()[-3:] == ["UNEXPECTED:", "  flipped2: all gradients match (expected fail: param "
                                               "sign-flipped)", "3 as expected, 1 unexpected, 0 errors (4 cases)"]


def test_run_exits_1_on_an_error_case(folder):
    (folder / "broken.py").write_text("raise ImportError('no module named torchish')\n")
    result = invoke("run", folder)
    assert result.exit_code == 1 and "cannot import" in result.output


def test_exitfirst_stops_after_the_first_unexpected_result(folder):
    (folder / "a.py").write_text(textwrap.dedent(FILE.replace("good", "a_bad").replace("def flipped", "def a_more")
                                                 .replace("lambda p: 2 * p", "lambda p: 3 * p")))
    result = invoke("run", "-x", folder / "a.py", folder / "cases.py")
    assert result.exit_code == 1
    assert "1 unexpected" in result.output and "incomplete run" in result.output
    assert "good" not in result.output


def test_no_cases_found_is_a_usage_error(tmp_path):
    (tmp_path / "empty.py").write_text("x = 1\n")
    result = invoke("run", tmp_path)
    assert result.exit_code == 2 and "no cases found" in result.output


def test_missing_path_is_a_usage_error(tmp_path):
    assert invoke("run", tmp_path / "nope").exit_code == 2


def test_k_selects_cases(folder):
    result = invoke("run", "-k", "flip", folder)
    assert result.exit_code == 0 and "(1 cases)" in result.output


def test_json_follows_schema_version_1(folder, tmp_path):
    out = tmp_path / "out" / "report.json"
    invoke("run", folder, "--json", out)
    data = json.loads(out.read_text())
    assert data["version"] == 1
    assert data["summary"] == {"cases": 2, "as_expected": 2, "unexpected": 0, "errors": 0}
    flipped = data["cases"][1]
    assert {"name", "file", "expect", "status", "as_expected", "error", "method", "parameters"} <= set(flipped)
    assert (flipped["name"], flipped["expect"], flipped["status"], flipped["as_expected"], flipped["error"],
            flipped["method"]) == ("flipped", "fail", "fail", True, None, "central")
    assert flipped["parameters"][0]["kind"] == "sign-flipped"


def test_check_options_override_the_cases(folder):
    result = invoke("run", folder, "--method", "richardson", "-v")
    assert "(richardson," in result.output


def test_list_shows_cases_and_expectations_without_running(folder):
    result = invoke("list", folder)
    assert result.output.splitlines() == [f"good  ({folder / 'cases.py'})  expect pass",
                                          f"flipped  ({folder / 'cases.py'})  expect fail  param: sign-flipped"]


def test_explain_lists_every_kind_then_every_finding_about_the_residual():
    from gradcheck.kinds import HYPOTHESES

    lines = [line for line in invoke("explain").output.splitlines() if line]
    heading = lines.index("findings about the residual d = analytic − numerical (detail['hypothesis']):")
    topics = lines.index("how a report is reached:")
    assert [line.split()[0] for line in lines[:heading]] == list(gradcheck.diagnosis.KINDS)
    assert [line.split()[0] for line in lines[heading + 1:topics]] == list(HYPOTHESES)
    assert [line.split()[0] for line in lines[topics + 1:]] == ["trace"]


@pytest.mark.parametrize("kind", [*gradcheck.diagnosis.KINDS, "proportional-to-param", "masked", "wrong-indices",
                                  "copy-of-other", "not-scaling-with-upstream", "loss-derivative",
                                  "proportional-to-sign", "summed-over-all-axes"])
def test_explain_prints_each_kind_then_its_paragraph(kind):
    result = invoke("explain", kind)
    assert result.exit_code == 0
    title, blank, paragraph = result.output.rstrip("\n").split("\n")
    assert (title, blank) == (kind, "") and paragraph.endswith(".")


def test_explain_an_unknown_kind_is_a_usage_error():
    assert invoke("explain", "bad-kind").exit_code == 2


def test_explain_a_kind_gives_the_math():
    result = invoke("explain", "not-reduced-over-batch")
    assert "∂z/∂b is a vector of ones" in result.output


def test_the_shipped_cases_all_meet_their_expectations():
    result = invoke("run", CASES, "-q")
    assert result.exit_code == 0, result.output
    shipped = len(gradcheck.cases.discover([CASES])[0])
    assert result.output.splitlines()[-1].endswith(f"0 unexpected, 0 errors ({shipped} cases)")


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    out = tmp_path_factory.mktemp("json") / "cases.json"
    CliRunner().invoke(main, ["run", str(CASES), "-q", "--json", str(out)])
    return {c["name"]: c for c in json.loads(out.read_text())["cases"]}


def param(case, name):
    return next(p for p in case["parameters"] if p["name"] == name)


@pytest.mark.parametrize("case, layer, fingerprint", [
    ("s1_b1_sigmoid_derivative_on_upstream_error", "4.Sigmoid.x", "d(1−d)"),
    ("s1_b5_sigmoid_derivative_on_preactivation", "2.Sigmoid.x", "z(1−z)"),
    ("s5_b11_sigma_for_sigma_prime", "4.Sigmoid.x", "σ"),
])
def test_shipped_cases_name_the_wrong_activation_derivative(shipped, case, layer, fingerprint):
    assert param(shipped[case], layer)["detail"]["fingerprint"] == fingerprint


@pytest.mark.parametrize("case", ["s1_b4_column_sum_of_dW2", "s1_b5_sigmoid_derivative_on_preactivation"])
def test_shipped_cases_place_b4_and_b5_between_layer_2_and_layer_1(shipped, case):
    assert shipped[case]["diagnosis"].startswith("W2, b2 match; W1, b1 do not")


@pytest.mark.parametrize("case, name, index", [("s5_b12_wrong_output_weight_in_hidden_bias", "W_hidden", [1, 2]),
                                               ("s5_b13_hidden_factor_in_output_bias", "W_out", [0, 2])])
def test_shipped_cases_locate_single_wrong_entries(shipped, case, name, index):
    assert param(shipped[case], name)["detail"]["indices"] == [index]


def test_shipped_b8_names_k_equal_to_m(shipped):
    w = param(shipped["s3_b8_sum_not_divided_by_m"], "w")
    assert w["kind"] == "scaled" and "k = m = 6, the batch size" in w["hint"]


def test_cases_run_in_parallel_with_the_output_and_files_of_a_sequential_run(folder, tmp_path):
    (folder / "more.py").write_text(textwrap.dedent(FILE.replace("good", "good2").replace("def flipped", "def flip2")))
    sequential = invoke("run", folder, "--json", tmp_path / "a.json")
    parallel = invoke("run", folder, "-n", "2", "--json", tmp_path / "b.json")
    auto = invoke("run", folder, "-n", "auto")
    assert sequential.exit_code == parallel.exit_code == auto.exit_code == 0
    assert sequential.output == parallel.output == auto.output

    def untimed(path):
        data = json.loads(path.read_text())
        return [{**c, "seconds": 0} for c in data["cases"]]
    assert untimed(tmp_path / "a.json") == untimed(tmp_path / "b.json")


@pytest.mark.parametrize("value", ["0", "two"])
def test_a_number_of_processes_that_is_not_one_or_more_is_a_usage_error(folder, value):
    result = invoke("run", folder, "-n", value)
    assert result.exit_code == 2 and "-n" in result.output


def test_html_writes_one_self_contained_page(folder, tmp_path):
    result = invoke("run", folder, "--html", tmp_path / "report.html")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert result.exit_code == 0 and page.startswith("<!DOCTYPE html>") and page.count('<details class="case"') == 2
