"""The plan: which mode, method and workers a check runs with, and the reason it gives, without running a loss."""

import pytest

from gradcheck import CheckError
from gradcheck.numerics.plan import PARALLEL_SECONDS, make_plan
from gradcheck.options import CheckOptions


def test_auto_runs_a_full_check_that_fits_the_budget():
    plan = make_plan(CheckOptions(), entries=100, seconds=1e-3)
    assert (plan.mode, plan.method, plan.workers) == ("full", "central", 1)
    assert plan.reason == ("auto: every entry; a full check is estimated at 0.2 s (200 loss evaluations of 1 ms), "
                           "within the budget of 5 s")


def test_auto_probes_when_a_full_check_would_exceed_the_budget():
    plan = make_plan(CheckOptions(probes=4), entries=10_000, seconds=1e-3)
    assert plan.mode == "probe" and plan.workers == 1
    assert plan.reason.startswith("auto: 4 probe directions per tensor; a full check is estimated at 20 s")
    assert plan.reason.endswith("over the budget of 5 s")


def test_a_time_limit_tighter_than_the_budget_decides_auto():
    assert make_plan(CheckOptions(), entries=1000, seconds=1e-3, time_limit=1.0).mode == "probe"


def test_a_full_check_that_cannot_finish_in_time_is_refused_up_front():
    with pytest.raises(CheckError, match=r"over the time limit of 1 s; use mode='probe'"):
        make_plan(CheckOptions(mode="full"), entries=1000, seconds=1e-3, time_limit=1.0)


def test_probe_mode_measures_by_central_differences_and_says_so_for_another_method():
    plan = make_plan(CheckOptions(mode="probe", method="richardson"), entries=10, seconds=1e-3)
    assert plan.method == "central"
    assert plan.notes == ("probe mode measures slopes by central differences with Richardson; method 'richardson' "
                          "applies to full checks",)


def test_a_long_full_check_uses_every_core_unless_workers_are_given(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 6)
    entries = int(PARALLEL_SECONDS / 2e-3) + 1
    assert make_plan(CheckOptions(mode="full"), entries=entries, seconds=1e-3).workers == 6
    assert make_plan(CheckOptions(mode="full", workers=2), entries=entries, seconds=1e-3).workers == 2


@pytest.mark.parametrize("method, analytic, used, notes", [
    ("auto", True, "complex-step", ("auto: the loss is complex-analytic, complex-step used",)),
    ("auto", False, "central", ("auto: the loss is not complex-analytic, central differences used",)),
    ("complex-step", True, "complex-step", ()),
])
def test_the_method_is_settled_once_the_loss_is_known(method, analytic, used, notes):
    plan = make_plan(CheckOptions(method=method), entries=10, seconds=1e-3)
    assert plan.tries_complex_step
    settled = plan.settled(complex_analytic=analytic)
    assert (settled.method, settled.notes, settled.tries_complex_step) == (used, notes, False)


def test_the_complex_step_on_a_real_only_loss_is_refused():
    with pytest.raises(CheckError, match="method 'complex-step' needs a loss that accepts complex parameters"):
        make_plan(CheckOptions(method="complex-step"), entries=10, seconds=1e-3).settled(complex_analytic=False)


def test_central_and_richardson_need_no_settling():
    plan = make_plan(CheckOptions(method="richardson"), entries=10, seconds=1e-3)
    assert not plan.tries_complex_step and plan.settled(complex_analytic=False) is plan
