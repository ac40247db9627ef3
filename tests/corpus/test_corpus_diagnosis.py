"""The diagnosis of every corpus variant: each sentence true of the code, and the cause named for nine in ten."""

import re

import pytest

import gradcheck
from tests.corpus.nets import VARIANTS

# variant -> phrases its report must contain (they name the cause; an empty tuple: the report does not name it)
CAUSE = {
    "l2-gradient-2-lambda": ("analytic − numerical = 0.1 × W1 in every entry: the backward adds 0.1·W1",),
    "l2-forgotten-for-W1": ("analytic − numerical = -0.1 × W1 in every entry: the backward lacks 0.1·W1",
                            "λ = 0.1"),
    "l2-applied-to-bias": ("analytic − numerical = 0.1 × b1", "analytic − numerical = 0.1 × b2"),
    "l2-lambda-over-m-mismatch": ("analytic − numerical = 0.0833333 × W1",),
    "l1-gradient-wrong-sign": ("analytic − numerical = -0.2 × sign(W1)", "enters with the wrong sign"),
    "batchnorm-dx-drops-variance-term": ("back to the layer of W1", "a normalization's"),
    "batchnorm-dgamma-forgets-xhat": ("gamma's gradient is beta's", "gamma's formula lacks what sets it apart"),
    "batchnorm-dbeta-wrong-axis": ("gamma matches but beta does not", "beta's own formula"),
    "batchnorm-db1-from-bn-output": ("what follows cancels it (a bias followed by batch norm)",),
    "layernorm-backward-wrong-axis": ("back to the layer of W1", "a normalization's"),
    "layernorm-dgamma-forgets-xhat": ("gamma's gradient is beta's",),
    "layernorm-dgamma-uses-unnormalised-input": ("beta matches but gamma does not", "dgamma = Σ dout · x̂"),
    "dropout-backward-forgets-1-over-p": ("the factor 0.5 enters on the way back to W1", "inverted dropout's 1/p"),
    "dropout-backward-without-mask": ("back to the layer of W1", "a mask between them"),
    "dropout-unit-mask-forgotten": ("the backward sends gradient where the forward sent none",),
    "dropconnect-backward-forgets-weight-mask": ("the backward sends gradient where the forward sent none",),
    "dropout-fresh-mask-every-call": ("no verdict: the loss gives different values at the same point",
                                      "make the loss deterministic"),
    "ce-dscores-columns-not-rows": ("every parameter is wrong, b2 included", "the loss derivative (dL/dscores)"),
    "ce-missing-divide-by-m": ("every parameter is off by the same factor k = 6", "divide by it"),
    "ce-softmax-wrong-axis-in-backward": ("the loss derivative (dL/dscores)",),
    "ce-log-softmax-gradient-unnormalised-exp": ("the loss derivative (dL/dscores)",),
    "ce-error-written-onehot-minus-probs": ("analytic = −numerical",),
    "rnn-dWh-assigned-not-accumulated": ("b matches but Wh does not", "(`=` where `+=` is due)"),
    "rnn-dWh-assigned-zero-initial-state": ("no nonzero term reaches it", "`=` where `+=` is due"),
    "rnn-dh-carry-forgotten": ("Wy, by match; Wx, Wh, b do not", "a recurrent dh_next"),
    "lstm-forget-gate-tanh-derivative": ("block 2 of 4 equal blocks of 3", "look at the backward of gate 2"),
    "lstm-cell-path-missing-tanh-prime": (),  # the wrong gate blocks are named, not the missing tanh'(c)
    "lstm-gate-order-swapped-in-backward": ("the wrong entries hold the right values, at each other's indices",),
    "copy-paste-db2-is-db1": ("the gradients returned for 'b2' are b1's",),
    "copy-paste-dW2-is-dW1-transposed": ("W2's gradient is the transpose of W1's",),
    "copy-paste-same-gradient-for-two-weights": ("the gradients returned for 'W3' are W2's",),
    "transpose-dW-is-dZ-T-x": ("analytic = numericalᵀ",),
    "transpose-dx-uses-W-not-W-T": ("back to the layer of W1", "the product with W2ᵀ"),
    "transpose-weights-stored-out-by-in": ("analytic = numericalᵀ", "its transpose is right"),
    "broadcast-db-scalar-sum": ("a sum over every axis (as dZ.sum())",),
    "broadcast-db-sum-axis-1": ("W2 matches but b2 does not", "b2's own formula"),
    "broadcast-db-not-reduced": ("db = dZ.sum(axis=0)",),
    "relu-backward-ignores-dout": ("back to the layer of W1", "the activation derivative"),
    "tanh-derivative-1-minus-a": ("back to the layer of W1", "the activation derivative"),
    "tanh-derivative-applies-tanh-again": ("back to the layer of W1", "the activation derivative"),
    "sigmoid-derivative-from-z": ("back to the layer of W1", "the activation derivative"),
    "leaky-relu-backward-slope-wrong": ("back to the layer of W1", "the activation derivative"),
    "global-W2-read-in-forward": ("a global or a stale copy read instead of the parameter",),
    "global-stale-model-dict-W1": ("a global or a stale copy read instead of the parameter",),
    "global-cached-hidden-activations": ("a global or a stale copy read instead of the parameter",),
    "embedding-backward-assigns-repeated-rows": (),  # the rows are named, not `=` where `+=` is due
    "conv1d-backward-off-by-one": (),  # placed after the layer of V, not at the loop's bound
    "conv1d-backward-flipped-kernel": ("the wrong entries hold the right values, at each other's indices",),
    "maxpool-backward-routes-to-whole-window": ("back to the layer of W1", "a mask between them"),
    "x-of-layer-1-reused-in-layer-2": ("b2 matches but W2 does not", "not the input the forward pass used"),
}

