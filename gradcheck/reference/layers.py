"""Reference layers: forward and backward for dense layers and activations, and the documented wrong backwards.

The protocol check_network reads: ``forward(x) -> out``, ``backward(dout) -> dx``,
a ``params`` dict of arrays and a ``grads`` dict that ``backward`` fills.
"""

from __future__ import annotations

import numpy as np


class Layer:
    """A layer with no parameters."""

    name = "Layer"

    def __init__(self) -> None:
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def __repr__(self) -> str:
        return self.name


class Linear(Layer):
    """z = x W + b, batch in rows."""

    name = "Linear"

    def __init__(self, W, b) -> None:
        super().__init__()
        self.params = {"W": W, "b": b}

    def forward(self, x):
        self.x = x
        return x @ self.params["W"] + self.params["b"]              # z = x W + b

    def backward(self, dz):
        self.grads = {"W": self.x.T @ dz,                            # dW = xᵀ dz
                      "b": dz.sum(axis=0, keepdims=True)}            # db = Σ_batch dz
        return dz @ self.params["W"].T                               # dx = dz Wᵀ


class LinearBiasNotSummed(Linear):
    """B2: the bias gradient keeps one row per example."""

    def backward(self, dz):
        dx = super().backward(dz)
        self.grads["b"] = dz                                         # db = dz, not Σ_batch dz
        return dx


class LinearColumnSumOfWeightGradient(Linear):
    """B4: the error sent back is the column sum of dWᵀ instead of dz Wᵀ."""

    def backward(self, dz):
        super().backward(dz)
        return np.broadcast_to(self.grads["W"].T.sum(axis=0, keepdims=True), self.x.shape).copy()


class AugmentedLinear(Layer):
    """net = W · [x; 1], column layout: the bias is the last column of W."""

    name = "AugmentedLinear"

    def __init__(self, W) -> None:
        super().__init__()
        self.params = {"W": W}

    def forward(self, x):
        self.x1 = np.vstack([x, np.ones((1, x.shape[1]))])          # [x; 1]
        return self.params["W"] @ self.x1                           # net = W [x; 1]

    def backward(self, dnet):
        self.grads = {"W": dnet @ self.x1.T}                        # dW = dnet [x; 1]ᵀ
        return self.params["W"][:, :-1].T @ dnet                    # dx = W (no bias column)ᵀ dnet


class Sigmoid(Layer):
    """y = σ(z); backward dz = dy ⊙ y(1 − y)."""

    name = "Sigmoid"

    def forward(self, z):
        self.z, self.y = z, 1.0 / (1.0 + np.exp(-z))
        return self.y

    def backward(self, dy):
        return dy * self.y * (1 - self.y)                           # σ'(z) = σ(z)(1 − σ(z))


class SigmoidOnUpstream(Sigmoid):
    """B1: the sigmoid derivative applied to the upstream gradient: dz = dy ⊙ (1 − dy)."""

    def backward(self, dy):
        return dy * (1 - dy)


class SigmoidOnPreactivation(Sigmoid):
    """B5: the sigmoid derivative formula evaluated on the pre-activation: dz = dy ⊙ z(1 − z)."""

    def backward(self, dy):
        return dy * self.z * (1 - self.z)


class SigmoidForDerivative(Sigmoid):
    """B11: σ(z) used where σ'(z) belongs: dz = dy ⊙ σ(z)."""

    def backward(self, dy):
        return dy * self.y


class Tanh(Layer):
    """y = tanh(z); backward dz = dy ⊙ (1 − y²)."""

    name = "Tanh"

    def forward(self, z):
        self.z, self.y = z, np.tanh(z)
        return self.y

    def backward(self, dy):
        return dy * (1 - self.y ** 2)                               # tanh'(z) = 1 − tanh²(z)


class TanhOneMinusTanh(Tanh):
    """tanh′ written 1 − tanh instead of 1 − tanh²."""

    def backward(self, dy):
        return dy * (1 - self.y)


class ReLU(Layer):
    """y = max(z, 0); backward dz = dy ⊙ [z > 0]."""

    name = "ReLU"

    def forward(self, z):
        self.z = z
        return np.maximum(z, 0)

    def backward(self, dy):
        return dy * (self.z > 0)                                    # ReLU'(z) = [z > 0]


class ReLUNegativeMask(ReLU):
    """ReLU′ written [z < 0], the mask reversed."""

    def backward(self, dy):
        return dy * (self.z < 0)


class Network:
    """Layers applied in order; backward runs them in reverse."""

    def __init__(self, layers) -> None:
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, dout):
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout
