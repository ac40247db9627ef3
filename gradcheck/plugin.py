"""The pytest plugin: case files as test items, readable assertion reports, and a configured `gradcheck` fixture."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

from . import cases as cases_mod
from .cases import format_case
from .cases.results import RunReport, found, sweep_lines
from .checker import assert_gradients, check
from .errors import CheckError
from .layers import check_layer, check_network
from .models import check_model
from .options import CONFIG, parse, settable
from .report import GradientError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python < 3.11
    import tomli as tomllib

# The check options [tool.gradcheck] and --gradcheck-* may set, as declared once in gradcheck.options.
_OPTIONS = {d.name: d for d in settable(CONFIG)}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("gradcheck", "gradient checks")
    group.addoption("--gradcheck", action="store_true", help="collect gradcheck case files and run each case as a test")
    for d in _OPTIONS.values():
        group.addoption(f"--gradcheck-{d.name.replace('_', '-')}", dest=f"gradcheck_{d.name}", choices=d.choices,
                        type=None if d.choices else d.type, help=f"{d.help} For cases and the fixture.")


def _pyproject_options(root: Path) -> dict[str, Any]:
    path = root / "pyproject.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as f:
        table = tomllib.load(f).get("tool", {}).get("gradcheck", {})
    unknown = sorted(set(table) - set(_OPTIONS))
    if unknown:
        raise pytest.UsageError(f"[tool.gradcheck] in {path} has unknown option(s) {unknown}; "
                                f"expected some of {sorted(_OPTIONS)}")
    try:
        return {k: parse(_OPTIONS[k], v, f"[tool.gradcheck] of {path}") for k, v in table.items()}
    except CheckError as exc:
        raise pytest.UsageError(str(exc)) from None


def options(config: pytest.Config) -> dict[str, Any]:
    """Check options from [tool.gradcheck] in pyproject.toml, overridden by --gradcheck-* on the command line."""
    merged = _pyproject_options(Path(config.rootpath))
    for name in _OPTIONS:
        value = config.getoption(f"gradcheck_{name}")
        if value is not None:
            merged[name] = value
    return merged


def _is_case_file(path: Path) -> bool:
    if path.suffix != ".py" or path.name == "conftest.py" or path.name.startswith("test_"):
        return False
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return "gradcheck" in text and "case" in text


def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    if parent.config.getoption("gradcheck") and _is_case_file(file_path):
        return CaseFile.from_parent(parent, path=file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector):
    """A case file named on the command line is collected as cases only, not also as a test module."""
    if parent.config.getoption("gradcheck") and _is_case_file(module_path):
        return _NoTests.from_parent(parent, path=module_path)
    return None


class _NoTests(pytest.File):
    def collect(self):
        return []


class CaseFile(pytest.File):
    """A file of gradcheck cases."""

    def collect(self):
        found, error = cases_mod.load(Path(self.path))
        if error is not None:
            yield CaseItem.from_parent(self, name=error.name, case=None, error=error)
        for case in found:
            yield CaseItem.from_parent(self, name=case.name, case=case, error=None)


_RESULTS = pytest.StashKey[list]()  # the case results of this session, for the sweeps' summary


class CaseOutcome(Exception):
    """A case whose result is not what it expects; its message, pytest's short summary, is the case's one line."""

    def __init__(self, result) -> None:
        super().__init__(found(result))
        self.result = result


class CaseItem(pytest.Item):
    """One case: passes when it meets its expectation, xfails when it fails as expected."""

    def __init__(self, *, case, error, **kwargs) -> None:
        super().__init__(**kwargs)
        self.case, self.error = case, error

    def runtest(self) -> None:
        if self.error is not None:
            raise CaseOutcome(self.error)
        # In its own process, as `gradcheck run` does: a case that crashes the interpreter fails one item.
        result = cases_mod.run_isolated(self.case, options(self.config))
        self.config.stash.setdefault(_RESULTS, []).append(result)
        if not result.as_expected:
            raise CaseOutcome(result)
        if result.status == "fail":
            kinds = ", ".join(f"{k}: {v}" for k, v in (self.case.kinds or {}).items())
            pytest.xfail(f"fails as expected{' (' + kinds + ')' if kinds else ''}")

    def repr_failure(self, excinfo, style=None):
        if isinstance(excinfo.value, CaseOutcome):
            return f"{found(excinfo.value.result)}\n{format_case(excinfo.value.result)}"
        return super().repr_failure(excinfo, style)

    def reportinfo(self):
        return self.path, 0, f"gradcheck case {self.name}"


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """What the failing combinations of each swept case share, as ``gradcheck run`` says it."""
    lines = sweep_lines(RunReport(tuple(config.stash.get(_RESULTS, []))))
    if lines:
        terminalreporter.section("gradcheck sweeps")
        for line in lines[1:]:
            terminalreporter.write_line(line.strip())


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A failing assert_gradients shows its report, not a traceback through numpy."""
    outcome = yield
    report = outcome.get_result()
    if call.excinfo is not None and call.excinfo.errisinstance(GradientError) and report.failed:
        where = f"{item.location[0]}:{item.location[1] + 1 if item.location[1] is not None else '?'}"
        first, _, rest = str(call.excinfo.value).partition("\n")  # the first line is what broke: the short summary
        report.longrepr = f"GradientError: {first}\n{where}: {item.name}\n{rest}"


class Checker:
    """check, assert_gradients, check_layer, check_network and check_model with options configured once (the
    `gradcheck` fixture)."""

    def __init__(self, **opts: Any) -> None:
        self.options = opts

    def check(self, loss, grad, params, **overrides):
        return check(loss, grad, params, **{**self.options, **overrides})

    def check_layer(self, forward, backward=None, *args, **kwargs):
        return check_layer(forward, backward, *args, **{**self.options, **kwargs})

    def check_network(self, network, inputs, *args, **overrides):
        return check_network(network, inputs, *args, **{**self.options, **overrides})

    def check_model(self, model, *data, **overrides):
        return check_model(model, *data, **{**self.options, **overrides})

    def assert_gradients(self, loss, grad, params, **overrides):
        __tracebackhide__ = True
        return assert_gradients(loss, grad, params, **{**self.options, **overrides})


@pytest.fixture(name="gradcheck")
def gradcheck_fixture(request: pytest.FixtureRequest) -> Checker:
    """A Checker with options from [tool.gradcheck] in pyproject.toml and --gradcheck-* options."""
    return Checker(**options(request.config))
