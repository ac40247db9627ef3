"""Hardening: hostile cases never crash, hang or lose a run; bad input gets a result or a CheckError, never worse."""

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradcheck
from gradcheck import CheckError
from gradcheck.cli import main

HOSTILE = Path(__file__).resolve().parent / "data" / "hostile"

# Each hostile case and what its report must say: the status, and a phrase of the reason or the kinds.
REASONS = {
    "syntax_error": ("error", "SyntaxError: invalid syntax"),
    "import_error": ("error", "No module named 'a_module_that_does_not_exist'"),
    "top_level_exception": ("error", "RuntimeError: the case file fails while it is imported"),
    "same_name": ("error", "case name 'same_name' is defined 2 times"),
    "case_raises": ("error", "ValueError: building the problem failed"),
    "case_returns_none": ("error", "case returned None; expected gradcheck.Problem"),
    "case_returns_wrong_type": ("error", "case returned dict; expected gradcheck.Problem"),
    "loss_raises_at_the_point": ("error", "loss raised ZeroDivisionError: division by zero (at the given parameters)"),
    "loss_raises_when_perturbed": ("error", "when entry 2 of 'param' was moved by 1 step(s)"),
    "loss_returns_an_array": ("error", "loss returned an array of shape (3,); expected a scalar loss"),
    "loss_returns_a_string": ("error", "loss returned '0.5'; expected a scalar"),
    "loss_returns_nan": ("error", "loss is nan at the given parameters"),
    "loss_returns_inf": ("error", "loss is inf at the given parameters"),
    "grad_returns_a_list": ("error", "grad returned a list; expected a dict with the keys ['W', 'b']"),
    "grad_returns_integer_arrays": ("error", "grad returned a gradient of dtype int64 for 'W'"),
    "grad_returns_a_wrong_shape": ("fail", {"W": "transposed", "b": "shape-mismatch"}),
    "grad_returns_extra_keys": ("fail", {"W": "ok", "b": "ok", "momentum": "shape-mismatch"}),
    "never_returns": ("error", "timed out after 3 s (--timeout) and was stopped"),
    "segfault_in_native_code": ("error", "killed by SIGSEGV"),
    "calls_os_exit": ("error", "exited with status 3 before returning"),
    "calls_sys_exit": ("error", "SystemExit: giving up"),
    "grad_updates_params_in_place": ("fail", {"W": "mutates-params"}),
    "grad_returns_a_view_of_params": ("fail", {"W": "mutates-params"}),
    "grad_reuses_its_output_buffer": ("fail", {"W": "mutates-params"}),
    "loss_updates_params_in_place": ("fail", {"W": "mutates-params"}),
    "dropout_without_a_fixed_mask": ("fail", {"W": "noisy-loss"}),
    "full_check_too_large_for_the_time_limit": ("error", "over the time limit of 3 s; use mode='probe'"),
    "zero_size_and_0d_arrays": ("pass", {"empty": "ok", "scalar": "ok"}),
    "non_contiguous_and_read_only_arrays": ("pass", {"strided": "ok", "frozen": "ok"}),
    "float16_parameters": ("pass", {"half": "ok"}),
    "empty_params": ("error", "params is empty"),
    "integer_params": ("error", "parameter 'counts' has dtype int64"),
}


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("hostile") / "run.json"
    result = CliRunner().invoke(main, ["run", str(HOSTILE), "--timeout", "3", "--json", str(out), "-q"])
    return result, json.loads(out.read_text())


def test_a_hostile_folder_runs_to_the_end_with_exit_status_1(hostile_run):
    result, data = hostile_run
    assert result.exit_code == 1
    assert data["complete"] is True
    assert sorted({c["name"] for c in data["cases"]}) == sorted(REASONS)
    assert data["summary"]["cases"] == len(REASONS) + 1  # same_name is reported once per file


