"""Hand-written numpy networks, each family one forward and backward with the mistakes students make as branches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

CATEGORIES = ("regularization", "batchnorm", "layernorm", "dropout", "softmax-ce", "rnn-lstm", "copy-paste",
              "transpose", "broadcasting", "activation", "global-read", "layers-misc")

HYPOTHESES = ("proportional-to-param", "masked", "copy-of-other", "wrong-indices", "not-scaling-with-upstream",
              "loss-derivative", "not-accumulated", "scaled", "sign-flipped", "transposed", "not-reduced-over-batch",
              "zero-gradient", "disconnected", "noisy-loss", "local", "other")


@dataclass(frozen=True)
class Variant:
    """One mistake in one network: ``build(buggy)`` returns ``(loss, grad, params)``, the mistake in it or not.

    ``truth`` describes d = analytic − numerical of the buggy net: ``hypothesis`` (one of HYPOTHESES), ``line`` (the
    wrong line as the buggy branch writes it; ``absent``: True when the mistake is a line left out, and ``line`` is
    the missing one), and per hypothesis ``coefficient`` with ``param`` (a name or a list of names), ``source`` and
    ``transposed`` (the copy is the source's transpose), ``rows``/``columns``/``blocks``, ``mask_on`` ("entries": d
    is nonzero exactly at the parameter entries the loss ignores; "activations": d is the gradient carried through
    activations the forward dropped, so the parameter's entries mix dropped and kept paths) and ``note``.
    """

    name: str
    category: str
    mistake: str
    fix: str
    build: Callable[[bool], tuple[Callable, Callable | None, dict]]
    wrong: frozenset[str]
    truth: dict


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def mse(out, y):
    """L = ½ Σ (out − y)² / m and ∂L/∂out = (out − y) / m, for a batch of m rows."""
    m = out.shape[0]
    return 0.5 * np.sum((out - y) ** 2) / m, (out - y) / m


def cross_entropy(s, y):
    """L = −(1/m) Σ_i log softmax(s)[i, y_i] and ∂L/∂s = (softmax(s) − onehot(y)) / m."""
    m = s.shape[0]
    shift = s - s.max(axis=1, keepdims=True)
    prob = np.exp(shift) / np.exp(shift).sum(axis=1, keepdims=True)
    ds = prob.copy()
    ds[np.arange(m), y] -= 1
    return -np.mean(np.log(prob[np.arange(m), y])), ds / m


# --------------------------------------------------------------------------------------------------------------------
# Families. Each returns (loss, None, params): loss(p) -> (L, grads), the forward and the backward side by side.
# --------------------------------------------------------------------------------------------------------------------


def two_layer(bug: str | None, act: str = "relu", reg: str | None = None, classes: int = 3):
    """x (6, 4) → x W1 + b1 (4 → 5) → act → a1 W2 + b2 (5 → classes) → softmax cross-entropy, mean over the batch.

    ``reg`` adds ½λ(‖W1‖² + ‖W2‖²) ("l2"), λ/(2m)(‖W1‖² + ‖W2‖²) ("l2/m") or λ(|W1|₁ + |W2|₁) ("l1"), λ = 0.1.
    """
    rng = np.random.default_rng(1)
    m, d, h, lam = 6, 4, 5, 0.1
    x = rng.normal(size=(m, d))
    y = np.array([0, 2, 1, 2, 0, 2]) if classes == 3 else np.array([0, 3, 1, 2, 3, 1])
    params = {"W1": rng.normal(size=(d, h)), "b1": 0.5 * rng.normal(size=h),
              "W2": rng.normal(size=(h, classes)), "b2": 0.5 * rng.normal(size=classes)}

    def loss(p):
        # forward
        z1 = x @ p["W1"] + p["b1"]                                        # z1 = x W1 + b1
        if act == "relu":
            a1 = np.maximum(z1, 0)                                        # a1 = max(z1, 0)
        elif act == "leaky":
            a1 = np.where(z1 > 0, z1, 0.01 * z1)                          # a1 = z1 if z1 > 0 else 0.01 z1
        elif act == "tanh":
            a1 = np.tanh(z1)                                              # a1 = tanh z1
        else:
            a1 = sigmoid(z1)                                              # a1 = σ(z1)
        s = a1 @ p["W2"] + p["b2"]                                        # scores s = a1 W2 + b2
        shift = s - s.max(axis=1, keepdims=True)                          # softmax is invariant to a shift per row
        logp = shift - np.log(np.exp(shift).sum(axis=1, keepdims=True))   # log softmax(s)
        L = -np.mean(logp[np.arange(m), y])                               # L = −(1/m) Σ_i log softmax(s)[i, y_i]
        if reg == "l2":
            L += 0.5 * lam * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))      # + ½λ(‖W1‖² + ‖W2‖²)
        elif reg == "l2/m":
            L += 0.5 * lam / m * (np.sum(p["W1"] ** 2) + np.sum(p["W2"] ** 2))  # + λ/(2m)(‖W1‖² + ‖W2‖²)
        elif reg == "l1":
            L += lam * (np.sum(np.abs(p["W1"])) + np.sum(np.abs(p["W2"])))      # + λ(|W1|₁ + |W2|₁)

        # backward: ∂L/∂s = (softmax(s) − onehot(y)) / m
        if bug == "softmax-axis-0":
            prob = np.exp(shift) / np.exp(shift).sum(axis=0, keepdims=True)     # BUG: normalised over the batch
        elif bug == "unnormalised-exp":
            prob = np.exp(shift)                                                # BUG: not divided by the row sum
        else:
            prob = np.exp(logp)                                                 # softmax(s) = exp(log softmax(s))
        if bug == "onehot-minus-probs":
            ds = np.eye(classes)[y] - prob                                      # BUG: onehot − softmax
        else:
            ds = prob.copy()
            if bug == "columns-not-rows":
                ds[:, y] -= 1                                                   # BUG: every row of each label's column
            else:
                ds[np.arange(m), y] -= 1                                        # − onehot(y): row i, column y_i
        if bug != "no-mean":
            ds /= m                                                             # the loss is a mean over the batch
        dW2 = a1.T @ ds                                                   # ∂L/∂W2 = a1ᵀ ds
        db2 = ds.sum(axis=0)                                              # ∂L/∂b2 = Σ_i ds[i]
        da1 = ds @ p["W2"].T                                              # ∂L/∂a1 = ds W2ᵀ
        if bug == "relu-ignores-dout":
            dz1 = (z1 > 0).astype(float)                                  # BUG: relu'(z1) alone, da1 dropped
        elif act == "relu":
            dz1 = da1 * (z1 > 0)                                          # relu'(z) = 1[z > 0]
        elif bug == "leaky-slope":
            dz1 = da1 * np.where(z1 > 0, 1.0, 0.1)                        # BUG: slope 0.1, the forward's is 0.01
        elif act == "leaky":
            dz1 = da1 * np.where(z1 > 0, 1.0, 0.01)                       # leaky'(z) = 1 if z > 0 else 0.01
        elif bug == "tanh-1-minus-a":
            dz1 = da1 * (1 - a1)                                          # BUG: 1 − a instead of 1 − a²
        elif bug == "tanh-of-a":
            dz1 = da1 * (1 - np.tanh(a1) ** 2)                            # BUG: a1 is tanh(z1) already
        elif act == "tanh":
            dz1 = da1 * (1 - a1 ** 2)                                     # tanh'(z) = 1 − tanh²z = 1 − a1²
        elif bug == "sigmoid-from-z":
            dz1 = da1 * z1 * (1 - z1)                                     # BUG: σ'(z) written with z for σ(z)
        else:
            dz1 = da1 * a1 * (1 - a1)                                     # σ'(z) = σ(z)(1 − σ(z)) = a1(1 − a1)
        dW1 = x.T @ dz1                                                   # ∂L/∂W1 = xᵀ dz1
        if bug == "db1-not-reduced":
            db1 = dz1                                                     # BUG: one row per example
        else:
            db1 = dz1.sum(axis=0)                                         # ∂L/∂b1 = Σ_i dz1[i]

        # backward of the regularization term
        if bug == "l2-2-lambda":
            dW1 += 2 * lam * p["W1"]                                      # BUG: d/dW ½λ‖W‖² taken as 2λW
            dW2 += 2 * lam * p["W2"]
        elif bug == "l2-forgotten-W1":
            dW2 += lam * p["W2"]                                          # BUG: W1's term λW1 never added
        elif bug == "l2-lambda-not-over-m":
            dW1 += lam * p["W1"]                                          # BUG: λW, the loss has λ/(2m)‖W‖²
            dW2 += lam * p["W2"]
        elif reg == "l2":
            dW1 += lam * p["W1"]                                          # d/dW ½λ‖W‖² = λW
            dW2 += lam * p["W2"]
            if bug == "l2-on-bias":
                db1 += lam * p["b1"]                                      # BUG: the loss does not regularize b
                db2 += lam * p["b2"]
        elif reg == "l2/m":
            dW1 += lam / m * p["W1"]                                      # d/dW λ/(2m)‖W‖² = (λ/m)W
            dW2 += lam / m * p["W2"]
        elif bug == "l1-sign":
            dW1 -= lam * np.sign(p["W1"])                                 # BUG: −λ sign(W)
            dW2 -= lam * np.sign(p["W2"])
        elif reg == "l1":
            dW1 += lam * np.sign(p["W1"])                                 # d/dW λ|W|₁ = λ sign(W)
            dW2 += lam * np.sign(p["W2"])
        if bug == "dW2-is-dW1-T":
            return L, {"W1": dW1, "b1": db1, "W2": dW1.T, "b2": db2}      # BUG: W2's entry is dW1.T
        return L, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    return loss, None, params


def square(bug: str | None):
    """Three layers of width 5 on a batch of 5 (every weight square): x (5, 5) → W1, b1 → tanh → W2, b2 → tanh
    → W3, b3 → ½ Σ (out − y)² / m."""
    rng = np.random.default_rng(2)
    m = n = 5
    x = rng.normal(size=(m, n))
    y = rng.normal(size=(m, n))
    params = {}
    for layer in (1, 2, 3):
        params[f"W{layer}"] = 0.7 * rng.normal(size=(n, n))
        params[f"b{layer}"] = 0.5 * rng.normal(size=n)

    def loss(p):
        z1 = x @ p["W1"] + p["b1"]                        # z1 = x W1 + b1
        a1 = np.tanh(z1)                                  # a1 = tanh z1
        z2 = a1 @ p["W2"] + p["b2"]                       # z2 = a1 W2 + b2
        a2 = np.tanh(z2)                                  # a2 = tanh z2
        out = a2 @ p["W3"] + p["b3"]                      # out = a2 W3 + b3
        L, dout = mse(out, y)                             # L = ½ Σ (out − y)² / m, dout = (out − y) / m

        dW3 = a2.T @ dout                                 # ∂L/∂W3 = a2ᵀ dout
        db3 = np.zeros_like(p["b3"])                      # the bias gradient, accumulated into a buffer
        if bug == "db3-scalar":
            db3 += dout.sum()                             # BUG: one scalar, broadcast to every entry
        else:
            db3 += dout.sum(axis=0)                       # Σ over the batch, one entry per output
        da2 = dout @ p["W3"].T                            # ∂L/∂a2 = dout W3ᵀ
        dz2 = da2 * (1 - a2 ** 2)                         # tanh' = 1 − a²
        if bug == "dW2-transposed":
            dW2 = dz2.T @ a1                              # BUG: dz2ᵀ a1 is (a1ᵀ dz2)ᵀ
        elif bug == "dW2-uses-x":
            dW2 = x.T @ dz2                               # BUG: layer 1's input in layer 2's gradient
        else:
            dW2 = a1.T @ dz2                              # ∂L/∂W2 = a1ᵀ dz2
        if bug == "db2-axis-1":
            db2 = dz2.sum(axis=1)                         # BUG: summed over the units (m = n: the shape fits)
        else:
            db2 = dz2.sum(axis=0)                         # ∂L/∂b2 = Σ_i dz2[i]
        if bug == "dx-uses-W":
            da1 = dz2 @ p["W2"]                           # BUG: W2 where W2ᵀ belongs
        else:
            da1 = dz2 @ p["W2"].T                         # ∂L/∂a1 = dz2 W2ᵀ
        dz1 = da1 * (1 - a1 ** 2)
        dW1 = x.T @ dz1                                   # ∂L/∂W1 = xᵀ dz1
        db1 = dz1.sum(axis=0)
        if bug == "db2-is-db1":
            return L, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db1, "W3": dW3, "b3": db3}   # BUG: "b2": db1
        if bug == "W3-gets-dW2":
            return L, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW2, "b3": db3}   # BUG: "W3": dW2
        return L, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW3, "b3": db3}

    return loss, None, params


def out_by_in(bug: str | None):
    """Weights stored (out, in) as PyTorch stores them, z = a Wᵀ + b: x (6, 5) → W1 (5, 5), b1 → tanh → W2 (3, 5), b2
    → MSE."""
    rng = np.random.default_rng(3)
    m, d, h, k = 6, 5, 5, 3
    x = rng.normal(size=(m, d))
    y = rng.normal(size=(m, k))
    params = {"W1": 0.6 * rng.normal(size=(h, d)), "b1": 0.5 * rng.normal(size=h),
              "W2": rng.normal(size=(k, h)), "b2": 0.5 * rng.normal(size=k)}

    def loss(p):
        z1 = x @ p["W1"].T + p["b1"]                      # z1 = x W1ᵀ + b1
        a1 = np.tanh(z1)
        out = a1 @ p["W2"].T + p["b2"]                    # out = a1 W2ᵀ + b2
        L, dout = mse(out, y)
        if bug == "in-by-out":
            dW2 = a1.T @ dout                             # BUG: the (in, out) formula for an (out, in) weight
        else:
            dW2 = dout.T @ a1                             # z = a Wᵀ: ∂L/∂W = dzᵀ a, shape (out, in)
        db2 = dout.sum(axis=0)
        da1 = dout @ p["W2"]                              # z = a Wᵀ: ∂L/∂a = dz W
        dz1 = da1 * (1 - a1 ** 2)
        if bug == "in-by-out":
            dW1 = x.T @ dz1                               # BUG: the same slip in layer 1
        else:
            dW1 = dz1.T @ x                               # ∂L/∂W1 = dz1ᵀ x
        db1 = dz1.sum(axis=0)
        return L, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    return loss, None, params


def batchnorm_net(bug: str | None):
    """x (6, 4) → z = x W1 + b1 (4 → 6) → batch norm over the batch (γ, β) → relu → W2 (6 → 3), b2 → cross-entropy.

    The batch mean removes b1: the loss does not depend on it, and its true gradient is 0. Batch 6 = width 6.
    """
    rng = np.random.default_rng(4)
    m, d, h, k, eps = 6, 4, 6, 3, 1e-5
    x = rng.normal(size=(m, d))
    y = np.array([0, 1, 2, 1, 0, 2])
    params = {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h), "gamma": 1 + 0.3 * rng.normal(size=h),
              "beta": 0.3 * rng.normal(size=h), "W2": rng.normal(size=(h, k)), "b2": 0.3 * rng.normal(size=k)}

    def loss(p):
        z = x @ p["W1"] + p["b1"]                         # z = x W1 + b1
        mu = z.mean(axis=0)                               # μ: per-unit mean over the batch
        var = z.var(axis=0)                               # σ²: per-unit (biased) variance over the batch
        std = np.sqrt(var + eps)
        xhat = (z - mu) / std                             # x̂ = (z − μ) / √(σ² + ε)
        u = p["gamma"] * xhat + p["beta"]                 # u = γ x̂ + β
        r = np.maximum(u, 0)                              # r = relu(u)
        s = r @ p["W2"] + p["b2"]
        L, ds = cross_entropy(s, y)

        dW2 = r.T @ ds
        db2 = ds.sum(axis=0)
        du = (ds @ p["W2"].T) * (u > 0)                   # ∂L/∂u, through the relu
        if bug == "dgamma-no-xhat":
            dgamma = du.sum(axis=0)                       # BUG: x̂ left out
        else:
            dgamma = (du * xhat).sum(axis=0)              # ∂L/∂γ = Σ_i du[i] x̂[i]
        if bug == "dbeta-axis-1":
            dbeta = du.sum(axis=1)                        # BUG: summed over the units (m = h: the shape fits)
        else:
            dbeta = du.sum(axis=0)                        # ∂L/∂β = Σ_i du[i]
        dxhat = du * p["gamma"]                           # ∂L/∂x̂ = γ du
        if bug == "no-variance-term":
            dz = (dxhat - dxhat.mean(axis=0)) / std       # BUG: the path through σ² dropped
        else:
            dz = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std   # through x̂, μ and σ²
        dW1 = x.T @ dz                                    # ∂L/∂W1 = xᵀ dz
        if bug == "db1-from-bn-output":
            db1 = du.sum(axis=0)                          # BUG: the gradient at BN's output (it is dbeta)
        else:
            db1 = dz.sum(axis=0)                          # Σ_i dz[i] = 0: the batch mean cancels b1
        return L, {"W1": dW1, "b1": db1, "gamma": dgamma, "beta": dbeta, "W2": dW2, "b2": db2}

    return loss, None, params


def layernorm_net(bug: str | None):
    """x (5, 4) → z = x W1 + b1 (4 → 6) → layer norm over each example's units (γ, β) → tanh → W2 (6 → 2), b2 → MSE."""
    rng = np.random.default_rng(5)
    m, d, h, k, eps = 5, 4, 6, 2, 1e-5
    x = rng.normal(size=(m, d))
    y = rng.normal(size=(m, k))
    params = {"W1": rng.normal(size=(d, h)), "b1": rng.normal(size=h), "gamma": 1 + 0.3 * rng.normal(size=h),
              "beta": 0.3 * rng.normal(size=h), "W2": rng.normal(size=(h, k)), "b2": 0.3 * rng.normal(size=k)}

    def loss(p):
        z = x @ p["W1"] + p["b1"]                         # z = x W1 + b1
        mu = z.mean(axis=1, keepdims=True)                # μ: per-example mean over the units
        var = z.var(axis=1, keepdims=True)                # σ²: per-example variance over the units
        std = np.sqrt(var + eps)
        xhat = (z - mu) / std                             # x̂ = (z − μ) / √(σ² + ε)
        u = p["gamma"] * xhat + p["beta"]                 # u = γ x̂ + β
        a = np.tanh(u)
        out = a @ p["W2"] + p["b2"]
        L, dout = mse(out, y)

        dW2 = a.T @ dout
        db2 = dout.sum(axis=0)
        du = (dout @ p["W2"].T) * (1 - a ** 2)            # ∂L/∂u, through the tanh
        if bug == "dgamma-no-xhat":
            dgamma = du.sum(axis=0)                       # BUG: x̂ left out
        elif bug == "dgamma-uses-z":
            dgamma = (du * z).sum(axis=0)                 # BUG: the input before normalisation, not x̂
        else:
            dgamma = (du * xhat).sum(axis=0)              # ∂L/∂γ = Σ_i du[i] x̂[i]
        dbeta = du.sum(axis=0)                            # ∂L/∂β = Σ_i du[i]
        dxhat = du * p["gamma"]                           # ∂L/∂x̂ = γ du
        if bug == "wrong-axis":
            dz = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std   # BUG: batch norm's axis
        else:
            dz = (dxhat - dxhat.mean(axis=1, keepdims=True)
                  - xhat * (dxhat * xhat).mean(axis=1, keepdims=True)) / std     # means over the units, per example
        dW1 = x.T @ dz
        db1 = dz.sum(axis=0)
        return L, {"W1": dW1, "b1": db1, "gamma": dgamma, "beta": dbeta, "W2": dW2, "b2": db2}

    return loss, None, params


def dropout_net(bug: str | None, mask: str = "example"):
    """x (6, 4) → x W1 + b1 (4 → 5) → tanh → inverted dropout (keep probability p = 0.5) → W2 (5 → 3), b2 → CE.

    ``mask``: "example", a fixed mask per example and unit; "unit", one fixed mask per unit shared by the batch
    (units 1 and 4 dropped); "weight", no dropout of activations but a fixed mask on W2's entries (DropConnect, or
    a pruned layer). The fixed masks are drawn once, in build, so the loss is deterministic.
    """
    rng = np.random.default_rng(6)
    m, d, h, k = 6, 4, 5, 3
    keep = 1.0 if mask == "weight" else 0.5
    x = rng.normal(size=(m, d))
    y = np.array([2, 0, 1, 1, 2, 0])
    params = {"W1": rng.normal(size=(d, h)), "b1": 0.5 * rng.normal(size=h),
              "W2": rng.normal(size=(h, k)), "b2": 0.5 * rng.normal(size=k)}
    if mask == "unit":
        fixed = np.array([[1.0, 0.0, 1.0, 1.0, 0.0]])
    elif mask == "example":
        fixed = (rng.random((m, h)) < keep).astype(float)
    else:
        fixed = np.ones((1, h))
    wmask = (rng.random((h, k)) < 0.6).astype(float) if mask == "weight" else np.ones((h, k))
    draws = np.random.default_rng(60)                     # the generator the noisy variant draws from

    def loss(p):
        z1 = x @ p["W1"] + p["b1"]
        a1 = np.tanh(z1)
        if bug == "fresh-mask":
            drop = (draws.random((m, h)) < keep).astype(float)   # BUG: a new mask on every call
        else:
            drop = fixed                                  # the mask drawn once for this batch
        ad = a1 * drop / keep                             # inverted dropout: ad = a1 ⊙ mask / p
        W2 = p["W2"] * wmask                              # DropConnect: a dropped weight is 0
        s = ad @ W2 + p["b2"]
        L, ds = cross_entropy(s, y)

        if bug == "dropconnect-no-mask":
            dW2 = ad.T @ ds                               # BUG: the weight mask left out
        else:
            dW2 = (ad.T @ ds) * wmask                     # ∂L/∂W2 = (adᵀ ds) ⊙ mask
        db2 = ds.sum(axis=0)
        dad = ds @ W2.T                                   # ∂L/∂ad
        if bug == "no-1-over-p":
            da1 = dad * drop                              # BUG: the forward's 1/p left out
        elif bug == "no-mask":
            da1 = dad / keep                              # BUG: the mask left out
        else:
            da1 = dad * drop / keep                       # ∂ad/∂a1 = mask / p
        dz1 = da1 * (1 - a1 ** 2)
        dW1 = x.T @ dz1
        db1 = dz1.sum(axis=0)
        return L, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    return loss, None, params


def rnn(bug: str | None, h0_zero: bool = False):
    """A vanilla RNN over T = 4 steps, batch 4: h_t = tanh(x_t Wx + h_{t−1} Wh + b), out_t = h_t Wy + by,
    L = Σ_t ½ Σ (out_t − y_t)² / m; the initial state h_0 is given (zeros when ``h0_zero``)."""
    rng = np.random.default_rng(7)
    T, m, d, n, k = 4, 4, 3, 4, 2
    params = {"Wx": 0.6 * rng.normal(size=(d, n)), "Wh": 0.5 * rng.normal(size=(n, n)), "b": 0.3 * rng.normal(size=n),
              "Wy": rng.normal(size=(n, k)), "by": 0.3 * rng.normal(size=k)}
    x = rng.normal(size=(T, m, d))
    y = rng.normal(size=(T, m, k))
    h0 = np.zeros((m, n)) if h0_zero else rng.normal(size=(m, n))

    def loss(p):
        hs = [h0]                                         # hs[t] is the state before step t
        L, douts = 0.0, []
        for t in range(T):
            hs.append(np.tanh(x[t] @ p["Wx"] + hs[t] @ p["Wh"] + p["b"]))   # h_{t+1} = tanh(x_t Wx + h_t Wh + b)
            L_t, dout = mse(hs[t + 1] @ p["Wy"] + p["by"], y[t])          # out_t = h_{t+1} Wy + by
            L += L_t
            douts.append(dout)

        dWx, dWh, db = np.zeros_like(p["Wx"]), np.zeros_like(p["Wh"]), np.zeros_like(p["b"])
        dWy, dby = np.zeros_like(p["Wy"]), np.zeros_like(p["by"])
        dh_next = np.zeros((m, n))                        # ∂L/∂h carried back from step t + 1
        for t in reversed(range(T)):
            dWy += hs[t + 1].T @ douts[t]
            dby += douts[t].sum(axis=0)
            if bug == "no-carry":
                dh = douts[t] @ p["Wy"].T                 # BUG: dh_next from the later steps left out
            else:
                dh = douts[t] @ p["Wy"].T + dh_next       # ∂L/∂h_{t+1}: this step's output and the later steps
            dz = dh * (1 - hs[t + 1] ** 2)                # through the tanh
            dWx += x[t].T @ dz
            if bug == "dWh-assigned":
                dWh = hs[t].T @ dz                        # BUG: = where += is due
            else:
                dWh += hs[t].T @ dz                       # every step adds its term
            db += dz.sum(axis=0)
            dh_next = dz @ p["Wh"].T
        return L, {"Wx": dWx, "Wh": dWh, "b": db, "Wy": dWy, "by": dby}

    return loss, None, params


def lstm(bug: str | None):
    """One LSTM step with the gates i, f, o, g concatenated in Wx (3, 12), Wh (3, 12), b (12), in that order:
    a = x Wx + h_prev Wh + b, c = f ⊙ c_prev + i ⊙ g, h = o ⊙ tanh c, out = h Wy + by, MSE; batch 4, hidden 3,
    h_prev and c_prev given. Columns 0–2 are i, 3–5 f, 6–8 o, 9–11 g."""
    rng = np.random.default_rng(8)
    m, d, n, k = 4, 3, 3, 2
    params = {"Wx": 0.7 * rng.normal(size=(d, 4 * n)), "Wh": 0.7 * rng.normal(size=(n, 4 * n)),
              "b": 0.5 * rng.normal(size=4 * n), "Wy": rng.normal(size=(n, k)), "by": 0.3 * rng.normal(size=k)}
    x = rng.normal(size=(m, d))
    h_prev = rng.normal(size=(m, n))
    c_prev = rng.normal(size=(m, n))
    y = rng.normal(size=(m, k))

    def loss(p):
        a = x @ p["Wx"] + h_prev @ p["Wh"] + p["b"]       # all four gates' pre-activations, (m, 4n)
        i = sigmoid(a[:, :n])                             # input gate
        f = sigmoid(a[:, n:2 * n])                        # forget gate
        o = sigmoid(a[:, 2 * n:3 * n])                    # output gate
        g = np.tanh(a[:, 3 * n:])                         # candidate
        c = f * c_prev + i * g                            # c = f ⊙ c_prev + i ⊙ g
        tc = np.tanh(c)
        h = o * tc                                        # h = o ⊙ tanh c
        L, dout = mse(h @ p["Wy"] + p["by"], y)

        dWy = h.T @ dout
        dby = dout.sum(axis=0)
        dh = dout @ p["Wy"].T
        do = dh * tc                                      # ∂h/∂o = tanh c
        if bug == "no-tanh-prime":
            dc = dh * o                                   # BUG: tanh'(c) left out
        else:
            dc = dh * o * (1 - tc ** 2)                   # ∂h/∂c = o ⊙ (1 − tanh²c)
        di, df, dg = dc * g, dc * c_prev, dc * i          # ∂c/∂i = g, ∂c/∂f = c_prev, ∂c/∂g = i
        dai = di * i * (1 - i)                            # σ' = σ(1 − σ)
        if bug == "forget-tanh-prime":
            daf = df * (1 - f ** 2)                       # BUG: tanh' for a sigmoid gate
        else:
            daf = df * f * (1 - f)
        dao = do * o * (1 - o)
        dag = dg * (1 - g ** 2)                           # tanh' = 1 − tanh²
        if bug == "gate-order":
            da = np.concatenate([dai, daf, dag, dao], axis=1)   # BUG: i, f, g, o
        else:
            da = np.concatenate([dai, daf, dao, dag], axis=1)   # the forward's order: i, f, o, g
        dWx = x.T @ da
        dWh = h_prev.T @ da
        db = da.sum(axis=0)
        return L, {"Wx": dWx, "Wh": dWh, "b": db, "Wy": dWy, "by": dby}

    return loss, None, params


# A module-level weight, as a notebook leaves one behind: global_net's forward reads it where it should read p["W2"].
W2 = np.random.default_rng(9).normal(size=(5, 3))


def global_net(bug: str | None):
    """x (6, 4) → x W1 + b1 (4 → 5) → tanh → a1 W2 + b2 (5 → 3) → MSE; params["W2"] starts equal to the global W2."""
    rng = np.random.default_rng(10)
    m, d, h, k = 6, 4, 5, 3
    x = rng.normal(size=(m, d))
    y = rng.normal(size=(m, k))
    params = {"W1": rng.normal(size=(d, h)), "b1": 0.5 * rng.normal(size=h), "W2": W2.copy(),
              "b2": 0.5 * rng.normal(size=k)}
    model = dict(params)                                  # the training loop's dict, built once
    a1_cached = np.tanh(x @ params["W1"] + params["b1"])  # the hidden activations of a first forward pass

    def loss(p):
        if bug == "stale-W1":
            z1 = x @ model["W1"] + p["b1"]                # BUG: W1 from the dict built at the start, not p
        else:
            z1 = x @ p["W1"] + p["b1"]
        if bug == "cached-hidden":
            a1 = a1_cached                                # BUG: the first pass's activations reused
        else:
            a1 = np.tanh(z1)
        if bug == "global-W2":
            out = a1 @ W2 + p["b2"]                       # BUG: the module-level W2, not p["W2"]
        else:
            out = a1 @ p["W2"] + p["b2"]
        L, dout = mse(out, y)

        dW2 = a1.T @ dout
        db2 = dout.sum(axis=0)
        da1 = dout @ p["W2"].T
        dz1 = da1 * (1 - a1 ** 2)
        dW1 = x.T @ dz1
        db1 = dz1.sum(axis=0)
        return L, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    return loss, None, params


def embedding(bug: str | None):
    """Token embeddings E (6, 3) for 4 sequences of 3 tokens: e = E[idx], h = tanh(mean over the tokens of e),
    out = h W + b, MSE. Tokens 0–3 occur several times, token 4 once, token 5 never."""
    rng = np.random.default_rng(11)
    idx = np.array([[0, 2, 2], [1, 3, 0], [2, 4, 1], [3, 0, 2]])
    m, T = idx.shape
    v, d, k = 6, 3, 2
    y = rng.normal(size=(m, k))
    params = {"E": rng.normal(size=(v, d)), "W": rng.normal(size=(d, k)), "b": 0.3 * rng.normal(size=k)}

    def loss(p):
        e = p["E"][idx]                                   # e[i, t] = E[idx[i, t]], (m, T, d)
        hbar = e.mean(axis=1)                             # mean over the tokens
        h = np.tanh(hbar)
        L, dout = mse(h @ p["W"] + p["b"], y)

        dW = h.T @ dout
        db = dout.sum(axis=0)
        dhbar = (dout @ p["W"].T) * (1 - h ** 2)
        de = np.repeat(dhbar[:, None, :] / T, T, axis=1)  # ∂hbar/∂e[i, t] = 1/T
        dE = np.zeros_like(p["E"])
        if bug == "assign":
            dE[idx] = de                                  # BUG: a repeated token keeps its last occurrence only
        else:
            np.add.at(dE, idx, de)                        # every occurrence adds to its token's row
        return L, {"E": dE, "W": dW, "b": db}

    return loss, None, params


def conv1d(bug: str | None):
    """A 1-D convolution (cross-correlation) written with loops: kernel w (3,), bias b (1,), x (4, 8),
    u[:, t] = Σ_j w[j] x[:, t + j] + b for t = 0 … 5 → tanh → V (6, 2), c → MSE."""
    rng = np.random.default_rng(12)
    m, width, K, k = 4, 8, 3, 2
    x = rng.normal(size=(m, width))
    y = rng.normal(size=(m, k))
    params = {"w": rng.normal(size=K), "b": 0.3 * rng.normal(size=1), "V": rng.normal(size=(width - K + 1, k)),
              "c": 0.3 * rng.normal(size=k)}

    def loss(p):
        u = np.zeros((m, width - K + 1))
        for t in range(width - K + 1):
            for j in range(K):
                u[:, t] += p["w"][j] * x[:, t + j]        # u[:, t] = Σ_j w[j] x[:, t + j] …
            u[:, t] += p["b"][0]                          # … + b
        a = np.tanh(u)
        L, dout = mse(a @ p["V"] + p["c"], y)

        dV = a.T @ dout
        dc = dout.sum(axis=0)
        du = (dout @ p["V"].T) * (1 - a ** 2)
        dw, db = np.zeros(K), np.zeros(1)
        if bug == "off-by-one":
            steps = range(width - K)                      # BUG: the last output position is never visited
        else:
            steps = range(width - K + 1)                  # every output position t = 0 … width − K
        for t in steps:
            for j in range(K):
                if bug == "flipped":
                    dw[j] += du[:, t] @ x[:, t + K - 1 - j]   # BUG: the kernel flipped (convolution's indexing)
                else:
                    dw[j] += du[:, t] @ x[:, t + j]       # ∂u[:, t]/∂w[j] = x[:, t + j]
            db[0] += du[:, t].sum()                       # ∂u[:, t]/∂b = 1
        return L, {"w": dw, "b": db, "V": dV, "c": dc}

    return loss, None, params


def maxpool(bug: str | None):
    """x (6, 4) → z = x W1 + b1 (4 → 6) → max-pool over pairs of units (6 → 3) → W2 (3 → 2), b2 → MSE."""
    rng = np.random.default_rng(13)
    m, d, h, k = 6, 4, 6, 2
    x = rng.normal(size=(m, d))
    y = rng.normal(size=(m, k))
    params = {"W1": rng.normal(size=(d, h)), "b1": 0.5 * rng.normal(size=h),
              "W2": rng.normal(size=(h // 2, k)), "b2": 0.3 * rng.normal(size=k)}

    def loss(p):
        z = x @ p["W1"] + p["b1"]
        windows = z.reshape(m, h // 2, 2)                 # units (0, 1), (2, 3), (4, 5)
        pooled = windows.max(axis=2)
        L, dout = mse(pooled @ p["W2"] + p["b2"], y)

        dW2 = pooled.T @ dout
        db2 = dout.sum(axis=0)
        dpooled = dout @ p["W2"].T
        if bug == "whole-window":
            dz = np.repeat(dpooled, 2, axis=1)            # BUG: to every element of the window
        else:
            dz = ((windows == pooled[:, :, None]) * dpooled[:, :, None]).reshape(m, h)   # to each window's max only
        dW1 = x.T @ dz
        db1 = dz.sum(axis=0)
        return L, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}

    return loss, None, params


# --------------------------------------------------------------------------------------------------------------------
# The variants.
# --------------------------------------------------------------------------------------------------------------------


def _variant(name: str, category: str, family: Callable, bug: str, mistake: str, fix: str, wrong, truth: dict,
             **options) -> Variant:
    def build(buggy: bool):
        return family(bug if buggy else None, **options)

    return Variant(name, category, mistake, fix, build, frozenset(wrong), truth)


ALL_TWO_LAYER = ("W1", "b1", "W2", "b2")
LSTM_GATES = ("Wx", "Wh", "b")

VARIANTS: list[Variant] = [
    # regularization -------------------------------------------------------------------------------------------------
    _variant("l2-gradient-2-lambda", "regularization", two_layer, "l2-2-lambda",
             "The loss adds ½λ(‖W1‖² + ‖W2‖²) but the backward adds 2λW to each weight's gradient.",
             "d/dW ½λ‖W‖² = λW.", {"W1", "W2"},
             {"hypothesis": "proportional-to-param", "coefficient": 0.1, "param": ["W1", "W2"],
              "line": 'dW1 += 2 * lam * p["W1"]'}, reg="l2"),
    _variant("l2-forgotten-for-W1", "regularization", two_layer, "l2-forgotten-W1",
             "The loss regularizes W1 and W2 but the backward adds λW2 to dW2 only; W1's term λW1 is never added.",
             "Every weight in ½λΣ‖W‖² gets its own λW in its gradient.", {"W1"},
             {"hypothesis": "proportional-to-param", "coefficient": -0.1, "param": "W1",
              "line": 'dW2 += lam * p["W2"]'}, reg="l2"),
    _variant("l2-applied-to-bias", "regularization", two_layer, "l2-on-bias",
             "The loss regularizes only the weights but the backward also adds λb to both bias gradients.",
             "Only terms in the loss get a gradient: no ½λ‖b‖² in the loss, no λb in db.", {"b1", "b2"},
             {"hypothesis": "proportional-to-param", "coefficient": 0.1, "param": ["b1", "b2"],
              "line": 'db1 += lam * p["b1"]'}, reg="l2"),
    _variant("l2-lambda-over-m-mismatch", "regularization", two_layer, "l2-lambda-not-over-m",
             "The loss adds λ/(2m)(‖W1‖² + ‖W2‖²) but the backward adds λW, not (λ/m)W.",
             "d/dW λ/(2m)‖W‖² = (λ/m)W: the same λ/m in the loss and in the gradient.", {"W1", "W2"},
             {"hypothesis": "proportional-to-param", "coefficient": 0.1 * (1 - 1 / 6), "param": ["W1", "W2"],
              "line": 'dW1 += lam * p["W1"]'}, reg="l2/m"),
    _variant("l1-gradient-wrong-sign", "regularization", two_layer, "l1-sign",
             "The loss adds λ(|W1|₁ + |W2|₁) but the backward subtracts λ·sign(W) instead of adding it.",
             "d/dW λ|W|₁ = λ·sign(W).", {"W1", "W2"},
             {"hypothesis": "other", "note": "d = −2λ·sign(W) in every entry, λ = 0.1",
              "line": 'dW1 -= lam * np.sign(p["W1"])'}, reg="l1"),
    # batchnorm ------------------------------------------------------------------------------------------------------
    _variant("batchnorm-dx-drops-variance-term", "batchnorm", batchnorm_net, "no-variance-term",
             "The batch-norm backward computes dz = (dx̂ − mean(dx̂)) / σ, leaving out the term −x̂·mean(dx̂ ⊙ x̂) of "
             "the path through the variance.",
             "dz = (dx̂ − mean(dx̂) − x̂ ⊙ mean(dx̂ ⊙ x̂)) / √(σ² + ε), means over the batch.", {"W1"},
             {"hypothesis": "other", "note": "b1's gradient stays 0, right: the kept terms still sum to 0 over the "
              "batch", "line": "dz = (dxhat - dxhat.mean(axis=0)) / std"}),
    _variant("batchnorm-dgamma-forgets-xhat", "batchnorm", batchnorm_net, "dgamma-no-xhat",
             "dgamma is computed as Σ_i du[i], without the factor x̂, so it equals dbeta; b1's gradient is right (0).",
             "∂L/∂γ = Σ_i du[i] ⊙ x̂[i].", {"gamma"},
             {"hypothesis": "copy-of-other", "source": "beta", "line": "dgamma = du.sum(axis=0)"}),
    _variant("batchnorm-dbeta-wrong-axis", "batchnorm", batchnorm_net, "dbeta-axis-1",
             "dbeta sums the upstream gradient over the units (axis 1) instead of over the batch (axis 0); with batch "
             "= width the shape still fits.",
             "∂L/∂β = Σ_i du[i]: sum over the batch axis, one entry per unit.", {"beta"},
             {"hypothesis": "other", "line": "dbeta = du.sum(axis=1)"}),
    _variant("batchnorm-db1-from-bn-output", "batchnorm", batchnorm_net, "db1-from-bn-output",
             "The bias before batch norm gets the gradient at batch norm's output (Σ_i du[i], i.e. dbeta) instead of "
             "the sum of dz, which is 0 because the batch mean cancels b1.",
             "A bias followed by batch norm has gradient 0 (Σ_i dz[i] = 0): the loss does not depend on it.", {"b1"},
             {"hypothesis": "disconnected", "source": "beta",
              "note": "the loss does not depend on b1 (the batch mean removes it); analytic db1 equals dbeta",
              "line": "db1 = du.sum(axis=0)"}),
    # layernorm ------------------------------------------------------------------------------------------------------
    _variant("layernorm-backward-wrong-axis", "layernorm", layernorm_net, "wrong-axis",
             "The layer-norm backward takes its means over the batch (axis 0, batch norm's formula) while the forward "
             "normalised over each example's units (axis 1).",
             "Layer norm's backward takes the means of dx̂ and dx̂ ⊙ x̂ over the same axis as the forward: axis 1.",
             {"W1", "b1"},
             {"hypothesis": "other",
              "line": "dz = (dxhat - dxhat.mean(axis=0) - xhat * (dxhat * xhat).mean(axis=0)) / std"}),
    _variant("layernorm-dgamma-forgets-xhat", "layernorm", layernorm_net, "dgamma-no-xhat",
             "dgamma is computed as Σ_i du[i], without the factor x̂, so it equals dbeta.",
             "∂L/∂γ = Σ_i du[i] ⊙ x̂[i].", {"gamma"},
             {"hypothesis": "copy-of-other", "source": "beta", "line": "dgamma = du.sum(axis=0)"}),
    _variant("layernorm-dgamma-uses-unnormalised-input", "layernorm", layernorm_net, "dgamma-uses-z",
             "dgamma multiplies the upstream gradient by the layer norm's input z instead of the normalised x̂.",
             "∂L/∂γ = Σ_i du[i] ⊙ x̂[i], with x̂ = (z − μ)/σ the normalised input.", {"gamma"},
             {"hypothesis": "other", "line": "dgamma = (du * z).sum(axis=0)"}),
    # dropout --------------------------------------------------------------------------------------------------------
    _variant("dropout-backward-forgets-1-over-p", "dropout", dropout_net, "no-1-over-p",
             "The forward scales the kept activations by 1/p (inverted dropout) but the backward multiplies by the "
             "mask only, without 1/p.",
             "ad = a ⊙ mask / p, so ∂ad/∂a = mask / p.", {"W1", "b1"},
             {"hypothesis": "scaled", "coefficient": 0.5, "line": "da1 = dad * drop"}),
    _variant("dropout-backward-without-mask", "dropout", dropout_net, "no-mask",
             "The backward divides by p but leaves out the dropout mask, so gradient flows through the units the "
             "forward dropped (a mask per example and unit).",
             "ad = a ⊙ mask / p, so ∂ad/∂a = mask / p: a dropped unit gets no gradient.", {"W1", "b1"},
             {"hypothesis": "masked", "mask_on": "activations", "line": "da1 = dad / keep"}),
    _variant("dropout-unit-mask-forgotten", "dropout", dropout_net, "no-mask",
             "The backward leaves out the dropout mask, and the mask drops hidden units 1 and 4 for the whole batch, "
             "so their columns of W1 and entries of b1 get gradient while the loss does not depend on them.",
             "ad = a ⊙ mask / p, so ∂ad/∂a = mask / p: a dropped unit gets no gradient.", {"W1", "b1"},
             {"hypothesis": "masked", "mask_on": "entries", "columns": [1, 4], "line": "da1 = dad / keep"},
             mask="unit"),
    _variant("dropconnect-backward-forgets-weight-mask", "dropout", dropout_net, "dropconnect-no-mask",
             "The forward multiplies W2 by a fixed 0/1 mask (DropConnect) but dW2 = adᵀ ds leaves the mask out, so "
             "dropped weights get gradient.",
             "W2_used = W2 ⊙ M, so ∂L/∂W2 = (adᵀ ds) ⊙ M.", {"W2"},
             {"hypothesis": "masked", "mask_on": "entries", "line": "dW2 = ad.T @ ds"}, mask="weight"),
    _variant("dropout-fresh-mask-every-call", "dropout", dropout_net, "fresh-mask",
             "The loss draws a new dropout mask on every call, so it returns different values at the same point.",
             "For a gradient check the mask is fixed: draw it once, outside the loss (or reseed inside).",
             set(ALL_TWO_LAYER),
             {"hypothesis": "noisy-loss", "line": "drop = (draws.random((m, h)) < keep).astype(float)"}),
    # softmax-ce -----------------------------------------------------------------------------------------------------
    _variant("ce-dscores-columns-not-rows", "softmax-ce", two_layer, "columns-not-rows",
             "The softmax gradient subtracts 1 with ds[:, y] -= 1, in every row of each label's column, instead of "
             "once per example at ds[np.arange(m), y].",
             "∂L/∂s[i, j] = (softmax(s)[i, j] − 1[j = y_i]) / m: one 1 per row.", set(ALL_TWO_LAYER),
             {"hypothesis": "loss-derivative", "line": "ds[:, y] -= 1"}),
    _variant("ce-missing-divide-by-m", "softmax-ce", two_layer, "no-mean",
             "The loss is the mean over the batch of 6 but the backward never divides dscores by m.",
             "L = (1/m) Σ_i ℓ_i, so ∂L/∂s = (softmax(s) − onehot(y)) / m.", set(ALL_TWO_LAYER),
             {"hypothesis": "scaled", "coefficient": 6.0, "absent": True, "line": "ds /= m"}),
    _variant("ce-softmax-wrong-axis-in-backward", "softmax-ce", two_layer, "softmax-axis-0",
             "The backward recomputes the softmax normalising over the batch (axis 0) instead of over the classes.",
             "softmax(s)[i, j] = exp(s[i, j]) / Σ_j' exp(s[i, j']): each row sums to 1.", set(ALL_TWO_LAYER),
             {"hypothesis": "loss-derivative",
              "line": "prob = np.exp(shift) / np.exp(shift).sum(axis=0, keepdims=True)"}),
    _variant("ce-log-softmax-gradient-unnormalised-exp", "softmax-ce", two_layer, "unnormalised-exp",
             "The gradient of −log softmax uses exp(s − max s) without dividing by the row sum.",
             "∂/∂s (−log softmax(s)[y]) = softmax(s) − onehot(y), softmax = exp(s) / Σ exp(s).", set(ALL_TWO_LAYER),
             {"hypothesis": "loss-derivative", "line": "prob = np.exp(shift)"}),
    _variant("ce-error-written-onehot-minus-probs", "softmax-ce", two_layer, "onehot-minus-probs",
             "dscores is written onehot(y) − softmax(s), the negative of the gradient.",
             "∂L/∂s = (softmax(s) − onehot(y)) / m.", set(ALL_TWO_LAYER),
             {"hypothesis": "sign-flipped", "coefficient": -1.0, "line": "ds = np.eye(classes)[y] - prob"}),
    # rnn-lstm -------------------------------------------------------------------------------------------------------
    _variant("rnn-dWh-assigned-not-accumulated", "rnn-lstm", rnn, "dWh-assigned",
             "Inside the loop over time steps dWh is assigned (=) instead of accumulated (+=), so only the term of "
             "the last step visited (t = 0, with the given h_0) is kept.",
             "A weight shared over time steps has the sum of every step's term: dWh += h_tᵀ dz_t.", {"Wh"},
             {"hypothesis": "not-accumulated", "line": "dWh = hs[t].T @ dz"}),
    _variant("rnn-dWh-assigned-zero-initial-state", "rnn-lstm", rnn, "dWh-assigned",
             "dWh is assigned (=) instead of accumulated (+=) over time steps, and the term kept (step 0) is h_0ᵀ dz "
             "with h_0 = 0, so dWh is 0.",
             "A weight shared over time steps has the sum of every step's term: dWh += h_tᵀ dz_t.", {"Wh"},
             {"hypothesis": "zero-gradient", "line": "dWh = hs[t].T @ dz"}, h0_zero=True),
    _variant("rnn-dh-carry-forgotten", "rnn-lstm", rnn, "no-carry",
             "The backward through time takes dh of each step from that step's output only, leaving out dh_next "
             "carried back from the later steps.",
             "∂L/∂h_t = (∂L_t/∂out_t) Wyᵀ + dz_{t+1} Whᵀ: the step's own output and every later step.",
             {"Wx", "Wh", "b"}, {"hypothesis": "other", "line": 'dh = douts[t] @ p["Wy"].T'}),
    _variant("lstm-forget-gate-tanh-derivative", "rnn-lstm", lstm, "forget-tanh-prime",
             "The forget gate's derivative is written 1 − f² (tanh's) although f = σ(a_f) is a sigmoid.",
             "σ'(a) = σ(a)(1 − σ(a)): daf = df ⊙ f ⊙ (1 − f).", set(LSTM_GATES),
             {"hypothesis": "local", "columns": [3, 4, 5], "blocks": [1],
              "note": "columns 3–5 of Wx and Wh and entries 3–5 of b (the forget block, gate 2 of 4) are wrong",
              "line": "daf = df * (1 - f ** 2)"}),
    _variant("lstm-cell-path-missing-tanh-prime", "rnn-lstm", lstm, "no-tanh-prime",
             "The gradient into the cell is written dh ⊙ o, leaving out tanh'(c) = 1 − tanh²c.",
             "h = o ⊙ tanh c, so ∂L/∂c = dh ⊙ o ⊙ (1 − tanh²c).", set(LSTM_GATES),
             {"hypothesis": "local", "columns": [0, 1, 2, 3, 4, 5, 9, 10, 11], "blocks": [0, 1, 3],
              "note": "the i, f and g blocks (through c) are wrong; the o block is right",
              "line": "dc = dh * o"}),
    _variant("lstm-gate-order-swapped-in-backward", "rnn-lstm", lstm, "gate-order",
             "The backward concatenates the gate gradients in the order i, f, g, o; the forward slices i, f, o, g.",
             "Concatenate the gate gradients in the forward's order.", set(LSTM_GATES),
             {"hypothesis": "wrong-indices", "columns": [6, 7, 8, 9, 10, 11], "blocks": [2, 3],
              "note": "the o and g blocks hold each other's gradients",
              "line": "da = np.concatenate([dai, daf, dag, dao], axis=1)"}),
    # copy-paste -----------------------------------------------------------------------------------------------------
    _variant("copy-paste-db2-is-db1", "copy-paste", square, "db2-is-db1",
             'The returned dict maps "b2" to db1, a gradient of the same shape copied from the line for b1.',
             "Each parameter's entry is its own gradient: b2 → db2.", {"b2"},
             {"hypothesis": "copy-of-other", "source": "b1",
              "line": 'return L, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db1, "W3": dW3, "b3": db3}'}),
    _variant("copy-paste-dW2-is-dW1-transposed", "copy-paste", two_layer, "dW2-is-dW1-T",
             'The returned dict maps "W2" to dW1.T, which has W2\'s shape (5, 4).',
             "Each parameter's entry is its own gradient: W2 → dW2 = a1ᵀ ds.", {"W2"},
             {"hypothesis": "copy-of-other", "source": "W1", "transposed": True,
              "line": 'return L, {"W1": dW1, "b1": db1, "W2": dW1.T, "b2": db2}'}, classes=4),
    _variant("copy-paste-same-gradient-for-two-weights", "copy-paste", square, "W3-gets-dW2",
             'The returned dict maps both "W2" and "W3" to dW2.',
             "Each parameter's entry is its own gradient: W3 → dW3 = a2ᵀ dout.", {"W3"},
             {"hypothesis": "copy-of-other", "source": "W2",
              "line": 'return L, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2, "W3": dW2, "b3": db3}'}),
    # transpose ------------------------------------------------------------------------------------------------------
    _variant("transpose-dW-is-dZ-T-x", "transpose", square, "dW2-transposed",
             "dW2 is computed as dz2ᵀ a1, the transpose of a1ᵀ dz2; the layer is square so the shape fits.",
             "For z = a W, ∂L/∂W = aᵀ dz.", {"W2"},
             {"hypothesis": "transposed", "line": "dW2 = dz2.T @ a1"}),
    _variant("transpose-dx-uses-W-not-W-T", "transpose", square, "dx-uses-W",
             "The gradient sent back to layer 1 is dz2 W2 instead of dz2 W2ᵀ (square W2, so the shape fits); layer 2's "
             "own gradients are right and the error appears in layer 1's.",
             "For z = a W, ∂L/∂a = dz Wᵀ.", {"W1", "b1"},
             {"hypothesis": "other", "line": 'da1 = dz2 @ p["W2"]'}),
    _variant("transpose-weights-stored-out-by-in", "transpose", out_by_in, "in-by-out",
             "The weights are stored (out, in) and used as z = a Wᵀ, but the backward writes dW = aᵀ dz, the "
             "gradient of an (in, out) weight.",
             "For z = a Wᵀ, ∂L/∂W = dzᵀ a, of shape (out, in).", {"W1", "W2"},
             {"hypothesis": "transposed", "line": "dW2 = a1.T @ dout"}),
    # broadcasting ---------------------------------------------------------------------------------------------------
    _variant("broadcast-db-scalar-sum", "broadcasting", square, "db3-scalar",
             "db3 adds dout.sum() (over the batch and the outputs, a scalar) into the bias buffer, so every entry "
             "gets the same total.",
             "∂L/∂b = Σ_i dz[i]: db = dz.sum(axis=0), one entry per unit.", {"b3"},
             {"hypothesis": "other", "note": "every entry of db3 equals the sum of the true db3's entries",
              "line": "db3 += dout.sum()"}),
    _variant("broadcast-db-sum-axis-1", "broadcasting", square, "db2-axis-1",
             "db2 sums dz2 over axis 1 (the units) instead of axis 0 (the batch); batch = width = 5: the shape fits.",
             "∂L/∂b = Σ_i dz[i]: db = dz.sum(axis=0).", {"b2"},
             {"hypothesis": "other", "line": "db2 = dz2.sum(axis=1)"}),
    _variant("broadcast-db-not-reduced", "broadcasting", two_layer, "db1-not-reduced",
             "db1 is dz1 itself, one row per example, not summed over the batch.",
             "∂L/∂b = Σ_i dz[i]: db = dz.sum(axis=0).", {"b1"},
             {"hypothesis": "not-reduced-over-batch", "line": "db1 = dz1"}),
    # activation -----------------------------------------------------------------------------------------------------
    _variant("relu-backward-ignores-dout", "activation", two_layer, "relu-ignores-dout",
             "The ReLU backward returns (z1 > 0) as dz1, the local derivative alone, without multiplying by da1.",
             "dz = da ⊙ 1[z > 0]: the chain rule multiplies the local derivative by the upstream gradient.",
             {"W1", "b1"}, {"hypothesis": "not-scaling-with-upstream", "line": "dz1 = (z1 > 0).astype(float)"}),
    _variant("tanh-derivative-1-minus-a", "activation", two_layer, "tanh-1-minus-a",
             "The tanh backward multiplies by 1 − a instead of 1 − a².",
             "tanh'(z) = 1 − tanh²(z) = 1 − a².", {"W1", "b1"},
             {"hypothesis": "other", "line": "dz1 = da1 * (1 - a1)"}, act="tanh"),
    _variant("tanh-derivative-applies-tanh-again", "activation", two_layer, "tanh-of-a",
             "The tanh backward computes 1 − tanh(a)² from the activation a = tanh(z), applying tanh twice.",
             "tanh'(z) = 1 − tanh²(z) = 1 − a², with a the forward's output.", {"W1", "b1"},
             {"hypothesis": "other", "line": "dz1 = da1 * (1 - np.tanh(a1) ** 2)"}, act="tanh"),
    _variant("sigmoid-derivative-from-z", "activation", two_layer, "sigmoid-from-z",
             "The sigmoid backward multiplies by z(1 − z), the pre-activation, instead of a(1 − a).",
             "σ'(z) = σ(z)(1 − σ(z)) = a(1 − a).", {"W1", "b1"},
             {"hypothesis": "other", "line": "dz1 = da1 * z1 * (1 - z1)"}, act="sigmoid"),
    _variant("leaky-relu-backward-slope-wrong", "activation", two_layer, "leaky-slope",
             "The leaky-ReLU forward uses slope 0.01 for negative inputs but the backward uses 0.1.",
             "leaky'(z) = 1 for z > 0, and the forward's slope (0.01) for z < 0.", {"W1", "b1"},
             {"hypothesis": "other", "note": "d comes only from the examples where z1 < 0",
              "line": "dz1 = da1 * np.where(z1 > 0, 1.0, 0.1)"}, act="leaky"),
    # global-read ----------------------------------------------------------------------------------------------------
    _variant("global-W2-read-in-forward", "global-read", global_net, "global-W2",
             'The forward reads the module-level W2 instead of p["W2"], so the loss does not depend on the W2 it is '
             "given.",
             "The forward reads every parameter from the params it is passed.", {"W2"},
             {"hypothesis": "disconnected", "line": 'out = a1 @ W2 + p["b2"]'}),
    _variant("global-stale-model-dict-W1", "global-read", global_net, "stale-W1",
             'The forward reads W1 from a dict built once at the start (model["W1"]) instead of p["W1"], a stale '
             "copy the check's perturbations never reach.",
             "The forward reads every parameter from the params it is passed.", {"W1"},
             {"hypothesis": "disconnected", "line": 'z1 = x @ model["W1"] + p["b1"]'}),
    _variant("global-cached-hidden-activations", "global-read", global_net, "cached-hidden",
             "The forward reuses hidden activations computed once at build time, so the loss does not depend on W1 "
             "or b1.",
             "Recompute every activation from the params on every forward pass.", {"W1", "b1"},
             {"hypothesis": "disconnected", "line": "a1 = a1_cached"}),
    # layers-misc ----------------------------------------------------------------------------------------------------
    _variant("embedding-backward-assigns-repeated-rows", "layers-misc", embedding, "assign",
             "The embedding backward writes dE[idx] = de, so for a token that occurs several times only its last "
             "occurrence's gradient is kept.",
             "dE[v] = Σ over the occurrences of token v: np.add.at(dE, idx, de).", {"E"},
             {"hypothesis": "not-accumulated", "rows": [0, 1, 2, 3], "note": "token 4 occurs once (right), 5 never",
              "line": "dE[idx] = de"}),
    _variant("conv1d-backward-off-by-one", "layers-misc", conv1d, "off-by-one",
             "The backward loop over output positions runs to width − K − 1, one short, so the last position's "
             "gradient never reaches w and b.",
             "Loop over every output position t = 0 … width − K, the forward's range.", {"w", "b"},
             {"hypothesis": "other", "line": "steps = range(width - K)"}),
    _variant("conv1d-backward-flipped-kernel", "layers-misc", conv1d, "flipped",
             "The kernel gradient pairs w[j] with x[t + K − 1 − j] (a flipped kernel) while the forward uses "
             "x[t + j].",
             "u[t] = Σ_j w[j] x[t + j], so ∂L/∂w[j] = Σ_t du[t] x[t + j].", {"w"},
             {"hypothesis": "wrong-indices", "blocks": [0, 2], "note": "dw is reversed: entries 0 and 2 swap, 1 right",
              "line": "dw[j] += du[:, t] @ x[:, t + K - 1 - j]"}),
    _variant("maxpool-backward-routes-to-whole-window", "layers-misc", maxpool, "whole-window",
             "The max-pool backward sends each window's gradient to both of its elements instead of to the max only.",
             "max-pool passes the gradient to the argmax of each window; the other elements get 0.", {"W1", "b1"},
             {"hypothesis": "masked", "mask_on": "activations", "line": "dz = np.repeat(dpooled, 2, axis=1)"}),
    _variant("x-of-layer-1-reused-in-layer-2", "layers-misc", square, "dW2-uses-x",
             "dW2 is computed from the network's input x (layer 1's input) instead of layer 2's input a1.",
             "∂L/∂W2 = a1ᵀ dz2, with a1 the input layer 2 received.", {"W2"},
             {"hypothesis": "other", "line": "dW2 = x.T @ dz2"}),
]