# variant -> phrases that would be false of its code
FALSE = {
    "batchnorm-dbeta-wrong-axis": ("back to the layer of gamma",),
    "copy-paste-db2-is-db1": ("back to the layer of W2",),
    "broadcast-db-sum-axis-1": ("back to the layer of W2",),
    "broadcast-db-not-reduced": ("keepdims=True",),  # the bias is 1-D: keepdims would give it shape (1, n)
    "transpose-weights-stored-out-by-in": ("dW = xᵀ dZ, not dZᵀ x",),  # that is the bug for a weight used as x Wᵀ
    "embedding-backward-assigns-repeated-rows": ("concatenated gates",),
    "dropout-backward-forgets-1-over-p": ("the loss has no ½", "the loss carries ½"),
    "copy-paste-dW2-is-dW1-transposed": ("not the input the forward pass used",),
    "copy-paste-same-gradient-for-two-weights": ("not the input the forward pass used",),
}
NEVER = ("skips this parameter's layer", "never fills", "no known formula")


def text_of(report) -> str:
    return "\n".join([r.hint for r in report] + [report.diagnosis or "", str(report)])


@pytest.fixture(scope="module")
def reports():
    return {v.name: gradcheck.check(*v.build(True)) for v in VARIANTS}


def test_every_variant_has_its_expectations_written_down():
    assert set(CAUSE) == {v.name for v in VARIANTS}


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_the_report_names_the_cause_where_it_says_it_does(variant, reports):
    text = text_of(reports[variant.name])
    assert [p for p in CAUSE[variant.name] if p not in text] == []


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_no_sentence_is_false_of_the_code(variant, reports):
    text = text_of(reports[variant.name])
    assert [p for p in (*NEVER, *FALSE.get(variant.name, ())) if p in text] == []


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: v.name)
def test_every_parameter_said_to_match_matches_and_every_one_said_wrong_is(variant, reports):
    report = reports[variant.name]
    said = report.diagnosis or ""
    kinds = {r.name: str(r.kind) for r in report}
    matching = re.findall(r"(\w+) matches but (\w+) does not", said)
    listed = re.match(r"([\w, ]+) match; ([\w, ]+) do not", said)
    right = [m[0] for m in matching] + (listed.group(1).split(", ") if listed else [])
    wrong = [m[1] for m in matching] + (listed.group(2).split(", ") if listed else [])
    assert all(kinds[n] == "ok" for n in right) and all(kinds[n] not in ("ok", "inconclusive") for n in wrong)
    if said.startswith("every parameter"):
        assert all(k not in ("ok", "inconclusive") for k in kinds.values())


def test_the_cause_is_named_for_nine_variants_in_ten():
    named = [name for name, phrases in CAUSE.items() if phrases]
    assert len(named) >= 0.9 * len(CAUSE) and len(CAUSE) >= 40


@pytest.mark.parametrize("variant", [v for v in VARIANTS if v.truth.get("hypothesis") in
                                     ("proportional-to-param", "masked", "wrong-indices", "copy-of-other")],
                         ids=lambda v: v.name)
def test_json_carries_the_hypothesis_that_fitted(variant, reports):
    report = reports[variant.name]
    fitted = {r.detail.get("hypothesis") for r in report if not r.ok}
    expected = variant.truth["hypothesis"]
    if expected == "masked" and variant.truth.get("mask_on") == "activations":
        pytest.skip("a mask on activations mixes dropped and kept paths in every entry: no entry signature")
    assert expected in fitted
    if expected == "proportional-to-param":
        assert all("coefficient" in r.to_dict()["detail"] for r in report if not r.ok)
