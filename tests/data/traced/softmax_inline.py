"""A softmax classifier with the forward written out again in grad (the assignment style)."""

import numpy as np

rng = np.random.default_rng(1)
X = rng.normal(size=(6, 4))
y = rng.integers(3, size=6)
PARAMS = {"W": rng.normal(size=(4, 3)) * 0.1, "b": np.zeros(3)}
BUG = False


def loss(p):
    scores = X @ p["W"] + p["b"]
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    return -np.mean(np.log(probs[np.arange(len(X)), y]))


def grad(p):
    scores = X @ p["W"] + p["b"]
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.sum(np.exp(shifted), axis=1, keepdims=True)
    dscores = probs.copy()
    if BUG:
        dscores[:, y] -= 1  # the indexing slip: every column y for every row
    else:
        dscores[np.arange(len(X)), y] -= 1
    dscores /= len(X)
    dW = X.T @ dscores
    db = dscores.sum(axis=0)
    return {"W": dW, "b": db}
