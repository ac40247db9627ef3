"""gradcheck on code as three courses write it: CS231n's layer functions and models, "Deep Learning from Scratch"'s
layer classes and net, and the notebook style's functions on a parameter dict. Each is checked with the call its
author would write first; the correct code passes and each real mistake fails in the gradients it touches."""

import copy

import numpy as np
import pytest

import gradcheck
from tests.conventions import cs231n_layers as L
from tests.conventions import dlfs_layers as D
from tests.conventions import notebook as NB


def rng():
    return np.random.default_rng(0)


def names(report):
    return [r.name for r in report]


def failing(report):
    return {r.name for r in report.failed}


def fixed(report, argument):
    return any(s.startswith(argument + " (") for s in report.held_fixed)


# ---- CS231n layer functions: each case builds the arguments its author passes to forward ----------------------

def normal(r, *shapes):
    return tuple(r.normal(size=shape) for shape in shapes)


def bn_args(mode):
    def build(r):
        bn_param = {"mode": mode, "running_mean": r.normal(size=4), "running_var": r.uniform(0.5, 2.0, size=4)}
        return (*normal(r, (3, 4), 4, 4), bn_param)
    return build


def conv_args(r):
    return (*normal(r, (2, 2, 5, 5), (3, 2, 3, 3), 3), {"stride": 2, "pad": 1})


NORM = ["x", "gamma", "beta"]
LAYERS = {  # forward, backward, its arguments from a generator, the result names, the arguments held fixed
    "affine": (L.affine_forward, L.affine_backward, lambda r: normal(r, (3, 4), (4, 5), 5), ["x", "w", "b"], []),
    "relu": (L.relu_forward, L.relu_backward, lambda r: normal(r, (3, 4)), ["x"], []),
    "batchnorm-train": (L.batchnorm_forward, L.batchnorm_backward, bn_args("train"), NORM, ["bn_param (dict)"]),
    "batchnorm-test": (L.batchnorm_forward, L.batchnorm_backward, bn_args("test"), NORM, ["bn_param (dict)"]),
    "layernorm": (L.layernorm_forward, L.layernorm_backward, lambda r: (*normal(r, (3, 4), 4, 4), {}), NORM,
                  ["ln_param (dict)"]),
    "spatial-batchnorm": (L.spatial_batchnorm_forward, L.spatial_batchnorm_backward,
                          lambda r: (*normal(r, (2, 3, 4, 4), 3, 3), {"mode": "train"}), NORM, ["bn_param (dict)"]),
    "dropout": (L.dropout_forward, L.dropout_backward, lambda r: (r.normal(size=(3, 4)), {"mode": "train", "p": 0.5}),
                ["x"], ["dropout_param (dict)"]),
    "conv": (L.conv_forward_naive, L.conv_backward_naive, conv_args, ["x", "w", "b"], ["conv_param (dict)"]),
    "max-pool": (L.max_pool_forward_naive, L.max_pool_backward_naive,  # 3x3 windows at stride 2 overlap
                 lambda r: (r.normal(size=(2, 2, 5, 5)), {"pool_height": 3, "pool_width": 3, "stride": 2}), ["x"],
                 ["pool_param (dict)"]),
    "rnn-step": (L.rnn_step_forward, L.rnn_step_backward, lambda r: normal(r, (2, 3), (2, 4), (3, 4), (4, 4), 4),
                 ["x", "prev_h", "Wx", "Wh", "b"], []),
    "rnn": (L.rnn_forward, L.rnn_backward, lambda r: normal(r, (2, 3, 3), (2, 4), (3, 4), (4, 4), 4),
            ["x", "h0", "Wx", "Wh", "b"], []),
    "lstm-step": (L.lstm_step_forward, L.lstm_step_backward,
                  lambda r: normal(r, (2, 3), (2, 4), (2, 4), (3, 16), (4, 16), 16),
                  ["x", "prev_h", "prev_c", "Wx", "Wh", "b"], []),
    "word-embedding": (L.word_embedding_forward, L.word_embedding_backward,  # words 0 and 3 repeat
                       lambda r: (np.array([[0, 3, 3, 1], [4, 0, 3, 2]], dtype=np.int64), r.normal(size=(5, 3))),
                       ["W"], ["x (int64 array (2, 4))"]),
}

