"""Following the forward's intermediates into the backward: the line where the error enters, never a right one."""

import functools
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

import gradcheck

DATA = Path(__file__).parent / "data" / "traced"


def net(name, bug):
    spec = importlib.util.spec_from_file_location(f"traced_{name}_{bug}", DATA / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.BUG = bug
    return module


def line_of(name, text):
    lines = (DATA / f"{name}.py").read_text().splitlines()
    return next(i + 1 for i, line in enumerate(lines) if text in line)


def test_the_wrong_activation_derivative_is_named_at_its_line():
    m = net("shared_forward", True)
    report = gradcheck.check(m.loss, m.grad, m.PARAMS)
    wrong = line_of("shared_forward", "dz1 = dh1 * (1 - z1 ** 2)")
    assert report.trace.sentence.startswith(f"dh1 (line {wrong - 1}: dh1 = dscores @ p[\"W2\"].T) is right; dz1 "
                                            f"(line {wrong}: ")
    assert report.trace.sentence.endswith(f"is wrong: the error enters at line {wrong}")
    assert [(r.variable, r.verdict) for r in report.trace.rows] == [("dscores", "right"), ("dh1", "right"),
                                                                   ("dz1", "wrong")]


def test_the_softmax_indexing_slip_is_placed_before_the_first_right_line():
    m = net("softmax_inline", True)
    report = gradcheck.check(m.loss, m.grad, m.PARAMS)
    (row,) = report.trace.rows
    assert (row.variable, row.paired_with, row.verdict) == ("dscores", "scores (line 13)", "wrong")
    bound, slip, mean = (line_of("softmax_inline", text) for text in (
        "dscores = probs.copy()", "dscores[:, y] -= 1", "dscores /= len(X)"))
    assert report.trace.sentence == (f"dscores (line {bound}: dscores = probs.copy()) is wrong; it is the first paired "
                                     "intermediate the backward computes: the error enters at line "
                                     f"{bound}, or in the lines that change dscores in place after it ({slip}, {mean})")


def test_a_wrong_step_in_a_time_loop_is_placed_in_the_lines_of_the_loop_body():
    m = net("rnn_loop", True)
    report = gradcheck.check(m.loss, m.grad, m.PARAMS)
    alias, body, wrong = (line_of("rnn_loop", text) for text in ("dh = dh_next", "da = dh *", "dh_next = da @"))
    assert [(r.variable, r.verdict) for r in report.trace.rows] == [
        ("dh (1st of 4)", "right"), ("dh (2nd of 4)", "wrong"), ("dh (3rd of 4)", "wrong"), ("dh (4th of 4)", "wrong")]
    assert report.trace.sentence.endswith(f"the error enters in lines {alias}, {body} or {wrong}")


def test_a_dropped_batchnorm_term_is_named_at_its_line_through_check_layer():
    m = net("batchnorm_layer", True)
    report = gradcheck.check_layer(m.batchnorm_forward, m.batchnorm_backward, m.X, m.GAMMA, m.BETA)
    wrong = line_of("batchnorm_layer", "dxmu = dxhat / std")
    assert report.trace.sentence.startswith(f"dvar (line {wrong - 1}: dvar = dstd / (2 * std)) is right; dxmu (line "
                                            f"{wrong}: ")
    assert report.trace.sentence.endswith(f"is wrong: the error enters at line {wrong}")
    rows = {r.variable: r for r in report.trace.rows}
    assert rows["dbeta"].paired_with == f"beta (line {line_of('batchnorm_layer', 'def batchnorm_forward')})"
    assert not any(r.verdict == "wrong" and r.line < wrong for r in report.trace.rows)


@pytest.mark.parametrize("name", ["shared_forward", "softmax_inline", "rnn_loop"])
def test_a_correct_net_is_not_traced_by_default_and_every_intermediate_is_right_when_asked(name):
    m = net(name, False)
    assert gradcheck.check(m.loss, m.grad, m.PARAMS).trace is None
    report = gradcheck.check(m.loss, m.grad, m.PARAMS, trace=True)
    assert report.trace.rows and all(r.verdict == "right" for r in report.trace.rows)
    assert report.trace.sentence == "every paired intermediate of the backward is right"


def test_the_trace_is_in_the_text_the_json_and_the_html():
    m = net("shared_forward", True)
    report = gradcheck.check(m.loss, m.grad, m.PARAMS)
    assert f"trace: {report.trace.sentence}" in str(report)
    assert json.loads(json.dumps(report.to_dict()))["trace"]["rows"][2]["verdict"] == "wrong"
    assert '<table class="trace">' in report._repr_html_()
    from gradcheck.output import terminal
    con = terminal.console(color=False, width=400)
    with con.capture() as captured:
        con.print(terminal.report(report))
    assert f"trace: {report.trace.sentence}" in captured.get()


def test_functions_that_cannot_be_followed_are_said_to_be_not_traced():
    x0 = np.arange(3.0)
    for loss in (functools.partial(np.vdot, x0), lambda p: np.vdot(x0, p)):  # a C function, a lambda around one
        report = gradcheck.check(loss, lambda p: 2 * x0, np.ones(3), trace=True)
        assert report.trace.traced is False
        assert report.trace.sentence.startswith("not traced: the loss or the gradient runs no Python code of yours")


def test_the_users_arrays_are_unchanged_by_tracing():
    m = net("shared_forward", True)
    before = {k: v.copy() for k, v in m.PARAMS.items()}
    gradcheck.check(m.loss, m.grad, m.PARAMS, trace=True)
    assert all((m.PARAMS[k] == before[k]).all() for k in before)


def test_a_dropped_relu_mask_in_a_model_is_named_at_its_line():
    m = net("two_layer_model", True)
    rng = np.random.default_rng(0)
    report = gradcheck.check_model(m.TwoLayerNet(), rng.normal(size=(6, 3)), rng.integers(3, size=6))
    wrong = line_of("two_layer_model", "dz1 = dh1 if BUG")
    assert report.trace.sentence.startswith(f"dh1 (line {wrong - 1}: dh1 = dscores @ W2.T) is right; dz1 (line {wrong}")
    assert report.trace.sentence.endswith(f"is wrong: the error enters at line {wrong}")


def test_a_dropped_dropout_mask_is_named_at_its_line():
    m = net("dropout_net", True)
    report = gradcheck.check(m.loss, m.grad, m.PARAMS)
    wrong = line_of("dropout_net", "dh = dhd if BUG")
    assert report.trace.sentence.endswith(f"is wrong: the error enters at line {wrong}")
    assert [(r.variable, r.verdict) for r in report.trace.rows][:3] == [("dscores", "right"), ("dhd", "right"),
                                                                       ("dh", "wrong")]


def test_a_missing_accumulation_in_a_time_loop_is_placed_in_a_few_lines_that_hold_it():
    m = net("rnn_sum", True)
    report = gradcheck.check(m.loss, m.grad, m.PARAMS)
    wrong = line_of("rnn_sum", "dh = (hs[t + 1]")
    lines = [int(x) for x in report.trace.sentence.rsplit("in lines ", 1)[1].replace(" or", ",").split(", ")]
    assert wrong in lines and len(lines) <= 5


@pytest.mark.parametrize("name", ["dropout_net", "rnn_sum", "batchnorm_layer", "two_layer_model"])
def test_no_right_line_is_named_on_the_other_nets_when_they_are_correct(name):
    m = net(name, False)
    if name == "batchnorm_layer":
        report = gradcheck.check_layer(m.batchnorm_forward, m.batchnorm_backward, m.X, m.GAMMA, m.BETA, trace=True)
    elif name == "two_layer_model":
        rng = np.random.default_rng(0)
        report = gradcheck.check_model(m.TwoLayerNet(), rng.normal(size=(6, 3)), rng.integers(3, size=6), trace=True)
    else:
        report = gradcheck.check(m.loss, m.grad, m.PARAMS, trace=True)
    assert report.ok and report.trace.rows
    assert all(r.verdict == "right" for r in report.trace.rows if r.verdict != "unpaired")


def test_a_gradient_formed_wrongly_from_right_intermediates_is_placed_after_the_last_of_them(tmp_path):
    source = (DATA / "shared_forward.py").read_text().replace(
        '    dW1 = X.T @ dz1\n    return {"W1": dW1, "W2": dW2}',
        '    return {"W1": 2 * X.T @ dz1,\n            "W2": dW2}')
    (tmp_path / "formed.py").write_text(source)
    spec = importlib.util.spec_from_file_location("traced_formed", tmp_path / "formed.py")
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    report = gradcheck.check(m.loss, m.grad, m.PARAMS)
    last = source.splitlines().index("    dz1 = dh1 * (1 - z1 ** 2) if BUG else dh1 * (1 - h1 ** 2)  "
                                     "# the bug: the derivative on z1, not h1") + 1
    assert report.trace.sentence.endswith(f"the error enters after it, in lines {last + 1}–{last + 2}, where the "
                                          "gradients are formed from them")


def test_tracing_that_would_take_too_long_in_auto_mode_says_so_instead():
    from gradcheck.numerics.params import as_params
    from gradcheck.tracing import follow

    m = net("shared_forward", True)
    trace = follow(m.loss, m.grad, as_params(m.PARAMS), budget=0.0)
    assert trace.traced is False
    assert trace.sentence.startswith("not traced: following the 3 paired intermediates line by line would take about")
    assert trace.sentence.endswith("trace=True runs it anyway")
