"""Probe mode and workers: the same verdicts, kinds and located entries as a full check, at a fixed cost."""

import numpy as np
import pytest

import gradcheck
from gradcheck.reference import BUGS, SYSTEMS, reference
from tests.test_reference import EXPECTED


def run(net, **options):
    return gradcheck.check(net.loss, net.grad, net.params, batch_size=net.batch_size, **options)


@pytest.mark.parametrize("system", sorted(SYSTEMS))
def test_correct_systems_pass_in_probe_mode(system):
    report = run(reference(system), mode="probe")
    assert report.ok and report.mode == "probe", str(report)


@pytest.mark.parametrize("bug", sorted(BUGS, key=lambda b: int(b[1:])))
def test_probe_mode_names_the_same_kinds_and_entries_as_a_full_check(bug):
    system, _ = EXPECTED[bug]
    full = run(reference(system, bug), mode="full")
    probed = run(reference(system, bug), mode="probe")
    assert [r.kind for r in probed] == [r.kind for r in full]
    for f, p in zip(full, probed):
        if f.kind == "wrong-values" and p.detail.get("located"):  # full mode lists the first five; probes, all
            assert p.detail["indices"][:len(f.detail["indices"])] == f.detail["indices"]


def tanh_net(rng, d=100, h=100, m=16):
    x, y = rng.normal(size=(m, d)), rng.normal(size=(m, 1))
    params = {"W1": rng.normal(size=(d, h)) / np.sqrt(d), "b1": np.zeros((1, h)),
              "W2": rng.normal(size=(h, 1)) / np.sqrt(h), "b2": np.zeros((1, 1))}

    def loss_and_grad(p):
        a = np.tanh(x @ p["W1"] + p["b1"])
        out = a @ p["W2"] + p["b2"]
        d_out = (out - y) / m
        dz = (d_out @ p["W2"].T) * (1 - a**2)
        grads = {"W1": x.T @ dz, "b1": dz.sum(0, keepdims=True), "W2": a.T @ d_out, "b2": d_out.sum(0, keepdims=True)}
        return 0.5 * np.mean((out - y) ** 2), grads

    return loss_and_grad, params


def test_a_single_wrong_entry_in_a_large_tensor_is_located_within_300_evaluations():
    lg, params = tanh_net(np.random.default_rng(0))

    def wrong(p):
        value, grads = lg(p)
        grads["W1"][37, 81] *= 1.01
        return value, grads

    report = gradcheck.check(wrong, None, params, mode="probe")
    w1 = report["W1"]
    assert (w1.kind, w1.detail["indices"], w1.detail["located"]) == ("wrong-values", [[37, 81]], True)
    assert w1.detail["locate_evaluations"] <= 300
    (entry,) = w1.detail["entries"]
    assert entry["index"] == [37, 81] and entry["analytic"] == pytest.approx(1.01 * entry["numerical"], rel=1e-6)
    assert "Max absolute difference of the slopes along 8 probe directions" in str(report)
    assert report.evaluations < 500 and [r.name for r in report.failed] == ["W1"]


def test_probe_cost_does_not_grow_with_the_parameter_count():
    evaluations = []
    for size in (10, 200):
        lg, params = tanh_net(np.random.default_rng(1), d=size, h=size)
        report = gradcheck.check(lg, None, params, mode="probe")
        assert report.ok
        evaluations.append(report.evaluations)
    assert evaluations[0] == evaluations[1]


def test_the_report_states_what_probe_mode_guarantees():
    lg, params = tanh_net(np.random.default_rng(2), d=10, h=10)
    report = gradcheck.check(lg, None, params, mode="probe", probes=6)
    assert report["W1"].detail["probes"] == 6 and report["W1"].detail["catches_error_norm"] > 0
    assert any(note.startswith("probe mode: each tensor was checked along 6 random Gaussian directions")
               for note in report.notes)
    assert "probe mode" in str(report).splitlines()[0]


def test_auto_checks_every_entry_within_the_budget_and_probes_beyond_it():
    lg, params = tanh_net(np.random.default_rng(3), d=10, h=10)
    within = gradcheck.check(lg, None, params)
    beyond = gradcheck.check(lg, None, params, budget=0.0)
    assert within.mode == "full" and within.mode_reason.startswith("auto: every entry")
    assert beyond.mode == "probe" and "over the budget of 0 s" in beyond.mode_reason


def test_workers_give_results_identical_to_a_sequential_check():
    lg, params = tanh_net(np.random.default_rng(4), d=30, h=30)

    def wrong(p):
        value, grads = lg(p)
        grads["W1"][3, 4] += 0.1
        return value, grads

    one = gradcheck.check(wrong, None, params, mode="full", workers=1)
    two = gradcheck.check(wrong, None, params, mode="full", workers=2)
    assert one.evaluations == two.evaluations
    for a, b in zip(one, two):
        assert (a.kind, a.mismatched) == (b.kind, b.mismatched)
        assert np.array_equal(a.numerical, b.numerical)


def test_unknown_mode_and_bad_probe_count_are_refused():
    with pytest.raises(gradcheck.CheckError, match="mode is 'fast'"):
        gradcheck.check(lambda p: float(p @ p), lambda p: 2 * p, np.ones(2), mode="fast")
    with pytest.raises(gradcheck.CheckError, match="probes is 0"):
        gradcheck.check(lambda p: float(p @ p), lambda p: 2 * p, np.ones(2), mode="probe", probes=0)


@pytest.mark.parametrize("k", [1, 5, 20])
def test_group_testing_lists_every_wrong_entry_within_2_k_log2_p_plus_100_evaluations(k):
    P = 100_000
    rng = np.random.default_rng(k)
    a, x0 = rng.uniform(1, 2, P), rng.normal(size=P)
    bad = rng.choice(P, size=k, replace=False)

    def grad(w):
        g = 2 * a * w
        g[bad] *= 1.5
        return g
    result = gradcheck.check(lambda w: float(np.dot(a, w * w)), grad, x0, mode="probe", seed=1)["param"]
    assert result.detail["located"] and sorted(i[0] for i in result.detail["indices"]) == sorted(bad.tolist())
    assert result.detail["locate_evaluations"] <= 2 * k * np.log2(P) + 100

