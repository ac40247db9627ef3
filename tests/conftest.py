"""Shared test problems: small losses with known gradients."""

import numpy as np
import pytest
from hypothesis import settings

pytest_plugins = ["pytester"]

# Seeded everywhere: hypothesis derives its examples from each test's name, so a run is repeatable.
settings.register_profile("seeded", derandomize=True, database=None)
settings.load_profile("seeded")


def sigmoid(z):
    with np.errstate(over="ignore"):  # e⁻ᶻ overflows to inf for large negative z, and 1/(1 + inf) = 0 is right
        return 1.0 / (1.0 + np.exp(-z))  # complex-analytic, for the complex-step tests


def mlp(x, y, activation="sigmoid"):
    """A two-layer MLP's loss and correct gradients, ½·Σ(out − y)² with a tanh or sigmoid hidden layer."""

    def loss_and_grad(p):
        z1 = x @ p["W1"] + p["b1"]
        h = sigmoid(z1) if activation == "sigmoid" else np.tanh(z1)
        out = h @ p["W2"] + p["b2"]
        d_out = out - y
        dh = d_out @ p["W2"].T
        dz1 = dh * (h * (1 - h) if activation == "sigmoid" else 1 - h**2)
        grads = {"W1": x.T @ dz1, "b1": dz1.sum(0, keepdims=True), "W2": h.T @ d_out, "b2": d_out.sum(0, keepdims=True)}
        return 0.5 * np.sum(d_out**2), grads

    return loss_and_grad


# The start of a case file used by several tests: a problem whose gradient is scaled by `scale`,
# one case that passes and one that fails as expected.
CASE_FILE = """
import numpy as np
import gradcheck

def problem(scale):
    return gradcheck.Problem(lambda p: float(np.sum(p ** 2)), lambda p: scale * 2 * p, np.array([1.0, 2.0]))

@gradcheck.case
def right():
    return problem(1.0)

@gradcheck.case(expect="fail", kinds={"param": "sign-flipped"})
def flipped():
    return problem(-1.0)
"""


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def mlp_problem(rng, m=8, d=3, n1=4, n2=2, scale=1.0, dtype=np.float64, activation="sigmoid"):
    x = rng.normal(size=(m, d))
    y = rng.normal(size=(m, n2))
    params = {
        "W1": (scale * rng.normal(size=(d, n1))).astype(dtype),
        "b1": rng.normal(size=(1, n1)).astype(dtype),
        "W2": rng.normal(size=(n1, n2)).astype(dtype),
        "b2": rng.normal(size=(1, n2)).astype(dtype),
    }
    return mlp(x, y, activation), params
