"""The corpus's ground truth: each correct net passes, each buggy one fails in exactly the parameters its bug breaks."""

from __future__ import annotations

import inspect
import re

import numpy as np
import pytest

import gradcheck

from . import nets
from .nets import CATEGORIES, HYPOTHESES, VARIANTS, Variant

# Variants where gradcheck's verdict disagrees with a ground truth checked by hand: name -> reason (strict xfail).
XFAIL: dict[str, str] = {}

_REPORTS: dict[tuple[str, bool], gradcheck.Report] = {}


def report_of(variant: Variant, buggy: bool) -> gradcheck.Report:
    """gradcheck's report on the variant's buggy (or correct) network, computed once per run."""
    key = (variant.name, buggy)
    if key not in _REPORTS:
        loss, grad, params = variant.build(buggy)
        _REPORTS[key] = gradcheck.check(loss, grad, params)
    return _REPORTS[key]


def grads_of(variant: Variant, buggy: bool) -> tuple[dict, dict]:
    """The analytic gradients the (buggy or correct) network returns at its point, and the point."""
    loss, grad, params = variant.build(buggy)
    grads = loss(params)[1] if grad is None else grad(params)
    return {k: np.asarray(g, dtype=np.float64) for k, g in grads.items()}, params


def plain_finite_difference(loss, grad, params: dict, h: float = 1e-6) -> dict:
    """Central differences entry by entry, independent of gradcheck: the true gradient of the loss at params."""
    value = (lambda p: loss(p)[0]) if grad is None else loss
    numerical = {}
    for name, theta in params.items():
        g = np.zeros_like(theta)
        for i in np.ndindex(theta.shape):
            up = {k: v.copy() for k, v in params.items()}
            down = {k: v.copy() for k, v in params.items()}
            up[name][i] += h
            down[name][i] -= h
            g[i] = (value(up) - value(down)) / (2 * h)
        numerical[name] = g
    return numerical


def params_of(truth: dict) -> list[str]:
    names = truth["param"]
    return [names] if isinstance(names, str) else list(names)


def with_truth(*hypotheses: str) -> list[Variant]:
    return [v for v in VARIANTS if v.truth["hypothesis"] in hypotheses]


def cases(variants: list[Variant], xfail: bool = False) -> list:
    marks = lambda v: [pytest.mark.xfail(reason=XFAIL[v.name], strict=True)] if xfail and v.name in XFAIL else []  # noqa: E731
    return [pytest.param(v, id=v.name, marks=marks(v)) for v in variants]


@pytest.mark.parametrize("variant", cases(VARIANTS))
def test_the_correct_network_passes(variant: Variant) -> None:
    report = report_of(variant, buggy=False)
    assert report.ok, str(report)
    assert not report.failed, str(report)


@pytest.mark.parametrize("variant", cases(VARIANTS, xfail=True))
def test_the_buggy_network_fails_in_exactly_the_parameters_its_bug_makes_wrong(variant: Variant) -> None:
    report = report_of(variant, buggy=True)
    if variant.truth["hypothesis"] == "noisy-loss":
        assert not report.ok or any(r.kind == "noisy-loss" for r in report), str(report)
        return
    assert {r.name for r in report.failed} == set(variant.wrong), str(report)


@pytest.mark.parametrize("variant", cases([v for v in VARIANTS if v.truth["hypothesis"] != "noisy-loss"]))
def test_the_wrong_parameters_are_the_ones_a_plain_finite_difference_disagrees_with(variant: Variant) -> None:
    loss, grad, params = variant.build(True)
    grads = loss(params)[1] if grad is None else grad(params)
    numerical = plain_finite_difference(loss, grad, params)
    disagree = set()
    for name, n in numerical.items():
        a = np.asarray(grads[name], dtype=np.float64)
        if a.shape != n.shape or np.max(np.abs(a - n)) > 1e-6 * max(1.0, float(np.max(np.abs(n)))):
            disagree.add(name)
    assert disagree == set(variant.wrong)


