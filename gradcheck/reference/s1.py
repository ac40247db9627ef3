"""S1: two-layer sigmoid network, mini-batch in rows, loss ½·Σ(h2 − y)² summed over the batch."""

from __future__ import annotations

import numpy as np

from .layers import (
    Linear,
    LinearBiasNotSummed,
    LinearColumnSumOfWeightGradient,
    Network,
    Sigmoid,
    SigmoidOnPreactivation,
    SigmoidOnUpstream,
)

BUGS = {
    "B1": "sigmoid derivative applied to the upstream error: dz2 = dh2 ⊙ (1 − dh2)",
    "B2": "bias gradients not summed over the batch: db = dz, one row per example",
    "B3": "forward feeds the input x into layer 2 instead of h1, backward still uses h1",
    "B4": "error sent to layer 1 is the column sum of dW2ᵀ instead of dz2 W2ᵀ",
    "B5": "hidden sigmoid derivative evaluated on the pre-activation: z1 ⊙ (1 − z1)",
}


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def forward_backward(p, x, y, bug=None):
    """The loss and its gradients for parameters ``p`` on the batch ``x`` (m, d) with targets ``y`` (m, n2)."""
    W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
    z1 = x @ W1 + b1                                                   # z1 = x W1 + b1
    h1 = sigmoid(z1)                                                   # h1 = σ(z1)
    z2 = (x if bug == "B3" else h1) @ W2 + b2                          # z2 = h1 W2 + b2
    h2 = sigmoid(z2)                                                   # h2 = σ(z2)
    loss = 0.5 * np.sum((h2 - y) ** 2)                                 # L = ½ Σ (h2 − y)²

    dh2 = h2 - y                                                       # ∂L/∂h2
    dz2 = dh2 * (1 - dh2) if bug == "B1" else dh2 * h2 * (1 - h2)      # dz2 = dh2 ⊙ σ'(z2)
    dW2 = h1.T @ dz2                                                   # dW2 = h1ᵀ dz2
    db2 = dz2 if bug == "B2" else dz2.sum(axis=0, keepdims=True)       # db2 = Σ_batch dz2
    dh1 = dW2.T.sum(axis=0, keepdims=True) if bug == "B4" else dz2 @ W2.T   # dh1 = dz2 W2ᵀ
    dz1 = dh1 * (z1 * (1 - z1) if bug == "B5" else h1 * (1 - h1))      # dz1 = dh1 ⊙ σ'(z1)
    dW1 = x.T @ dz1                                                    # dW1 = xᵀ dz1
    db1 = dz1 if bug == "B2" else dz1.sum(axis=0, keepdims=True)       # db1 = Σ_batch dz1
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def network(p, bug=None):
    """S1 as reference layers, Linear → Sigmoid → Linear → Sigmoid, each bug in the layer it lives in (B3 has none)."""
    if bug == "B3":
        return None
    first = LinearBiasNotSummed if bug == "B2" else Linear
    second = {"B2": LinearBiasNotSummed, "B4": LinearColumnSumOfWeightGradient}.get(bug, Linear)
    hidden = SigmoidOnPreactivation if bug == "B5" else Sigmoid
    output = SigmoidOnUpstream if bug == "B1" else Sigmoid
    return Network([first(p["W1"], p["b1"]), hidden(), second(p["W2"], p["b2"]), output()])


def build(system, bug, reference, m=8, d=3, n1=3, n2=2, seed=0):
    """S1 at a seeded random point; B3 needs d == n1 for the shapes to fit."""
    if bug == "B3" and d != n1:
        raise ValueError(f"B3 feeds x (width d = {d}) where h1 (width n1 = {n1}) belongs: it needs d == n1")
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, d))
    y = rng.uniform(size=(m, n2))
    params = {
        "W1": rng.normal(size=(d, n1)), "b1": rng.normal(size=(1, n1)),
        "W2": rng.normal(size=(n1, n2)), "b2": rng.normal(size=(1, n2)),
    }
    return reference(system, bug, params, lambda p: forward_backward(p, x, y, bug), m, network(params, bug), x)
