"""A ReLU net with inverted dropout drawn from np.random, one forward shared by loss and grad."""

import numpy as np

rng = np.random.default_rng(5)
X = rng.normal(size=(6, 3))
Y = rng.normal(size=(6, 2))
PARAMS = {"W1": rng.normal(size=(3, 8)), "W2": rng.normal(size=(8, 2))}
BUG = False


def forward(p):
    z = X @ p["W1"]
    h = np.maximum(z, 0)
    mask = (np.random.rand(*h.shape) < 0.5) / 0.5
    hd = h * mask
    scores = hd @ p["W2"]
    return z, h, mask, hd, scores


def loss(p):
    z, h, mask, hd, scores = forward(p)
    return 0.5 * np.sum((scores - Y) ** 2) / len(X)


def grad(p):
    z, h, mask, hd, scores = forward(p)
    dscores = (scores - Y) / len(X)
    dhd = dscores @ p["W2"].T
    dh = dhd if BUG else dhd * mask  # the bug: the dropout mask dropped
    dz = dh * (z > 0)
    return {"W1": X.T @ dz, "W2": hd.T @ dscores}
