"""Batch normalization as a forward/backward pair with a cache (the layer-library style)."""

import numpy as np

rng = np.random.default_rng(3)
X = rng.normal(size=(6, 4)) * 2 + 1
GAMMA = rng.normal(size=4)
BETA = rng.normal(size=4)
BUG = False


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    mu = x.mean(axis=0)
    xmu = x - mu
    var = (xmu ** 2).mean(axis=0)
    std = np.sqrt(var + eps)
    xhat = xmu / std
    out = gamma * xhat + beta
    return out, (xhat, xmu, std, gamma)


def batchnorm_backward(dout, cache):
    xhat, xmu, std, gamma = cache
    n = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * xhat).sum(axis=0)
    dxhat = dout * gamma
    dstd = -(dxhat * xmu).sum(axis=0) / std ** 2
    dvar = dstd / (2 * std)
    dxmu = dxhat / std + (2 * xmu * dvar / n if not BUG else 0)  # the bug: the variance's term dropped
    dmu = -dxmu.sum(axis=0)
    dx = dxmu + dmu / n
    return dx, dgamma, dbeta