@pytest.mark.parametrize("name", sorted(REASONS))
def test_each_hostile_case_is_reported_with_its_reason(hostile_run, name):
    _, data = hostile_run
    status, said = REASONS[name]
    for case in (c for c in data["cases"] if c["name"] == name):
        assert case["status"] == status
        if isinstance(said, str):
            assert said in case["error"]
        else:
            assert {p["name"]: p["kind"] for p in case["parameters"]} == said


def test_mutation_is_reported_and_the_gradient_still_checked_on_a_clean_copy(hostile_run):
    _, data = hostile_run
    case = next(c for c in data["cases"] if c["name"] == "grad_updates_params_in_place")
    (w,) = case["parameters"]
    assert w["detail"]["gradient_kind"] == "ok"
    assert w["hint"].startswith("grad writes into the parameter 'W' it is given (an in-place update); checked on a "
                                "clean copy, its gradient is right")


def test_noisy_loss_is_refused_with_the_size_of_the_noise(hostile_run):
    _, data = hostile_run
    case = next(c for c in data["cases"] if c["name"] == "dropout_without_a_fixed_mask")
    assert "the check cannot tell a gradient from the noise" in case["diagnosis"]
    assert all(p["kind"] == "noisy-loss" and p["detail"] == {"refused": True} for p in case["parameters"])
    assert all("the check cannot tell" not in p["hint"] for p in case["parameters"])  # said once, not per parameter


def test_a_deterministic_loss_with_last_bit_differences_is_not_called_noisy():
    calls = []

    def loss(p):
        calls.append(1)
        return float(np.sum(p**2)) * (1 + 1e-16 * (len(calls) % 2))

    assert gradcheck.check(loss, lambda p: 2 * p, np.array([1.0, 2.0])).ok


# Property: whatever structure, shapes, dtypes and failures come in, check() returns a Report or raises CheckError.
values = st.one_of(
    st.builds(lambda shape, seed, dtype: np.random.default_rng(seed).normal(size=shape).astype(dtype),
              st.lists(st.integers(0, 3), max_size=3).map(tuple), st.integers(0, 99),
              st.sampled_from([np.float64, np.float32, np.float16, np.int64, np.complex128, np.bool_])),
    st.just(None), st.just("text"), st.floats(allow_nan=True), st.lists(st.floats(-2, 2), max_size=3),
)
structures = st.one_of(st.dictionaries(st.sampled_from(["a", "b", "c"]), values, max_size=3),
                       st.lists(values, max_size=3), values)
failures = st.sampled_from([None, ValueError, RuntimeError, ZeroDivisionError, KeyError, IndexError, TypeError,
                            MemoryError, FloatingPointError])


def _array_like(p):
    if isinstance(p, dict):
        return list(p.values())
    return list(p) if isinstance(p, (list, tuple)) else [p]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(structures, failures, failures, st.integers(0, 5), st.sampled_from(["right", "wrong", "shape", "type"]))
def test_check_returns_a_report_or_raises_check_error(params, loss_fails, grad_fails, after, grad_kind):
    calls = {"loss": 0}

    def loss(p):
        calls["loss"] += 1
        if loss_fails and calls["loss"] > after:
            raise loss_fails("loss failed")
        return float(sum(np.sum(np.asarray(x, dtype=np.float64) ** 2) for x in _array_like(p)))

    def grad(p):
        if grad_fails:
            raise grad_fails("grad failed")
        if grad_kind == "type":
            return "not a gradient"
        scale = {"right": 2.0, "wrong": 3.0, "shape": 2.0}[grad_kind]
        out = [scale * np.asarray(x, dtype=np.float64) for x in _array_like(p)]
        if grad_kind == "shape":
            out = [np.append(x, 1.0) for x in out]
        if isinstance(p, dict):
            return dict(zip(p, out))
        return out if isinstance(p, (list, tuple)) else out[0]

    try:
        report = gradcheck.check(loss, grad, params)
    except CheckError as exc:
        assert str(exc)
    else:
        assert isinstance(report, gradcheck.Report) and len(report.results) >= 1
