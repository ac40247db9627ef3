"""The pytest plugin: case files as items with strict-xfail expectations, readable reports, the fixture."""

import textwrap
from pathlib import Path

import gradcheck
from tests.conftest import CASE_FILE

CASES = CASE_FILE + """
@gradcheck.case(expect="fail", kinds={"param": "scaled"})
def flipped_but_expected_scaled():
    return problem(-1.0)
"""


def test_cases_run_as_items_with_strict_expectations(pytester):
    pytester.makepyfile(my_cases=CASES)
    result = pytester.runpytest("--gradcheck", "-rx", "my_cases.py")
    result.assert_outcomes(passed=1, xfailed=1, failed=1)
    result.stdout.fnmatch_lines(["*UNEXPECTED: kinds differ: param: expected scaled, got sign-flipped*"])
    result.stdout.fnmatch_lines(["*XFAIL*flipped - fails as expected (param: sign-flipped)*"])
    assert result.ret == 1


def test_exit_status_is_0_when_every_case_meets_its_expectation(pytester):
    pytester.makepyfile(my_cases=CASE_FILE)
    result = pytester.runpytest("--gradcheck", "my_cases.py")
    result.assert_outcomes(passed=1, xfailed=1)
    assert result.ret == 0


def test_case_files_are_not_collected_without_the_flag(pytester):
    pytester.makepyfile(my_cases=CASES)
    result = pytester.runpytest("my_cases.py")
    assert result.ret == 5  # no tests collected


def test_a_case_file_that_cannot_be_imported_is_a_failing_item(pytester):
    pytester.makepyfile(broken_cases="import gradcheck\nraise RuntimeError('case setup broke')\n")
    result = pytester.runpytest("--gradcheck", "broken_cases.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*cannot import*RuntimeError: case setup broke*"])


def test_failing_assert_gradients_shows_the_report_not_numpy_internals(pytester):
    pytester.makepyfile(test_mine=textwrap.dedent("""
        import numpy as np
        import gradcheck

        def test_gradient():
            gradcheck.assert_gradients(lambda p: float(np.sum(p ** 2)), lambda p: -2 * p, np.array([1.0, 2.0]))
    """))
    result = pytester.runpytest("test_mine.py")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "gradients WRONG: 1 of 1 parameter does not match" in out
    assert "sign-flipped" in out
    assert "numpy/" not in out and str(Path(gradcheck.__file__).parent) not in out


def test_fixture_reads_pyproject_and_the_command_line_wins(pytester):
    pytester.makepyprojecttoml('[tool.gradcheck]\nmethod = "richardson"\nrtol = 1e-5\n')
    pytester.makepyfile(test_fixture=textwrap.dedent("""
        import numpy as np

        def test_options(gradcheck, request):
            report = gradcheck.check(lambda p: float(np.sum(p ** 2)), lambda p: 2 * p, np.ones(2))
            expected = request.config.getoption("gradcheck_method") or "richardson"
            assert report.method == expected and gradcheck.options["rtol"] == 1e-5
    """))
    pytester.runpytest("test_fixture.py").assert_outcomes(passed=1)
    pytester.runpytest("test_fixture.py", "--gradcheck-method", "central").assert_outcomes(passed=1)


def test_the_fixture_checks_layers_networks_and_models_with_the_configured_options(pytester):
    pytester.makepyprojecttoml('[tool.gradcheck]\nmethod = "richardson"\n')
    pytester.makepyfile(test_fixture=textwrap.dedent("""
        import numpy as np

        class Model:
            params = {"w": np.array([1.0, -2.0])}

            def loss(self, x):
                return float(np.sum(self.params["w"] * x) ** 2), {"w": 2 * np.sum(self.params["w"] * x) * x}

        class Tanh:
            def forward(self, x):
                self.y = np.tanh(x)
                return self.y

            def backward(self, dout):
                return dout * (1 - self.y ** 2)

        def test_all(gradcheck):
            x = np.linspace(-1, 1, 6).reshape(2, 3)
            layer = gradcheck.check_layer(lambda x, w: (x @ w, (x, w)), lambda d, c: (d @ c[1].T, c[0].T @ d),
                                          x, np.ones((3, 2)))
            network = gradcheck.check_network([Tanh(), Tanh()], x)
            model = gradcheck.check_model(Model(), np.array([0.5, 0.25]))
            assert layer.ok and network.ok and model.ok
            assert {layer.method, network.method, model.method} == {"richardson"}
    """))
    pytester.runpytest("test_fixture.py").assert_outcomes(passed=1)


def test_unknown_pyproject_options_are_a_usage_error(pytester):
    pytester.makepyprojecttoml('[tool.gradcheck]\nstep = 1e-3\n')
    pytester.makepyfile(test_fixture="def test_x(gradcheck):\n    pass\n")
    result = pytester.runpytest("test_fixture.py")
    result.stdout.fnmatch_lines(["*has unknown option(s)*step*"])


def test_same_named_helpers_in_two_case_folders_never_mix(pytester):
    # a's helper gives the right factor and its case expects a pass; b's gives a wrong one and its case expects a fail
    for folder, factor, expect in (("a", 2.0, "pass"), ("b", 3.0, "fail")):
        (pytester.path / folder).mkdir()
        (pytester.path / folder / "helpers.py").write_text(f"FACTOR = {factor}\n")
        (pytester.path / folder / f"cases_{folder}.py").write_text(textwrap.dedent(f"""
            import numpy as np
            import gradcheck
            import helpers

            @gradcheck.case(expect="{expect}")
            def {folder}_uses_its_own_helper():
                return gradcheck.Problem(lambda p: float(np.sum(p ** 2)), lambda p: helpers.FACTOR * p, np.ones(2))
        """))
    result = pytester.runpytest("--gradcheck", "a", "b")
    result.assert_outcomes(passed=1, xfailed=1)


def test_pytests_short_summary_names_the_wrong_parameters_and_their_kinds(pytester):
    pytester.makepyfile(cases_flip=textwrap.dedent("""
        import numpy as np
        import gradcheck

        @gradcheck.case
        def dense_regression_b1():
            return gradcheck.Problem(lambda p: float(np.sum(p["b1"] ** 2)), lambda p: {"b1": -2 * p["b1"]},
                                     {"b1": np.ones(3)})
    """), test_grads=textwrap.dedent("""
        import numpy as np
        import gradcheck

        def test_two_layer_gradients():
            gradcheck.assert_gradients(lambda p: float(np.sum(p ** 2)), lambda p: 3 * p, np.ones(2))
    """))
    result = pytester.runpytest("--gradcheck", "-rf", "cases_flip.py", "test_grads.py")
    result.stdout.fnmatch_lines(["FAILED cases_flip.py::dense_regression_b1 - b1 sign-flipped (expected pass)",
                                 "FAILED test_grads.py::test_two_layer_gradients - GradientError: param scaled"])


SWEPT = """
import numpy as np
import gradcheck


@gradcheck.case(sweep={"k": [1.0, 2.0]})
def quad(k):
    return gradcheck.Problem(lambda p: float(k * np.sum(p ** 2)), lambda p: 2 * p if k == 2.0 else 2 * k * p,
                             np.ones(3))
"""


def test_each_combination_of_a_swept_case_is_an_item_and_the_summary_says_what_they_share(pytester):
    pytester.makepyfile(swept_cases=SWEPT)
    result = pytester.runpytest("--gradcheck", "swept_cases.py")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*gradcheck sweeps*",
                                 "quad: fails exactly when k = 2.0 (1 of 2 combinations fail; the smallest first: "
                                 "quad[k=2.0])"])
