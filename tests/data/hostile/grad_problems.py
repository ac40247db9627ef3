import numpy as np
import gradcheck

P = {"W": np.arange(6.0).reshape(2, 3), "b": np.ones(3)}


def loss(p):
    return float(np.sum(p["W"] ** 2) + np.sum(p["b"]))


def right(p):
    return {"W": 2 * p["W"], "b": np.ones(3)}


@gradcheck.case
def grad_returns_a_list():
    return gradcheck.Problem(loss, lambda p: list(right(p).values()), P)


@gradcheck.case
def grad_returns_integer_arrays():
    return gradcheck.Problem(loss, lambda p: {"W": (2 * p["W"]).astype(int), "b": np.ones(3, dtype=int)}, P)


@gradcheck.case
def grad_returns_a_wrong_shape():
    return gradcheck.Problem(loss, lambda p: {"W": 2 * p["W"].T, "b": np.ones((4, 3))}, P)


@gradcheck.case
def grad_returns_extra_keys():
    return gradcheck.Problem(loss, lambda p: {**right(p), "momentum": np.zeros(3)}, P)