MISTAKES = [  # layer, the backward with the mistake, the gradients it makes wrong, their kind where it is clear
    ("affine", L.affine_backward_bias_not_summed, {"b"}, "not-reduced-over-batch"),
    ("relu", L.relu_backward_ignores_dout, {"x"}, None),
    ("relu", L.relu_backward_mask_inverted, {"x"}, "wrong-values"),  # dout zeroed in place: not "disconnected"
    ("batchnorm-train", L.batchnorm_backward_statistics_held_constant, {"x"}, None),
    ("layernorm", L.layernorm_backward_batchnorm_axis, {"x"}, None),
    ("spatial-batchnorm", L.spatial_batchnorm_backward_reshape_without_transpose, {"x", "gamma", "beta"}, None),
    ("dropout", L.dropout_backward_mask_not_rescaled, {"x"}, "scaled"),
    ("conv", L.conv_backward_naive_dx_still_padded, {"x"}, "shape-mismatch"),
    ("conv", L.conv_backward_naive_stride_forgotten, {"x", "w"}, None),
    ("max-pool", L.max_pool_backward_naive_overlaps_overwritten, {"x"}, None),
    ("rnn-step", L.rnn_step_backward_dWh_transposed, {"Wh"}, "transposed"),
    ("rnn", L.rnn_backward_hidden_gradient_not_carried, {"x", "h0", "Wx", "Wh", "b"}, None),
    ("lstm-step", L.lstm_step_backward_forget_gate_slip, {"x", "prev_h", "Wx", "Wh", "b"}, None),
    ("lstm-step", L.lstm_step_backward_dnext_c_dropped, {"x", "prev_h", "prev_c", "Wx", "Wh", "b"}, None),
    ("word-embedding", L.word_embedding_backward_repeated_indices_lost, {"W"}, None),
]


@pytest.mark.parametrize("layer", LAYERS)
def test_a_correct_cs231n_layer_passes_with_results_named_after_its_forwards_parameters(layer):
    forward, backward, build, expected, held = LAYERS[layer]
    report = gradcheck.check_layer(forward, backward, *build(rng()))
    assert report.ok, str(report)
    assert names(report) == expected
    assert set(held) <= set(report.held_fixed), report.held_fixed
    assert report.not_checked == ()


@pytest.mark.parametrize("layer, backward, wrong, kind", MISTAKES, ids=[m[1].__name__ for m in MISTAKES])
def test_a_cs231n_backward_with_a_mistake_fails_in_the_gradients_it_touches(layer, backward, wrong, kind):
    forward, _, build, expected, _ = LAYERS[layer]
    report = gradcheck.check_layer(forward, backward, *build(rng()))
    assert not report.ok
    assert failing(report) == wrong, str(report)
    assert names(report) == expected
    if kind is not None:
        assert all(report[name].kind == kind for name in wrong), str(report)


def test_conv_is_called_as_written_and_leaves_conv_param_and_the_arrays_as_they_were():
    x, w, b, conv_param = conv_args(rng())
    copies = copy.deepcopy((x, w, b, conv_param))
    report = gradcheck.check_layer(L.conv_forward_naive, L.conv_backward_naive, x, w, b, conv_param)
    assert report.ok and names(report) == ["x", "w", "b"]
    assert any(s.startswith("conv_param") for s in report.held_fixed)
    assert all(np.array_equal(now, then) for now, then in zip((x, w, b), copies)) and conv_param == copies[3]


def test_wrt_restricts_the_check_to_the_named_parameters():
    x, w, b, conv_param = conv_args(rng())
    report = gradcheck.check_layer(L.conv_forward_naive, L.conv_backward_naive, x, w, b, conv_param, wrt=("w", "b"))
    assert report.ok and names(report) == ["w", "b"]
    assert fixed(report, "x")


# ---- CS231n losses: forward returns (loss, gradient), no backward -----------------------------------------------

def svm_data(r):
    return r.normal(size=(5, 3)), r.normal(size=(4, 5)), r.integers(0, 3, size=4)


@pytest.mark.parametrize("loss, ok", [(L.svm_loss_naive, True), (L.softmax_loss_naive, True),
                                      (L.svm_loss_naive_regularization_gradient_halved, False),
                                      (L.softmax_loss_naive_correct_class_not_subtracted, False)])
