"""Activation fingerprints: which derivative an elementwise activation's backward applied, read from its values."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Elementwise activations, recognised by their values, with the derivative
# each backward should apply and the wrong ones people write instead.
_NO_DERIVATIVE = ("no derivative at all: the upstream gradient passed through unchanged",
                  lambda z, y, d: np.ones_like(z))
_ACTIVATIONS = {
    "sigmoid": (lambda z: 1.0 / (1.0 + np.exp(-z)), "σ'(z) = σ(z)(1 − σ(z))", lambda z, y, d: y * (1 - y), {
        "z(1−z)": ("the derivative formula evaluated on the pre-activation z instead of the activation σ(z)",
                   lambda z, y, d: z * (1 - z)),
        "σ": ("the activation σ(z) itself in place of its derivative", lambda z, y, d: y),
        "d(1−d)": ("the derivative formula applied to the upstream gradient d instead of the activation",
                   lambda z, y, d: 1 - d),
        "none": _NO_DERIVATIVE,
    }),
    "tanh": (np.tanh, "tanh'(z) = 1 − tanh²(z)", lambda z, y, d: 1 - y ** 2, {
        "1−z²": ("the derivative formula evaluated on the pre-activation z instead of tanh(z)",
                 lambda z, y, d: 1 - z ** 2),
        "1−tanh": ("tanh′ written 1 − tanh instead of 1 − tanh²", lambda z, y, d: 1 - y),
        "tanh": ("the activation tanh(z) itself in place of its derivative", lambda z, y, d: y),
        "1−d²": ("the derivative formula applied to the upstream gradient d", lambda z, y, d: 1 - d ** 2),
        "none": _NO_DERIVATIVE,
    }),
    "relu": (lambda z: np.maximum(z, 0), "ReLU'(z) = [z > 0]", lambda z, y, d: (z > 0).astype(float), {
        "z<0": ("ReLU′ written [z < 0], the mask reversed", lambda z, y, d: (z < 0).astype(float)),
        "relu": ("the activation max(z, 0) itself in place of its derivative", lambda z, y, d: y),
        "d>0": ("the mask taken from the upstream gradient [d > 0] instead of the pre-activation",
                lambda z, y, d: (d > 0).astype(float)),
        "none": _NO_DERIVATIVE,
    }),
}


@dataclass(frozen=True)
class Fingerprint:
    """Which derivative an elementwise activation's backward applied."""

    activation: str
    formula: str  # short name of the applied derivative, e.g. "d(1−d)", or "correct"
    text: str
    rule: str


def activation_fingerprint(z, y, upstream, dz) -> Fingerprint | None:
    """Recognise the activation from ``y = f(z)`` and name the derivative that ``dz = backward(upstream)`` applied.

    The applied derivative is ``dz / upstream`` entry by entry; it is compared
    with the correct derivative and with the known wrong formulas. None when
    the activation is not recognised or no formula matches.
    """
    z, y, d, dz = (np.asarray(a, dtype=np.float64) for a in (z, y, upstream, dz))
    if not (z.shape == y.shape == d.shape == dz.shape) or z.size == 0:
        return None
    usable = np.abs(d) > 1e-8
    applied = dz[usable] / d[usable]
    for name, (f, rule, right, wrong) in _ACTIVATIONS.items():
        if not np.allclose(f(z), y, rtol=1e-6, atol=1e-9):
            continue
        candidates = {"correct": ("the correct derivative", right), **wrong}
        for formula, (text, fn) in candidates.items():
            expected = np.broadcast_to(fn(z, y, d), z.shape)[usable]
            if np.allclose(applied, expected, rtol=1e-5, atol=1e-8):
                return Fingerprint(name, formula, text, rule)
        return Fingerprint(name, "unknown", "a derivative that matches no known formula", rule)
    return None
