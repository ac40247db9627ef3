"""S3: logistic regression, a = σ(wᵀx + b), cross-entropy averaged over m examples, as a loop and in column layout."""

from __future__ import annotations

import numpy as np

from .s1 import sigmoid

# The per-example loop has no axes to get wrong: B9 and B10 exist in the column layout only.
LOOP_BUGS = ("B8",)
BUGS = {
    "B8": "the sum over the batch is not divided by m",
    "B9": "column layout: db = dz, not summed over the examples",
    "B10": "column layout: summed over axis 0 (the features) instead of axis 1 (the examples)",
}


def loop(p, X, Y, bug=None):
    """Per-example loop that accumulates and divides by m at the end; X is (d, m), Y is (1, m)."""
    w, b = p["w"], p["b"]
    d, m = X.shape
    loss, dw, db = 0.0, np.zeros_like(w), np.zeros_like(b)
    for i in range(m):
        x, y = X[:, i:i + 1], Y[0, i]
        a = sigmoid((w.T @ x + b).item())                       # a = σ(wᵀx + b)
        loss += -(y * np.log(a) + (1 - y) * np.log(1 - a))      # −[y log a + (1 − y) log(1 − a)]
        dz = a - y                                              # dz = a − y
        dw += x * dz                                            # Σ x dz
        db += dz                                                # Σ dz
    if bug == "B8":
        return loss / m, {"w": dw, "b": db}
    return loss / m, {"w": dw / m, "b": db / m}                 # averaged over m


def vectorized(p, X, Y, bug=None):
    """Column layout: examples are the columns of X (d, m); the batch sum runs over axis 1."""
    w, b = p["w"], p["b"]
    m = X.shape[1]
    A = sigmoid(w.T @ X + b)                                    # A = σ(wᵀX + b), shape (1, m)
    loss = -np.mean(Y * np.log(A) + (1 - Y) * np.log(1 - A))    # mean cross-entropy
    dZ = A - Y                                                  # dZ = A − Y
    axis = 0 if bug == "B10" else 1
    scale = 1 if bug == "B8" else m
    dw = np.sum(X * dZ, axis=axis, keepdims=True) / scale       # dw = (1/m) Σ_examples x dz
    db = dZ / m if bug == "B9" else np.sum(dZ, axis=axis, keepdims=True) / scale   # db = (1/m) Σ dz
    return loss, {"w": dw, "b": db}


def build(system, bug, reference, m=6, d=3, seed=2):
    """S3 at a seeded random point: "S3" is the column-layout form, "S3-loop" the per-example loop."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(d, m))
    Y = (rng.uniform(size=(1, m)) > 0.5).astype(np.float64)
    params = {"w": rng.normal(size=(d, 1)), "b": rng.normal(size=(1, 1))}
    fn = loop if system == "S3-loop" else vectorized
    return reference(system, bug, params, lambda p: fn(p, X, Y, bug), m)
