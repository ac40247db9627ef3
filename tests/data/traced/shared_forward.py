"""A two-layer net with one forward shared by loss and grad (the notebook style)."""

import numpy as np

rng = np.random.default_rng(0)
X = rng.normal(size=(5, 3))
Y = rng.normal(size=(5, 2))
PARAMS = {"W1": rng.normal(size=(3, 4)), "W2": rng.normal(size=(4, 2))}
BUG = False


def forward(p):
    z1 = X @ p["W1"]
    h1 = np.tanh(z1)
    scores = h1 @ p["W2"]
    return z1, h1, scores


def loss(p):
    z1, h1, scores = forward(p)
    return 0.5 * np.sum((scores - Y) ** 2) / len(X)


def grad(p):
    z1, h1, scores = forward(p)
    dscores = (scores - Y) / len(X)
    dW2 = h1.T @ dscores
    dh1 = dscores @ p["W2"].T
    dz1 = dh1 * (1 - z1 ** 2) if BUG else dh1 * (1 - h1 ** 2)  # the bug: the derivative on z1, not h1
    dW1 = X.T @ dz1
    return {"W1": dW1, "W2": dW2}
