"""Cases: the decorator, discovery, selection, expectations and errors."""

import textwrap

import pytest

import gradcheck
from gradcheck import cases

HEADER = "import numpy as np\nimport gradcheck\n\n"
SQUARE = """
@gradcheck.case{args}
def {name}():
    return gradcheck.Problem(lambda p: float(np.sum(p ** 2)), lambda p: {grad}, np.array([1.0, -2.0]))
"""


def write(tmp_path, filename, *bodies):
    path = tmp_path / filename
    path.write_text(HEADER + "\n".join(textwrap.dedent(b) for b in bodies))
    return path


def square(name, grad="2 * p", args=""):
    return SQUARE.format(name=name, grad=grad, args=args)


def test_discovery_finds_cases_in_files_and_folders_recursively(tmp_path):
    write(tmp_path, "a.py", square("first"), square("second"))
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "b.py", square("third"))
    found, errors = cases.discover([tmp_path])
    assert [c.name for c in found] == ["first", "second", "third"] and errors == []


def test_imported_case_functions_are_not_collected_twice(tmp_path):
    write(tmp_path, "a.py", square("first"))
    write(tmp_path, "b.py", "from a import first\n")
    found, errors = cases.discover([tmp_path])
    assert [c.name for c in found] == ["first"] and errors == []


def test_selection_by_substring(tmp_path):
    write(tmp_path, "a.py", square("s1_bias"), square("s2_sign"))
    found, _ = cases.discover([tmp_path])
    assert [c.name for c in cases.select(found, "bias")] == ["s1_bias"]


def test_a_file_that_cannot_be_imported_is_one_error(tmp_path):
    write(tmp_path, "broken.py", "def oops(:\n")
    write(tmp_path, "ok.py", square("fine"))
    found, errors = cases.discover([tmp_path])
    assert [c.name for c in found] == ["fine"]
    assert errors[0].status == "error" and errors[0].error.startswith("cannot import")
    assert "SyntaxError" in errors[0].error


def test_two_cases_with_one_name_are_both_errors(tmp_path):
    write(tmp_path, "a.py", square("same"))
    write(tmp_path, "b.py", square("same"))
    found, errors = cases.discover([tmp_path])
    assert found == [] and len(errors) == 2
    assert all("is defined 2 times" in e.error for e in errors)


@pytest.mark.parametrize("args, grad, as_expected", [
    ("", "2 * p", True),
    ("", "-2 * p", False),  # an unexpected failure
    ("(expect='fail')", "2 * p", False),  # an unexpected pass
    ("(expect='fail', kinds={'param': 'sign-flipped'})", "-2 * p", True),
    ("(expect='fail', kinds={'param': 'scaled'})", "-2 * p", False),  # kinds differ
])
def test_expectations(tmp_path, args, grad, as_expected):
    write(tmp_path, "a.py", square("c", grad, args))
    (c,), _ = cases.discover([tmp_path])
    assert cases.run_case(c).as_expected is as_expected


def test_kinds_that_differ_say_how(tmp_path):
    write(tmp_path, "a.py", square("c", "-2 * p", "(expect='fail', kinds={'param': 'scaled'})"))
    (c,), _ = cases.discover([tmp_path])
    assert cases.run_case(c).reason == "kinds differ: param: expected scaled, got sign-flipped"


def test_kinds_naming_no_parameter_are_an_error_before_the_check(tmp_path):
    write(tmp_path, "a.py", square("c", "-2 * p", "(expect='fail', kinds={'param': 'scaled', 'nope': 'ok'})"))
    (c,), _ = cases.discover([tmp_path])
    result = cases.run_case(c)
    assert result.status == "error" and result.report is None
    assert "kinds names 'nope', which the case's parameters do not have; they are ['param']" in result.error


@pytest.mark.parametrize("body, message", [
    ("@gradcheck.case\ndef c():\n    raise RuntimeError('bad setup')\n", "RuntimeError: bad setup"),
    ("@gradcheck.case\ndef c():\n    return None\n", "CheckError: case returned None; expected gradcheck.Problem"),
    ("@gradcheck.case\ndef c():\n    return 42\n", "CheckError: case returned int; expected gradcheck.Problem"),
])
def test_a_case_that_raises_or_returns_no_problem_is_an_error(tmp_path, body, message):
    write(tmp_path, "a.py", body)
    (c,), _ = cases.discover([tmp_path])
    result = cases.run_case(c)
    assert result.status == "error" and result.error.startswith(message)


def test_case_options_are_used_and_overrides_win(tmp_path):
    write(tmp_path, "a.py", square("c", "2 * p", "(method='richardson')"))
    (c,), _ = cases.discover([tmp_path])
    assert cases.run_case(c).report.method == "richardson"
    assert cases.run_case(c, {"method": "central"}).report.method == "central"


def test_decorator_refuses_unknown_expectations_and_options():
    with pytest.raises(ValueError, match="expect is 'maybe'"):
        gradcheck.case(expect="maybe")
    with pytest.raises(TypeError, match=r"unknown check option\(s\) \['step'\]"):
        gradcheck.case(step=1e-3)
