"""S4: a tiny MLP with one hidden ReLU unit and mean-squared error, bias gradients summed over the batch."""

from __future__ import annotations

import numpy as np

BUGS: dict[str, str] = {}


def forward_backward(p, x, y):
    """Loss and gradients on ``x`` (m, d), ``y`` (m, 1); ReLU'(0) is taken as 0, a valid subgradient."""
    W1, b1, W2, b2 = p["W1"], p["b1"], p["W2"], p["b2"]
    m = x.shape[0]
    z1 = x @ W1 + b1                                  # z1 = x W1 + b1
    h1 = np.maximum(z1, 0)                            # h1 = ReLU(z1)
    out = h1 @ W2 + b2                                # ŷ = h1 W2 + b2
    loss = np.mean((out - y) ** 2)                    # L = (1/m) Σ (ŷ − y)²

    dout = 2 * (out - y) / m                          # ∂L/∂ŷ
    dW2 = h1.T @ dout                                 # dW2 = h1ᵀ dŷ
    db2 = dout.sum(axis=0, keepdims=True)             # db2 = Σ_batch dŷ
    dz1 = (dout @ W2.T) * (z1 > 0)                    # dz1 = dŷ W2ᵀ ⊙ ReLU'(z1)
    dW1 = x.T @ dz1                                   # dW1 = xᵀ dz1
    db1 = dz1.sum(axis=0, keepdims=True)              # db1 = Σ_batch dz1
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def build(system, bug, reference, m=5, seed=3, kink=True):
    """S4 at a seeded point; with ``kink`` the first example's pre-activation is exactly 0."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(m, 2))
    y = rng.normal(size=(m, 1))
    params = {"W1": np.array([[0.5], [-0.25]]), "b1": np.array([[0.125]]),
              "W2": np.array([[1.5]]), "b2": np.array([[0.1]])}
    if kink:
        x[0] = [1.0, 2.5]   # 0.5·1 − 0.25·2.5 + 0.125 = 0 exactly: a kink, not a bug
    return reference(system, bug, params, lambda p: forward_backward(p, x, y), m)
