"""A CS231n-style layer library: forward and backward side by side, one line per equation.

Every backward takes ``(dout, cache)`` (an LSTM step ``(dnext_h, dnext_c, cache)``) and some take ``bug=``: a real
mistake in the code, made in one line. The functions named after a mistake (``affine_backward_bias_not_summed``)
are those backwards with the mistake switched on, the way a student's file would hold them.
"""

from functools import partial

import numpy as np


def with_bug(fn, bug):
    """``fn`` with one mistake switched on, under the name a student's file would give it."""
    wrapped = partial(fn, bug=bug)
    wrapped.__name__ = wrapped.__qualname__ = f"{fn.__name__}_{bug.replace('-', '_')}"
    return wrapped


# ---- affine, relu ---------------------------------------------------------------------------------------------

def affine_forward(x, w, b):
    out = x.reshape(x.shape[0], -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache, bug=None):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(x.shape[0], -1).T @ dout
    db = dout if bug == "bias-not-summed" else dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache, bug=None):
    x = cache
    if bug == "ignores-dout":
        return (x > 0) * 1.0
    dx = dout  # no copy, as many solutions write it: dout is zeroed in place
    dx[(x > 0) if bug == "mask-inverted" else (x <= 0)] = 0
    return dx


# ---- batch norm, layer norm, spatial batch norm ---------------------------------------------------------------

def batchnorm_forward(x, gamma, beta, bn_param):
    mode = bn_param["mode"]
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    D = x.shape[1]
    running_mean = bn_param.get("running_mean", np.zeros(D, dtype=x.dtype))
    running_var = bn_param.get("running_var", np.zeros(D, dtype=x.dtype))
    if mode == "train":
        mu = x.mean(axis=0)
        var = x.var(axis=0)
        std = np.sqrt(var + eps)
        xhat = (x - mu) / std
        running_mean *= momentum  # in place, as many solutions do: the caller's array changes
        running_mean += (1 - momentum) * mu
        running_var = momentum * running_var + (1 - momentum) * var
    elif mode == "test":
        std = np.sqrt(running_var + eps)
        xhat = (x - running_mean) / std
    else:
        raise ValueError(f'Invalid forward batchnorm mode "{mode}"')
    out = gamma * xhat + beta
    bn_param["running_mean"] = running_mean
    bn_param["running_var"] = running_var
    return out, (xhat, gamma, std, mode)


def batchnorm_backward(dout, cache, bug=None):
    xhat, gamma, std, mode = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    if mode == "test" or bug == "statistics-held-constant":  # in train mode the mean and variance depend on x
        return dxhat / std, dgamma, dbeta
    dx = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std
    return dx, dgamma, dbeta