def test_a_naive_linear_classifier_loss_checks_dW_and_leaves_X_unchecked(loss, ok):
    r = rng()
    W, X, y = r.normal(size=(5, 3)), r.normal(size=(4, 5)), r.integers(0, 3, size=4)
    report = gradcheck.check_layer(loss, None, W, X, y, 0.1)
    assert names(report) == ["W"] and failing(report) == (set() if ok else {"W"}), str(report)
    assert [s.split()[0] for s in report.not_checked] == ["X"]
    assert fixed(report, "y") and fixed(report, "reg")


@pytest.mark.parametrize("loss, kind", [(L.softmax_loss, "ok"), (L.softmax_loss_not_averaged, "scaled")])
def test_softmax_loss_holds_the_labels_fixed_and_a_gradient_summed_where_the_loss_averages_is_scaled(loss, kind):
    r = rng()
    x, y = r.normal(size=(4, 3)), r.integers(0, 3, size=4)
    report = gradcheck.check_layer(loss, None, x, y)
    assert names(report) == ["x"] and report["x"].kind == kind, str(report)
    assert "y (int64 array (4,))" in report.held_fixed


def temporal_data(r):
    mask = np.array([[True, True, False], [True, False, False]])
    return r.normal(size=(2, 3, 5)), r.integers(0, 5, size=(2, 3)), mask


@pytest.mark.parametrize("loss, ok", [(L.temporal_softmax_loss, True), (L.temporal_softmax_loss_mask_forgotten_in_dx,
                                                                          False)])
def test_temporal_softmax_loss_holds_labels_and_mask_fixed_and_catches_a_mask_left_out(loss, ok):
    x, y, mask = temporal_data(rng())
    report = gradcheck.check_layer(loss, None, x, y, mask)
    assert report.ok is ok and names(report) == ["x"], str(report)
    assert fixed(report, "y") and "mask (bool array (2, 3))" in report.held_fixed


# ---- dropout and numpy's global random state --------------------------------------------------------------------

@pytest.mark.parametrize("seeded", [False, True])
def test_dropout_drawing_from_np_random_sees_one_mask_and_leaves_the_global_state_as_found(seeded):
    x = rng().normal(size=(3, 4))
    dropout_param = {"mode": "train", "p": 0.5, **({"seed": 7} if seeded else {})}
    np.random.seed(123)
    before = np.random.get_state()
    report = gradcheck.check_layer(L.dropout_forward, L.dropout_backward, x, dropout_param)
    after = np.random.get_state()
    assert report.ok and report["x"].kind == "ok", str(report)
    assert before[0] == after[0] and np.array_equal(before[1], after[1]) and before[2:] == after[2:]
    np.random.seed(123)
    assert np.random.rand() == np.random.RandomState(123).rand()
    assert dropout_param == {"mode": "train", "p": 0.5, **({"seed": 7} if seeded else {})}


# ---- the user's arguments are left as found ----------------------------------------------------------------------

def raises_in_backward(dout, cache):
    raise ValueError("not written yet")


@pytest.mark.parametrize("how", ["completes", "wrong-wrt", "backward-raises"])
def test_bn_param_its_running_statistics_and_the_arrays_are_unchanged_after_a_check_even_one_that_raises(how):
    x, gamma, beta, bn_param = bn_args("train")(rng())
    copies, arrays = copy.deepcopy((x, gamma, beta, bn_param)), dict(bn_param)
    backward = raises_in_backward if how == "backward-raises" else L.batchnorm_backward
    wrt = ("w",) if how == "wrong-wrt" else None  # bn has no w
    try:
        gradcheck.check_layer(L.batchnorm_forward, backward, x, gamma, beta, bn_param, wrt=wrt)
        raised = None
    except Exception as exc:  # the kind of exception is asserted after the state
        raised = exc
    assert all(np.array_equal(now, then) for now, then in zip((x, gamma, beta), copies))
    assert set(bn_param) == set(copies[3]) and all(bn_param[k] is arrays[k] for k in bn_param)
    assert all(np.array_equal(bn_param[k], copies[3][k]) for k in ("running_mean", "running_var"))
    assert (raised is None) if how == "completes" else isinstance(raised, gradcheck.CheckError), repr(raised)


