"""Reference networks: each system is correct, each documented bug is caught with the kinds it shows."""

import numpy as np
import pytest

import gradcheck
from gradcheck.reference import BUGS, SYSTEMS, reference

EXPECTED = {
    "B1": ("S1", {"W1": "wrong-values", "b1": "wrong-values", "W2": "wrong-values", "b2": "wrong-values"}),
    "B2": ("S1", {"W1": "ok", "b1": "not-reduced-over-batch", "W2": "ok", "b2": "not-reduced-over-batch"}),
    "B3": ("S1", {"W1": "disconnected", "b1": "disconnected", "W2": "wrong-values", "b2": "ok"}),
    "B4": ("S1", {"W1": "wrong-values", "b1": "wrong-values", "W2": "ok", "b2": "ok"}),
    "B5": ("S1", {"W1": "wrong-values", "b1": "wrong-values", "W2": "ok", "b2": "ok"}),
    "B6": ("S2", {"W1": "shape-mismatch", "W2": "wrong-values"}),
    "B7": ("S2", {"W1": "sign-flipped", "W2": "sign-flipped"}),
    "B8": ("S3-loop", {"w": "scaled", "b": "scaled"}),
    "B9": ("S3", {"w": "ok", "b": "not-reduced-over-batch"}),
    "B10": ("S3", {"w": "shape-mismatch", "b": "not-reduced-over-batch"}),
    "B11": ("S5", {"W_hidden": "wrong-values", "W_out": "wrong-values"}),
    "B12": ("S5", {"W_hidden": "wrong-values", "W_out": "ok"}),
    "B13": ("S5", {"W_hidden": "ok", "W_out": "wrong-values"}),
}


def run(net):
    return gradcheck.check(net.loss, net.grad, net.params, batch_size=net.batch_size)


@pytest.mark.parametrize("system", sorted(SYSTEMS))
def test_every_system_is_correct(system):
    report = run(reference(system))
    assert report.ok, str(report)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("system", ["S1", "S3", "S5-xor"])
def test_systems_are_correct_at_other_points(system, seed):
    assert run(reference(system, seed=seed)).ok


def test_every_documented_bug_has_an_expectation():
    assert sorted(BUGS) == sorted(EXPECTED)


@pytest.mark.parametrize("bug", sorted(EXPECTED, key=lambda b: int(b[1:])))
def test_each_bug_shows_its_documented_kinds(bug):
    system, kinds = EXPECTED[bug]
    report = run(reference(system, bug))
    assert {r.name: r.kind for r in report} == kinds, str(report)


def test_b8_names_the_batch_size_as_the_scale():
    report = run(reference("S3-loop", "B8", m=6))
    assert report["w"].detail["k"] == pytest.approx(6.0)
    assert "k = m = 6, the batch size" in report["w"].hint


@pytest.mark.parametrize("bug, name, entry", [("B12", "W_hidden", [1, 2]), ("B13", "W_out", [0, 2])])
def test_single_wrong_entries_are_located_by_index(bug, name, entry):
    report = run(reference("S5", bug))
    assert report[name].detail["indices"] == [entry] and report[name].mismatched == 1


@pytest.mark.parametrize("bug", ["B4", "B5"])
def test_b4_and_b5_are_placed_between_layer_2_and_layer_1(bug):
    report = run(reference("S1", bug))
    assert report.diagnosis.startswith("W2, b2 match; W1, b1 do not: the mistake lies in the backward step that "
                                       "carries the error from the layer of W2 back to the layer of W1")


def test_b2_bias_gradient_sums_to_the_right_value():
    net = reference("S1", "B2")
    right = reference("S1").grad(net.params)
    assert np.allclose(net.grad(net.params)["b1"].sum(axis=0, keepdims=True), right["b1"])


def test_unknown_bug_for_a_system_is_refused():
    with pytest.raises(ValueError, match=r"S2 has no bug 'B1'; its documented bugs are \['B6', 'B7'\]"):
        reference("S2", "B1")


def test_each_bug_has_a_one_line_description():
    assert all(len(text.splitlines()) == 1 and text for _, text in BUGS.values())


def test_b8_is_the_same_mistake_in_the_column_layout():
    net = reference("S3", "B8", m=6)
    report = run(net)
    assert [r.kind for r in report] == ["scaled", "scaled"] and report["b"].detail["k"] == pytest.approx(6.0)


@pytest.mark.parametrize("system, bug", [("S3-loop", "B9"), ("S3-loop", "B10"), ("S5-xor", "B11")])
def test_bugs_that_a_form_cannot_have_are_refused(system, bug):
    with pytest.raises(ValueError, match=f"{system} has no bug '{bug}'"):
        reference(system, bug)


def test_b3_needs_as_many_inputs_as_hidden_units():
    with pytest.raises(ValueError, match="it needs d == n1"):
        reference("S1", "B3", d=4)
