"""S5: the 2-2-2 sigmoid network unit by unit (bias as an appended 1), and its 2-4-1 extension learning XOR."""

from __future__ import annotations

import numpy as np

from .layers import AugmentedLinear, Network, Sigmoid, SigmoidForDerivative
from .s1 import sigmoid

BUGS = {
    "B11": "output-layer derivative uses σ(net) where σ'(net) belongs",
    "B12": "hidden-bias derivative of G takes the output weight e where f belongs",
    "B13": "output-bias derivative of H carries a hidden-unit factor g·σ'(net_F) where the factor is 1",
}


def units(p, i, t, bug=None):
    """2-2-2 network written unit by unit, as the tutorial does.

    ``W_hidden`` = [[a, b, bF], [c, d, bG]] and ``W_out`` = [[e, f, bH], [g, h, bI]]
    act on [inputs; 1]; ``i`` = (i1, i2), ``t`` = (t1, t2); Error = (H − t1)² + (I − t2)².
    """
    (a, b, bF), (c, d, bG) = p["W_hidden"]
    (e, f, bH), (g, h, bI) = p["W_out"]
    i1, i2 = i
    t1, t2 = t
    net_F = a * i1 + b * i2 + bF; F = sigmoid(net_F)                # F = σ(a i1 + b i2 + bF)
    net_G = c * i1 + d * i2 + bG; G = sigmoid(net_G)                # G = σ(c i1 + d i2 + bG)
    net_H = e * F + f * G + bH; H = sigmoid(net_H)                  # H = σ(e F + f G + bH)
    net_I = g * F + h * G + bI; I = sigmoid(net_I)                  # I = σ(g F + h G + bI)
    error = (H - t1) ** 2 + (I - t2) ** 2                           # E = (H − t1)² + (I − t2)²

    dsig_H = H if bug == "B11" else H * (1 - H)                     # σ'(net_H)
    dsig_I = I if bug == "B11" else I * (1 - I)                     # σ'(net_I)
    dH = 2 * (H - t1) * dsig_H                                      # ∂E/∂net_H
    dI = 2 * (I - t2) * dsig_I                                      # ∂E/∂net_I
    dsig_F, dsig_G = F * (1 - F), G * (1 - G)                       # σ'(net_F), σ'(net_G)
    dF = (dH * e + dI * g) * dsig_F                                 # ∂E/∂net_F
    dG = (dH * f + dI * h) * dsig_G                                 # ∂E/∂net_G
    d_bG = (dH * e + dI * h) * dsig_G if bug == "B12" else dG       # ∂E/∂bG = ∂E/∂net_G · 1
    d_bH = dH * g * dsig_F if bug == "B13" else dH                  # ∂E/∂bH = ∂E/∂net_H · 1
    W_hidden = np.array([[dF * i1, dF * i2, dF],                    # ∂E/∂[a, b, bF]
                         [dG * i1, dG * i2, d_bG]])                 # ∂E/∂[c, d, bG]
    W_out = np.array([[dH * F, dH * G, d_bH],                       # ∂E/∂[e, f, bH]
                      [dI * F, dI * G, dI]])                        # ∂E/∂[g, h, bI]
    return error, {"W_hidden": W_hidden, "W_out": W_out}


def with_ones(a):
    """[a; 1]: a row of ones appended, the bias input of every column."""
    return np.vstack([a, np.ones((1, a.shape[1]))])


def xor(p, X, T):
    """2-4-1 network on the XOR table in column layout (examples are the columns of X)."""
    W1, W2 = p["W1"], p["W2"]
    hidden = sigmoid(W1 @ with_ones(X))                               # hidden = σ(W1 [x; 1])
    out = sigmoid(W2 @ with_ones(hidden))                             # out = σ(W2 [hidden; 1])
    error = np.sum((out - T) ** 2)                                    # E = Σ (out − t)²

    delta_out = out * (1 - out) * 2 * (out - T)                       # σ'(net_out) ⊙ 2(out − t)
    dW2 = delta_out @ with_ones(hidden).T                             # δ_out [hidden; 1]ᵀ
    delta_hidden = (W2[:, :-1].T @ delta_out) * hidden * (1 - hidden) # W2ᵀ (no bias column) δ_out ⊙ σ'
    dW1 = delta_hidden @ with_ones(X).T                               # δ_hidden [x; 1]ᵀ
    return error, {"W1": dW1, "W2": dW2}


def network(p, bug=None):
    """The 2-2-2 network as reference layers; B12 and B13 are slips in single unit formulas and have no layered form."""
    if bug in ("B12", "B13"):
        return None
    output = SigmoidForDerivative if bug == "B11" else Sigmoid
    return Network([AugmentedLinear(p["W_hidden"]), Sigmoid(), AugmentedLinear(p["W_out"]), output()])


def build(system, bug, reference, seed=4):
    """S5 (the 2-2-2 network on one example) or S5-xor (2-4-1 on the four XOR examples), at a seeded point."""
    rng = np.random.default_rng(seed)
    if system == "S5-xor":
        X = np.array([[0, 0, 1, 1], [0, 1, 0, 1]], dtype=np.float64)
        T = np.array([[0, 1, 1, 0]], dtype=np.float64)
        params = {"W1": rng.normal(size=(4, 3)), "W2": rng.normal(size=(1, 5))}
        return reference(system, bug, params, lambda p: xor(p, X, T), 4)
    params = {"W_hidden": rng.normal(size=(2, 3)), "W_out": rng.normal(size=(2, 3))}
    i, t = (0.05, 0.10), (0.01, 0.99)
    return reference(system, bug, params, lambda p: units(p, i, t, bug), 1, network(params, bug),
                     np.array([[i[0]], [i[1]]]))
