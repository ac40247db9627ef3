"""S2: two-layer sigmoid network without biases on the 3-input XOR-like table, hidden size 4, C = ½·Σ(y − a2)²."""

from __future__ import annotations

import numpy as np

from .s1 import sigmoid

BUGS = {
    "B6": "the error at the pre-activation (delta) used as the weight gradient, without the previous activation",
    "B7": "error written y − a, the negative gradient (paired with W += lr·… updates)",
}

X = np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]], dtype=np.float64)
Y = np.array([[0], [1], [1], [0]], dtype=np.float64)


def forward_backward(p, x, y, bug=None):
    """The loss and its gradients for weights ``W1`` (3, 4) and ``W2`` (4, 1) on the table ``x`` (4, 3)."""
    W1, W2 = p["W1"], p["W2"]
    a1 = sigmoid(x @ W1)                                        # a1 = σ(x W1)
    a2 = sigmoid(a1 @ W2)                                       # a2 = σ(a1 W2)
    loss = 0.5 * np.sum((y - a2) ** 2)                          # C = ½ Σ (y − a2)²

    error = (y - a2) if bug == "B7" else (a2 - y)               # ∂C/∂a2 = a2 − y
    delta2 = error * a2 * (1 - a2)                              # δ2 = ∂C/∂z2
    delta1 = (delta2 @ W2.T) * a1 * (1 - a1)                    # δ1 = δ2 W2ᵀ ⊙ σ'(z1)
    dW2 = delta2 if bug == "B6" else a1.T @ delta2              # ∂C/∂W2 = a1ᵀ δ2
    dW1 = delta1 if bug == "B6" else x.T @ delta1               # ∂C/∂W1 = xᵀ δ1
    return loss, {"W1": dW1, "W2": dW2}


def build(system, bug, reference, seed=1):
    """S2 on its XOR-like table, at seeded random weights."""
    rng = np.random.default_rng(seed)
    params = {"W1": rng.normal(size=(3, 4)), "W2": rng.normal(size=(4, 1))}
    return reference(system, bug, params, lambda p: forward_backward(p, X, Y, bug), len(X))