def layernorm_forward(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mu = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    xhat = (x - mu) / std
    return gamma * xhat + beta, (xhat, gamma, std)


def layernorm_backward(dout, cache, bug=None):
    xhat, gamma, std = cache
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    axis = 0 if bug == "batchnorm-axis" else 1  # the bug: batch norm's backward copied with its axis
    dx = (dxhat - dxhat.mean(axis=axis, keepdims=True) - xhat * (dxhat * xhat).mean(axis=axis, keepdims=True)) / std
    return dx, dgamma, dbeta


def spatial_batchnorm_forward(x, gamma, beta, bn_param):
    N, C, H, W = x.shape
    out, cache = batchnorm_forward(x.transpose(0, 2, 3, 1).reshape(-1, C), gamma, beta, bn_param)
    return out.reshape(N, H, W, C).transpose(0, 3, 1, 2), cache


def spatial_batchnorm_backward(dout, cache, bug=None):
    N, C, H, W = dout.shape
    flat = dout.reshape(-1, C) if bug == "reshape-without-transpose" else dout.transpose(0, 2, 3, 1).reshape(-1, C)
    dx, dgamma, dbeta = batchnorm_backward(flat, cache)
    return dx.reshape(N, H, W, C).transpose(0, 3, 1, 2), dgamma, dbeta


# ---- dropout (inverted; p is the probability of keeping a unit) -----------------------------------------------

def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = (np.random.rand(*x.shape) < p) / p
        out = x * mask
    else:
        out = x
    return out, (dropout_param, mask)


def dropout_backward(dout, cache, bug=None):
    dropout_param, mask = cache
    if dropout_param["mode"] == "test":
        return dout
    return dout * (mask > 0) if bug == "mask-not-rescaled" else dout * mask


# ---- convolution and max pooling ------------------------------------------------------------------------------

def conv_forward_naive(x, w, b, conv_param):
    stride, pad = conv_param["stride"], conv_param["pad"]
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = 1 + (H + 2 * pad - HH) // stride, 1 + (W + 2 * pad - WW) // stride
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    out = np.zeros((N, F, H_out, W_out))
    for i in range(H_out):
        for j in range(W_out):
            window = x_pad[:, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
            out[:, :, i, j] = np.tensordot(window, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out, (x, w, b, conv_param)


def conv_backward_naive(dout, cache, bug=None):
    x, w, b, conv_param = cache
    stride, pad = conv_param["stride"], conv_param["pad"]
    HH, WW = w.shape[2:]
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    dx_pad, dw = np.zeros_like(x_pad), np.zeros_like(w)
    db = dout.sum(axis=(0, 2, 3))
    step = 1 if bug == "stride-forgotten" else stride
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * step, i * step + HH), slice(j * step, j * step + WW)
            dw += np.tensordot(dout[:, :, i, j], x_pad[:, :, rows, cols], axes=([0], [0]))
            dx_pad[:, :, rows, cols] += np.tensordot(dout[:, :, i, j], w, axes=([1], [0]))
    if bug == "dx-still-padded":
        return dx_pad, dw, db
    return dx_pad[:, :, pad:pad + x.shape[2], pad:pad + x.shape[3]], dw, db


def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    out = np.zeros((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache, bug=None):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            rows, cols = slice(i * s, i * s + ph), slice(j * s, j * s + pw)
            window = x[:, :, rows, cols]
            routed = (window == window.max(axis=(2, 3), keepdims=True)) * dout[:, :, i, j][:, :, None, None]
            if bug == "overlaps-overwritten":
                dx[:, :, rows, cols] = routed  # the bug: a later window wipes what an overlapping one routed
            else:
                dx[:, :, rows, cols] += routed
    return dx


# ---- recurrent layers -----------------------------------------------------------------------------------------

def rnn_step_forward(x, prev_h, Wx, Wh, b):
    next_h = np.tanh(x @ Wx + prev_h @ Wh + b)
    return next_h, (x, prev_h, Wx, Wh, next_h)


def rnn_step_backward(dnext_h, cache, bug=None):
    x, prev_h, Wx, Wh, next_h = cache
    da = dnext_h * (1 - next_h ** 2)
    dx, dprev_h = da @ Wx.T, da @ Wh.T
    dWx = x.T @ da
    dWh = da.T @ prev_h if bug == "dWh-transposed" else prev_h.T @ da
    db = da.sum(axis=0)
    return dx, dprev_h, dWx, dWh, db


def rnn_forward(x, h0, Wx, Wh, b):
    h, caches, prev_h = [], [], h0
    for t in range(x.shape[1]):
        prev_h, cache = rnn_step_forward(x[:, t], prev_h, Wx, Wh, b)
        h.append(prev_h)
        caches.append(cache)
    return np.stack(h, axis=1), caches


def rnn_backward(dh, cache, bug=None):
    N, T, H = dh.shape
    x0, _, Wx, Wh, _ = cache[0]
    dx, dWx, dWh, db = np.zeros((N, T, x0.shape[1])), np.zeros_like(Wx), np.zeros_like(Wh), np.zeros(H)
    dprev_h = np.zeros((N, H))
    for t in reversed(range(T)):
        upstream = dh[:, t] if bug == "hidden-gradient-not-carried" else dh[:, t] + dprev_h
        dx[:, t], dprev_h, dWx_t, dWh_t, db_t = rnn_step_backward(upstream, cache[t])
        dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
    return dx, dprev_h, dWx, dWh, db


def lstm_step_forward(x, prev_h, prev_c, Wx, Wh, b):
    a = x @ Wx + prev_h @ Wh + b
    ai, af, ao, ag = np.split(a, 4, axis=1)
    (i, f, o), g = (1 / (1 + np.exp(-z)) for z in (ai, af, ao)), np.tanh(ag)
    next_c = f * prev_c + i * g
    tanh_c = np.tanh(next_c)
    next_h = o * tanh_c
    return next_h, next_c, (x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c)


def lstm_step_backward(dnext_h, dnext_c, cache, bug=None):
    x, prev_h, prev_c, Wx, Wh, i, f, o, g, tanh_c = cache
    dc = dnext_h * o * (1 - tanh_c ** 2) + (0 if bug == "dnext_c-dropped" else dnext_c)
    di, df, do, dg = dc * g, dc * prev_c, dnext_h * tanh_c, dc * i
    dprev_c = dc * f
    df_gate = df * f * (1 - i) if bug == "forget-gate-slip" else df * f * (1 - f)  # the slip: i for f
    da = np.hstack([di * i * (1 - i), df_gate, do * o * (1 - o), dg * (1 - g ** 2)])
    dx, dprev_h = da @ Wx.T, da @ Wh.T
    dWx, dWh, db = x.T @ da, prev_h.T @ da, da.sum(axis=0)
    return dx, dprev_h, dprev_c, dWx, dWh, db


def word_embedding_forward(x, W):
    return W[x], (x, W.shape)


def word_embedding_backward(dout, cache, bug=None):
    x, shape = cache
    dW = np.zeros(shape)
    if bug == "repeated-indices-lost":
        dW[x] += dout  # the bug: fancy-index += keeps one of the rows for a repeated word
    else:
        np.add.at(dW, x, dout)
    return dW


# ---- losses ---------------------------------------------------------------------------------------------------

def temporal_softmax_loss(x, y, mask, bug=None):
    N, T, V = x.shape
    x_flat, y_flat, mask_flat = x.reshape(N * T, V), y.reshape(N * T), mask.reshape(N * T)
    probs = np.exp(x_flat - x_flat.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    loss = -np.sum(mask_flat * np.log(probs[np.arange(N * T), y_flat])) / N
    dx = probs.copy()
    dx[np.arange(N * T), y_flat] -= 1
    dx /= N
    if bug != "mask-forgotten-in-dx":
        dx *= mask_flat[:, None]
    return loss, dx.reshape(N, T, V)


def svm_loss_naive(W, X, y, reg, bug=None):
    dW = np.zeros(W.shape)
    num_classes, num_train = W.shape[1], X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train + (reg if bug == "regularization-gradient-halved" else 2 * reg) * W
    return loss, dW


def softmax_loss_naive(W, X, y, reg, bug=None):
    dW = np.zeros_like(W)
    loss = 0.0
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        scores -= scores.max()
        p = np.exp(scores) / np.sum(np.exp(scores))
        loss -= np.log(p[y[i]])
        if bug != "correct-class-not-subtracted":
            p[y[i]] -= 1
        dW += np.outer(X[i], p)
    loss = loss / X.shape[0] + reg * np.sum(W * W)
    return loss, dW / X.shape[0] + 2 * reg * W


def softmax_loss(x, y, bug=None):
    N = x.shape[0]
    shifted = x - x.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].sum() / N
    dx = np.exp(log_probs)
    dx[np.arange(N), y] -= 1
    return loss, (dx if bug == "not-averaged" else dx / N)


# ---- models ---------------------------------------------------------------------------------------------------

class TwoLayerNet:
    """affine - relu - affine - softmax, with L2 regularization ½·reg·Σ W²."""

    def __init__(self, input_dim=4, hidden_dim=5, num_classes=3, weight_scale=0.5, reg=0.0, seed=0, bug=None):
        rng = np.random.default_rng(seed)
        self.reg, self.bug = reg, bug
        self.params = {"W1": weight_scale * rng.standard_normal((input_dim, hidden_dim)), "b1": np.zeros(hidden_dim),
                       "W2": weight_scale * rng.standard_normal((hidden_dim, num_classes)), "b2": np.zeros(num_classes)}

    def loss(self, X, y=None):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        a1, fc1_cache = affine_forward(X, W1, b1)
        hidden, relu_cache = relu_forward(a1)
        scores, fc2_cache = affine_forward(hidden, W2, b2)
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        dhidden, dW2, db2 = affine_backward(dscores, fc2_cache, bug=self.bug)
        _, dW1, db1 = affine_backward(relu_backward(dhidden, relu_cache), fc1_cache)
        return loss, {"W1": dW1 + self.reg * W1, "b1": db1, "W2": dW2 + self.reg * W2, "b2": db2}


class ThreeLayerConvNet:
    """conv - relu - 2x2 max pool - affine - relu - affine - softmax, tiny."""

    def __init__(self, input_dim=(2, 6, 6), num_filters=3, filter_size=3, hidden_dim=5, num_classes=3,
                 weight_scale=0.3, reg=0.0, seed=0, bug=None):
        rng = np.random.default_rng(seed)
        C, H, W = input_dim
        self.reg, self.bug, self.filter_size = reg, bug, filter_size
        self.params = {
            "W1": weight_scale * rng.standard_normal((num_filters, C, filter_size, filter_size)),
            "b1": np.zeros(num_filters),
            "W2": weight_scale * rng.standard_normal((num_filters * (H // 2) * (W // 2), hidden_dim)),
            "b2": np.zeros(hidden_dim),
            "W3": weight_scale * rng.standard_normal((hidden_dim, num_classes)),
            "b3": np.zeros(num_classes),
        }

    def loss(self, X, y=None):
        W1, b1, W2, b2, W3, b3 = (self.params[k] for k in ("W1", "b1", "W2", "b2", "W3", "b3"))
        conv_param = {"stride": 1, "pad": (self.filter_size - 1) // 2}
        pool_param = {"pool_height": 2, "pool_width": 2, "stride": 2}
        a1, conv_cache = conv_forward_naive(X, W1, b1, conv_param)
        s1, relu1_cache = relu_forward(a1)
        pooled, pool_cache = max_pool_forward_naive(s1, pool_param)
        a2, fc2_cache = affine_forward(pooled, W2, b2)
        hidden, relu2_cache = relu_forward(a2)
        scores, fc3_cache = affine_forward(hidden, W3, b3)
        if y is None:
            return scores
        loss, dscores = softmax_loss(scores, y)
        loss += 0.5 * self.reg * sum(np.sum(W * W) for W in (W1, W2, W3))
        dhidden, dW3, db3 = affine_backward(dscores, fc3_cache)
        dpooled, dW2, db2 = affine_backward(relu_backward(dhidden, relu2_cache), fc2_cache)
        _, dW1, db1 = conv_backward_naive(relu_backward(max_pool_backward_naive(dpooled, pool_cache), relu1_cache),
                                          conv_cache)
        reg_W1 = 0.0 if self.bug == "conv-weight-regularization-forgotten" else self.reg * W1
        return loss, {"W1": dW1 + reg_W1, "b1": db1, "W2": dW2 + self.reg * W2, "b2": db2,
                      "W3": dW3 + self.reg * W3, "b3": db3}


# ---- the mistakes, each under its own name ------------------------------------------------------------------

affine_backward_bias_not_summed = with_bug(affine_backward, "bias-not-summed")
relu_backward_ignores_dout = with_bug(relu_backward, "ignores-dout")
relu_backward_mask_inverted = with_bug(relu_backward, "mask-inverted")
batchnorm_backward_statistics_held_constant = with_bug(batchnorm_backward, "statistics-held-constant")
layernorm_backward_batchnorm_axis = with_bug(layernorm_backward, "batchnorm-axis")
spatial_batchnorm_backward_reshape_without_transpose = with_bug(spatial_batchnorm_backward, "reshape-without-transpose")
dropout_backward_mask_not_rescaled = with_bug(dropout_backward, "mask-not-rescaled")
conv_backward_naive_dx_still_padded = with_bug(conv_backward_naive, "dx-still-padded")
conv_backward_naive_stride_forgotten = with_bug(conv_backward_naive, "stride-forgotten")
max_pool_backward_naive_overlaps_overwritten = with_bug(max_pool_backward_naive, "overlaps-overwritten")
rnn_step_backward_dWh_transposed = with_bug(rnn_step_backward, "dWh-transposed")
rnn_backward_hidden_gradient_not_carried = with_bug(rnn_backward, "hidden-gradient-not-carried")
lstm_step_backward_forget_gate_slip = with_bug(lstm_step_backward, "forget-gate-slip")
lstm_step_backward_dnext_c_dropped = with_bug(lstm_step_backward, "dnext_c-dropped")
word_embedding_backward_repeated_indices_lost = with_bug(word_embedding_backward, "repeated-indices-lost")
temporal_softmax_loss_mask_forgotten_in_dx = with_bug(temporal_softmax_loss, "mask-forgotten-in-dx")
svm_loss_naive_regularization_gradient_halved = with_bug(svm_loss_naive, "regularization-gradient-halved")
softmax_loss_naive_correct_class_not_subtracted = with_bug(softmax_loss_naive, "correct-class-not-subtracted")
softmax_loss_not_averaged = with_bug(softmax_loss, "not-averaged")
