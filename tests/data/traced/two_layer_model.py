"""A CS231n-style model: params in a dict, loss(X, y) returns the loss and the gradients together."""

import numpy as np

BUG = False


class TwoLayerNet:
    def __init__(self, seed=4):
        rng = np.random.default_rng(seed)
        self.params = {"W1": rng.normal(size=(3, 5)) * 0.5, "b1": np.zeros(5),
                       "W2": rng.normal(size=(5, 3)) * 0.5, "b2": np.zeros(3)}

    def loss(self, X, y):
        W1, b1, W2, b2 = (self.params[k] for k in ("W1", "b1", "W2", "b2"))
        z1 = X @ W1 + b1
        h1 = np.maximum(z1, 0)
        scores = h1 @ W2 + b2
        shifted = scores - scores.max(axis=1, keepdims=True)
        probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
        loss = -np.mean(np.log(probs[np.arange(len(X)), y]))
        dscores = probs.copy()
        dscores[np.arange(len(X)), y] -= 1
        dscores /= len(X)
        dh1 = dscores @ W2.T
        dz1 = dh1 if BUG else dh1 * (z1 > 0)  # the bug: the ReLU's mask dropped
        grads = {"W2": h1.T @ dscores, "b2": dscores.sum(axis=0), "W1": X.T @ dz1, "b1": dz1.sum(axis=0)}
        return loss, grads