@pytest.mark.parametrize("variant", cases(with_truth("proportional-to-param")))
def test_a_residual_proportional_to_the_parameter_is_the_coefficient_times_the_parameter(variant: Variant) -> None:
    buggy, params = grads_of(variant, buggy=True)
    right, _ = grads_of(variant, buggy=False)
    c = variant.truth["coefficient"]
    for name in params_of(variant.truth):
        np.testing.assert_allclose(buggy[name] - right[name], c * params[name], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("variant", cases(with_truth("scaled", "sign-flipped")))
def test_a_scaled_or_sign_flipped_gradient_is_the_coefficient_times_the_correct_one(variant: Variant) -> None:
    buggy, _ = grads_of(variant, buggy=True)
    right, _ = grads_of(variant, buggy=False)
    k = variant.truth.get("coefficient", -1.0 if variant.truth["hypothesis"] == "sign-flipped" else None)
    for name in variant.wrong:
        np.testing.assert_allclose(buggy[name], k * right[name], rtol=1e-9, atol=1e-12)
    for name in set(right) - variant.wrong:
        np.testing.assert_allclose(buggy[name], right[name], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("variant", cases(with_truth("copy-of-other")))
def test_a_copied_gradient_is_the_correct_gradient_of_its_source(variant: Variant) -> None:
    buggy, _ = grads_of(variant, buggy=True)
    right, _ = grads_of(variant, buggy=False)
    (name,) = variant.wrong
    source = right[variant.truth["source"]]
    np.testing.assert_allclose(buggy[name], source.T if variant.truth.get("transposed") else source, rtol=1e-9)


@pytest.mark.parametrize("variant", cases(with_truth("wrong-indices")))
def test_wrongly_indexed_values_are_the_correct_values_rearranged(variant: Variant) -> None:
    buggy, _ = grads_of(variant, buggy=True)
    right, _ = grads_of(variant, buggy=False)
    for name in variant.wrong:
        np.testing.assert_allclose(np.sort(buggy[name], axis=None), np.sort(right[name], axis=None), rtol=1e-9)
        assert not np.allclose(buggy[name], right[name])


@pytest.mark.parametrize("variant", cases(with_truth("local")))
def test_a_local_mistake_is_confined_to_the_columns_it_names(variant: Variant) -> None:
    buggy, _ = grads_of(variant, buggy=True)
    right, _ = grads_of(variant, buggy=False)
    columns = variant.truth["columns"]
    for name in variant.wrong:
        differs = ~np.isclose(buggy[name], right[name], rtol=1e-9, atol=1e-12)
        differs = differs.reshape(-1, differs.shape[-1]).any(axis=0)
        assert np.flatnonzero(differs).tolist() == columns


@pytest.mark.parametrize("variant", cases(with_truth("masked")))
def test_a_masked_residual_lies_where_the_loss_ignores_the_entry_when_the_mask_is_on_entries(variant: Variant) -> None:
    loss, grad, params = variant.build(True)
    grads = loss(params)[1]
    numerical = plain_finite_difference(loss, grad, params)
    for name in variant.wrong:
        wrong = ~np.isclose(grads[name], numerical[name], rtol=1e-5, atol=1e-7)
        ignored = np.abs(numerical[name]) < 1e-9
        assert wrong.any()
        assert (variant.truth["mask_on"] == "entries") == bool(np.all(wrong == ignored))


@pytest.mark.parametrize("variant", cases(with_truth("zero-gradient", "disconnected")))
def test_a_zero_or_disconnected_truth_is_zero_on_the_side_it_names(variant: Variant) -> None:
    loss, grad, params = variant.build(True)
    grads = loss(params)[1]
    numerical = plain_finite_difference(loss, grad, params)
    for name in variant.wrong:
        side = grads[name] if variant.truth["hypothesis"] == "zero-gradient" else numerical[name]
        assert np.all(np.abs(side) < 1e-9)


@pytest.mark.parametrize("variant", cases(VARIANTS))
def test_the_wrong_line_is_written_in_the_corpus(variant: Variant) -> None:
    source = inspect.getsource(nets)
    assert variant.truth["line"] in source


def test_the_corpus_has_at_least_45_variants() -> None:
    assert len(VARIANTS) >= 45


def test_every_category_has_at_least_two_variants_and_no_other_category_is_used() -> None:
    counts = {c: sum(v.category == c for v in VARIANTS) for c in CATEGORIES}
    assert all(n >= 2 for n in counts.values()), counts
    assert {v.category for v in VARIANTS} == set(CATEGORIES)


def test_variant_names_are_unique_slugs() -> None:
    names = [v.name for v in VARIANTS]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-zA-Z0-9]+)*", n) for n in names)


def test_every_truth_names_a_known_hypothesis_and_wrong_parameters_that_exist() -> None:
    for v in VARIANTS:
        assert v.truth["hypothesis"] in HYPOTHESES, v.name
        assert v.wrong and v.wrong <= set(v.build(True)[2]), v.name
        assert v.mistake.endswith(".") and v.fix.endswith("."), v.name
