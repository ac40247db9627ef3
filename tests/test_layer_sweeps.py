"""check_layer with a builder: default sizes that catch the usual slips, sweeps, and what the failing ones share."""

import numpy as np
import pytest

import gradcheck
from gradcheck.sweeps import default_sizes


def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache, bug=None):
    x, w = cache
    db = dout if bug == "bias" else dout.sum(axis=0, keepdims=True)  # the bias bug: right for batch 1 only
    dw = dout.T @ x if bug == "transpose" else x.T @ dout
    return dout @ w.T, dw, db


def build(batch, inputs, outputs, seed):
    rng = np.random.default_rng([seed, batch, inputs, outputs])
    return rng.normal(size=(batch, inputs)), rng.normal(size=(inputs, outputs)), rng.normal(size=(1, outputs))


def test_default_sizes_are_distinct_odd_even_and_one_on_each_axis():
    assert default_sizes(["n", "d"]) == [{"n": 2, "d": 3}, {"n": 3, "d": 5}, {"n": 2, "d": 4}, {"n": 1, "d": 3},
                                         {"n": 2, "d": 1}]
    assert default_sizes([]) == [{}]


def test_a_correct_layer_passes_every_default_size():
    report = gradcheck.check_layer(affine_forward, affine_backward, build=build)
    assert report.ok
    assert report.diagnosis == "affine_forward: passes every combination (6)"
    assert report.results[0].name == "x [batch=2,inputs=3,outputs=4]"


def test_a_bias_right_only_for_batch_1_is_found_by_the_default_sizes():
    report = gradcheck.check_layer(affine_forward, lambda d, c: affine_backward(d, c, "bias"), build=build)
    assert report.diagnosis.startswith("affine_forward: fails exactly when batch ≠ 1 (5 of 6 combinations fail; "
                                       "the smallest first: [batch=2,inputs=3,outputs=1], ")
    assert {r.name.split()[0] for r in report.failed} == {"b"}


def test_a_transposed_weight_gradient_is_caught_at_distinct_sizes():
    report = gradcheck.check_layer(affine_forward, lambda d, c: affine_backward(d, c, "transpose"), build=build)
    assert report.diagnosis.startswith("affine_forward: fails for every combination")
    assert {str(r.kind) for r in report.failed} <= {"transposed", "shape-mismatch"}


def test_a_sweep_goes_with_the_default_sizes_of_the_other_parameters():
    report = gradcheck.check_layer(affine_forward, lambda d, c: affine_backward(d, c, "bias"), build=build,
                                   sweep={"batch": [1, 8]})
    assert report.diagnosis.startswith("affine_forward: fails exactly when batch = 8 (5 of 10 combinations fail")


def test_a_sweep_needs_a_builder_and_names_its_parameters():
    with pytest.raises(gradcheck.CheckError, match="sweep= needs build="):
        gradcheck.check_layer(affine_forward, affine_backward, sweep={"batch": [1]})
    with pytest.raises(gradcheck.CheckError, match=r"sweep names \['stride'\], which build does not take"):
        gradcheck.check_layer(affine_forward, affine_backward, build=build, sweep={"stride": [1]})
