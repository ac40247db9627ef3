"""The @case decorator checks what it is given when it runs."""

import numpy as np
import pytest

import gradcheck
from gradcheck.cases import run_case
from gradcheck.cases.define import Case


def test_an_unknown_kind_is_an_error_when_the_decorator_runs_and_suggests_the_nearest():
    with pytest.raises(ValueError, match=r"kinds\['b1'\] is 'sign-flip', which is no diagnosis kind; did you mean "
                                         r"'sign-flipped'\?"):
        gradcheck.case(expect="fail", kinds={"b1": "sign-flip"})


def test_a_kinds_name_that_is_no_parameter_is_an_error_before_the_check_starts():
    def problem():
        return gradcheck.Problem(lambda p: float(np.sum(p["w"] ** 2)), lambda p: {"w": -2 * p["w"]}, {"w": np.ones(2)})
    result = run_case(Case("c", "f.py", problem, "fail", {"W": "sign-flipped"}))
    assert result.status == "error" and "kinds names 'W', which the case's parameters do not have" in result.error