# ---- Deep Learning from Scratch layer objects --------------------------------------------------------------------

@pytest.mark.parametrize("layer, wrong", [(D.Affine, set()), (D.AffineBiasNotSummed, {"b"})])
def test_an_affine_object_is_checked_for_x_W_and_b_and_a_bias_gradient_not_summed_is_named(layer, wrong):
    r = rng()
    W, b, x = r.normal(size=(4, 5)), r.normal(size=5), r.normal(size=(3, 4))
    report = gradcheck.check_layer(layer(W, b), None, x)
    assert names(report) == ["x", "W", "b"] and failing(report) == wrong, str(report)
    assert all(report[name].kind == "not-reduced-over-batch" for name in wrong)


@pytest.mark.parametrize("layer, kind", [(D.Relu, "ok"), (D.ReluMaskInverted, "wrong-values"), (D.Sigmoid, "ok"),
                                         (D.SigmoidFactorForgotten, "wrong-values")])
def test_an_activation_object_is_checked_for_x_even_when_its_backward_writes_into_dout(layer, kind):
    x = rng().normal(size=(3, 4))
    report = gradcheck.check_layer(layer(), None, x)
    assert names(report) == ["x"] and report["x"].kind == kind, str(report)


@pytest.mark.parametrize("layer, ok", [(D.SoftmaxWithLoss, True), (D.SoftmaxWithLossNotAveraged, False)])
def test_softmax_with_loss_is_checked_as_a_loss_layer_with_the_labels_held_fixed(layer, ok):
    r = rng()
    x, t = r.normal(size=(4, 3)), r.integers(0, 3, size=4)
    report = gradcheck.check_layer(layer(), None, x, t)
    assert names(report) == ["x"] and report.ok is ok, str(report)
    assert fixed(report, "t")
    if not ok:
        assert report["x"].kind == "scaled"


@pytest.mark.parametrize("features", [4, 7], ids=["completes", "forward-raises"])  # W takes 4 features
def test_a_layer_objects_attributes_are_the_same_objects_with_the_same_values_after_a_check(features):
    r = rng()
    W, b, x = r.normal(size=(4, 5)), r.normal(size=5), r.normal(size=(3, features))
    saved, layer = (W.copy(), b.copy()), D.Affine(W, b)
    try:
        gradcheck.check_layer(layer, None, x)
        raised = None
    except Exception as exc:  # the kind of exception is asserted after the state
        raised = exc
    assert layer.W is W and layer.b is b and np.array_equal(W, saved[0]) and np.array_equal(b, saved[1])
    assert layer.dW is None and layer.db is None and layer.x is None and layer.original_x_shape is None
    assert (raised is None) if features == 4 else isinstance(raised, gradcheck.CheckError), repr(raised)


# ---- models: check_model ----------------------------------------------------------------------------------------

def classification_data(r, shape=(3, 4)):
    return r.normal(size=shape), r.integers(0, 3, size=shape[0])


def cs231n_models():
    return {"TwoLayerNet": (lambda bug=None: L.TwoLayerNet(reg=0.1, bug=bug), (3, 4), "bias-not-summed", {"b2"},
                            "not-reduced-over-batch"),
            "ThreeLayerConvNet": (lambda bug=None: L.ThreeLayerConvNet(reg=0.1, bug=bug), (2, 2, 6, 6),
                                  "conv-weight-regularization-forgotten", {"W1"}, None)}


@pytest.mark.parametrize("name", ["TwoLayerNet", "ThreeLayerConvNet"])
def test_a_cs231n_model_passes_and_keeps_its_params_dict_and_arrays(name):
    make, shape, *_ = cs231n_models()[name]
    model = make()
    X, y = classification_data(rng(), shape)
    params, arrays, values = model.params, dict(model.params), copy.deepcopy(model.params)
    report = gradcheck.check_model(model, X, y)
    assert report.ok and names(report) == list(values), str(report)
    assert model.params is params and all(model.params[k] is arrays[k] for k in arrays)
    assert all(np.array_equal(model.params[k], values[k]) for k in values)


