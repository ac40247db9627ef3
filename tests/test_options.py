"""Check options: one declaration, read the same way by check(), @case, gradcheck run and [tool.gradcheck]."""

import inspect

import numpy as np
import pytest
from click.testing import CliRunner

import gradcheck
from gradcheck.cases import CHECK_OPTIONS
from gradcheck.cli import main
from gradcheck.options import CASE, CONFIG, DECLARATIONS, RUN, CheckOptions, parse, settable


def square(p):
    return float(np.sum(p ** 2))


def test_checks_keywords_and_defaults_are_the_declared_ones():
    params = inspect.signature(gradcheck.check).parameters
    for d in DECLARATIONS:
        assert params[d.name].default == d.default, d.name
        assert params[d.name].kind is inspect.Parameter.KEYWORD_ONLY


def test_assert_gradients_shows_checks_keywords_and_strict():
    asserting = dict(inspect.signature(gradcheck.assert_gradients).parameters)
    assert asserting.pop("strict").default is False
    assert asserting == dict(inspect.signature(gradcheck.check).parameters)


def test_case_accepts_exactly_the_options_declared_for_cases():
    assert CHECK_OPTIONS == tuple(d.name for d in settable(CASE))
    assert "batch_size" in CHECK_OPTIONS and "time_limit" not in CHECK_OPTIONS


@pytest.mark.parametrize("declaration", settable(RUN), ids=lambda d: d.name)
def test_gradcheck_run_has_a_flag_for_every_option_it_may_override(declaration):
    help_text = CliRunner().invoke(main, ["run", "--help"]).output
    assert f"--{declaration.name.replace('_', '-')}" in help_text


def test_the_configuration_file_may_set_what_gradcheck_run_may_override():
    assert [d.name for d in settable(CONFIG)] == [d.name for d in settable(RUN)]


@pytest.mark.parametrize("options, message", [
    ({"method": "forward"}, "method is 'forward'; expected one of central, richardson, complex-step, auto"),
    ({"mode": "fast"}, "mode is 'fast'; expected one of auto, full, probe"),
    ({"probes": 0}, "probes is 0; expected at least 1 direction per tensor"),
    ({"rtol": -1e-6}, "rtol is -1e-06; expected at least 0"),
    ({"workers": 0}, "workers is 0; expected at least 1"),
])
def test_an_option_out_of_range_is_a_check_error_saying_what_was_expected(options, message):
    with pytest.raises(gradcheck.CheckError, match=f"^{message}$"):
        gradcheck.check(square, lambda p: 2 * p, np.ones(2), **options)


def test_options_are_validated_when_built():
    assert CheckOptions().method == "central"
    with pytest.raises(gradcheck.CheckError):
        CheckOptions(budget=-1.0)


@pytest.mark.parametrize("name, value, typed", [("rtol", 1e-5, 1e-5), ("rtol", 1, 1.0), ("seed", 3, 3),
                                                ("method", "richardson", "richardson"), ("probes", 4, 4)])
def test_parse_reads_a_value_of_the_options_type(name, value, typed):
    declaration = next(d for d in DECLARATIONS if d.name == name)
    assert parse(declaration, value, "pyproject.toml") == typed


@pytest.mark.parametrize("name, value", [("seed", 1.5), ("rtol", "small"), ("probes", True), ("method", 3),
                                         ("mode", "fast"), ("probes", 0)])
def test_parse_refuses_a_value_of_another_type_or_out_of_range(name, value):
    declaration = next(d for d in DECLARATIONS if d.name == name)
    with pytest.raises(gradcheck.CheckError, match=f"^{name} "):
        parse(declaration, value, "pyproject.toml")
