"""Sweeps: one case per combination of settings, and a sentence on what the failing combinations share."""

import json
import textwrap

import pytest

from gradcheck import cases
from gradcheck.cases.results import RunReport, closing
from gradcheck.output.files import to_html, to_json, to_junit, to_markdown
from gradcheck.sweeps import combinations, label, summarize

CONV = '''
import numpy as np
import gradcheck

BUG = {bug!r}


def conv(x, W, b, stride, pad):
    """A naive 1-D convolution: out[n, f, i] = Σ_c,k xp[n, c, i·stride + k] W[f, c, k] + b[f]."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    n, _, length = xp.shape
    f, _, k = W.shape
    out = np.zeros((n, f, (length - k) // stride + 1))
    for i in range(out.shape[2]):
        out[:, :, i] = np.einsum("nck,fck->nf", xp[:, :, i * stride:i * stride + k], W) + b
    return out


def conv_backward(dout, x, W, stride, pad):
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    k = W.shape[2]
    dW, dxp = np.zeros_like(W), np.zeros_like(xp)
    for i in range(dout.shape[2]):
        start = i if BUG == "stride" else i * stride  # the stride bug: right for stride 1 only
        dW += np.einsum("nf,nck->fck", dout[:, :, i], xp[:, :, start:start + k])
        dxp[:, :, start:start + k] += np.einsum("nf,fck->nck", dout[:, :, i], W)
    dx = dxp[:, :, 1:-1] if BUG == "pad" else dxp[:, :, pad:dxp.shape[2] - pad]  # right for pad 1 only
    d = dout.squeeze() if BUG == "batch" else dout  # squeeze drops the batch axis when it is 1
    db = d.sum(axis=0).sum(axis=-1) if d.ndim == 3 else d.sum(axis=0)
    return dx, dW, db


@gradcheck.case(expect={expect!r}, sweep={{"stride": [1, 2], "pad": [0, 1, 2], "batch": [1, 2, 3]}})
def conv1d(stride, pad, batch):
    rng = np.random.default_rng([stride, pad, batch])
    params = {{"x": rng.normal(size=(batch, 2, 7)), "W": rng.normal(size=(3, 2, 3)), "b": rng.normal(size=3)}}
    upstream = rng.normal(size=conv(params["x"], params["W"], params["b"], stride, pad).shape)

    def loss(p):
        return float(np.sum(conv(p["x"], p["W"], p["b"], stride, pad) * upstream))

    def grad(p):
        dx, dW, db = conv_backward(upstream, p["x"], p["W"], stride, pad)
        return {{"x": dx, "W": dW, "b": db}}

    return gradcheck.Problem(loss, grad, params)
'''


def run(tmp_path, bug, expect="fail"):
    (tmp_path / "conv_case.py").write_text(textwrap.dedent(CONV.format(bug=bug, expect=expect)))
    found, errors = cases.discover([tmp_path])
    return RunReport(tuple(cases.run_case(c) for c in found) + tuple(errors))


@pytest.mark.parametrize("bug, shared, failing", [
    ("stride", "fails exactly when stride = 2", 9),
    ("pad", "fails exactly when pad ≠ 1", 12),
    ("batch", "fails exactly when batch = 1", 6),
])
def test_a_setting_dependent_bug_is_named_by_the_setting(tmp_path, bug, shared, failing):
    report = run(tmp_path, bug)
    (sweep,) = report.sweeps
    assert sweep.shared == shared
    assert sweep.combinations == 18 and len(sweep.failing) == failing
    failed = {c.name for c in report.cases if c.status == "fail"}
    assert set(sweep.failing) == failed  # every failing combination is listed
    assert sweep.failing[0] == {"stride": "conv1d[stride=2,pad=0,batch=1]", "pad": "conv1d[stride=1,pad=0,batch=1]",
                                "batch": "conv1d[stride=1,pad=0,batch=1]"}[bug]  # the smallest first


def test_a_correct_layer_passes_every_combination(tmp_path):
    report = run(tmp_path, None, expect="pass")
    assert report.ok and len(report.cases) == 18
    assert [s.line() for s in report.sweeps] == ["conv1d: passes every combination (18)"]


def test_every_renderer_says_what_the_failing_combinations_share(tmp_path):
    report = run(tmp_path, "stride")
    line = report.sweeps[0].line()
    assert line.startswith("conv1d: fails exactly when stride = 2 (9 of 18 combinations fail; the smallest first: "
                           "conv1d[stride=2,pad=0,batch=1], conv1d[stride=2,pad=0,batch=2]")
    assert closing(report)[:2] == ["SWEEPS:", f"  {line}"]
    data = json.loads(to_json(report))
    assert data["sweeps"][0]["shared"] == "fails exactly when stride = 2"
    assert data["cases"][0]["sweep"] == {"stride": 1, "pad": 0, "batch": 1}
    assert data["summary"]["cases"] == 18
    assert f"- sweep: {line}" in to_markdown(report)
    assert 'name="sweep conv1d"' in to_junit(report)
    assert '<ul class="sweeps"><li>conv1d: fails exactly when stride = 2' in to_html(report)


def test_combinations_vary_the_last_setting_fastest_and_seeds_add_a_seed():
    assert combinations({"a": [1, 2], "b": ["x", "y"]}, None) == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]
    assert combinations(None, 3) == [{"seed": 0}, {"seed": 1}, {"seed": 2}]
    assert combinations(None, None) == [{}]
    assert label("conv", {"stride": 2, "pad": 0}) == "conv[stride=2,pad=0]"


def test_two_settings_together_are_found_when_one_does_not_explain():
    runs = [({"a": a, "b": b}, f"c[a={a},b={b}]", a == 2 and b == 1) for a in (1, 2) for b in (0, 1)]
    assert summarize("c", runs).shared == "fails exactly when a = 2 and b = 1"


def test_a_bad_sweep_is_refused_with_what_was_expected():
    with pytest.raises(ValueError, match="expected a dict of setting names to non-empty lists of values"):
        cases.case(sweep={"stride": []})
    with pytest.raises(ValueError, match="seeds is 0; expected a whole number of points to draw, at least 1"):
        cases.case(seeds=0)