@pytest.mark.parametrize("name", ["TwoLayerNet", "ThreeLayerConvNet"])
def test_a_cs231n_model_with_a_mistake_fails_in_the_parameters_it_touches(name):
    make, shape, bug, wrong, kind = cs231n_models()[name]
    X, y = classification_data(rng(), shape)
    report = gradcheck.check_model(make(bug), X, y)
    assert failing(report) == wrong, str(report)
    if kind is not None:
        assert all(report[k].kind == kind for k in wrong)


@pytest.mark.parametrize("affine, wrong", [(D.Affine, set()), (D.AffineBiasNotSummed, {"b1", "b2"})])
def test_a_dlfs_net_is_checked_through_layers_that_share_its_params_arrays(affine, wrong):
    model = D.TwoLayerNet(input_size=4, hidden_size=5, output_size=3, affine=affine)
    x, t = classification_data(rng())
    params, arrays, values = model.params, dict(model.params), copy.deepcopy(model.params)
    report = gradcheck.check_model(model, x, t)
    assert names(report) == ["W1", "b1", "W2", "b2"] and failing(report) == wrong, str(report)
    assert all(report[k].kind == "not-reduced-over-batch" for k in wrong)
    assert model.params is params and all(model.params[k] is arrays[k] for k in arrays)
    assert all(np.array_equal(model.params[k], values[k]) for k in values)
    assert model.layers["Affine1"].W is model.params["W1"] and model.layers["Affine2"].b is model.params["b2"]


def test_model_params_are_unchanged_after_a_check_model_that_raises():
    model = L.TwoLayerNet(reg=0.1)
    params, values = model.params, copy.deepcopy(model.params)
    X, y = classification_data(rng(), (3, 7))  # 7 features where W1 takes 4
    with pytest.raises(Exception) as raised:
        gradcheck.check_model(model, X, y)
    assert model.params is params and all(np.array_equal(model.params[k], values[k]) for k in values)
    assert isinstance(raised.value, gradcheck.CheckError), repr(raised.value)


# ---- notebook style: gradcheck.check on a parameter dict --------------------------------------------------------

def notebook_problem(backward):
    r = rng()
    X, Y = r.normal(size=(3, 4)), np.array([[1.0, 0.0, 1.0, 0.0]])
    loss, grad = NB.loss_and_grad(X, Y, backward)
    return loss, grad, NB.initialize_parameters([3, 4, 1])


def test_notebook_gradients_keyed_dW1_are_matched_to_W1_and_the_dA_keys_are_noted():
    loss, grad, parameters = notebook_problem(NB.backward_propagation)
    saved = copy.deepcopy(parameters)
    report = gradcheck.check(loss, grad, parameters)
    assert report.ok and names(report) == ["W1", "b1", "W2", "b2"], str(report)
    assert any("dA1" in note for note in report.notes), report.notes
    assert all(np.array_equal(parameters[k], saved[k]) for k in saved)


def test_the_courses_two_slips_are_each_a_scaled_gradient():
    loss, grad, parameters = notebook_problem(NB.backward_propagation_with_slips)
    report = gradcheck.check(loss, grad, parameters)
    assert names(report) == ["W1", "b1", "W2", "b2"]
    assert failing(report) == {"W2", "b1"}, str(report)
    assert report["W2"].kind == report["b1"].kind == "scaled"


@pytest.mark.parametrize("affine, wrong", [(D.Affine, set()), (D.AffineBiasNotSummed, {"1.Affine1.b", "3.Affine2.b"})],
                         ids=["right", "bias-not-summed"])
def test_a_dlfs_net_is_checked_layer_by_layer_with_its_ordered_dict_and_its_loss_layer(affine, wrong):
    net = D.TwoLayerNet(4, 5, 3, weight_init_std=0.5, affine=affine)
    r = rng()
    x, t = r.normal(size=(3, 4)), r.integers(0, 3, size=3)
    layers = list(net.layers.values())
    report = gradcheck.check_network(net, x, t)
    assert names(report) == ["1.Affine1.x", "1.Affine1.W", "1.Affine1.b", "2.Relu1.x", "3.Affine2.x",
                             "3.Affine2.W", "3.Affine2.b", "4.SoftmaxWithLoss.x"]
    assert failing(report) == wrong and list(net.layers.values()) == layers
