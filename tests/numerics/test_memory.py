"""What a check holds: chunked passes that give what whole-array ones gave, and no more arrays than needed."""

import tracemalloc

import numpy as np
import pytest

import gradcheck
from gradcheck.numerics.compare import CHUNK, same_values
from gradcheck.numerics.directional import Directional, Directions

K = 8  # the loss reads this many entries: a full check of many entries stays quick


def few_entries_loss(p):
    v = p["x"][:K]
    return float(v @ v) + 0.1 * float(p["x"][-1])


def few_entries_grad(p):
    g = np.zeros_like(p["x"])
    g[:K] = 2 * p["x"][:K]
    g[-1] = 0.1
    return {"x": g}


def peak_over_parameters(mode, size, workers=1):
    x = np.random.default_rng(0).normal(size=size)
    tracemalloc.start()
    try:
        gradcheck.check(few_entries_loss, few_entries_grad, {"x": x}, mode=mode, workers=workers)
        return tracemalloc.get_traced_memory()[1] / x.nbytes
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("mode, most", [("full", 6.0), ("probe", 4.0)])
def test_a_check_holds_a_few_arrays_of_the_parameters_size(mode, most):
    # tracemalloc counts numpy's arrays; at 16·CHUNK entries the chunks' scratch is a small share of the whole
    assert peak_over_parameters(mode, 16 * CHUNK) < most


def test_a_loss_that_fails_in_a_later_chunk_is_named_at_its_own_entry():
    size = 3 * CHUNK

    def loss(p):
        if p["x"][2 * CHUNK + 5] != 0.0:
            raise ValueError("moved")
        return float(np.sum(p["x"][:4] ** 2))

    with pytest.raises(gradcheck.CheckError, match=f"when entry {2 * CHUNK + 5} of 'x' was moved by"):
        gradcheck.check(loss, lambda p: {"x": 2 * p["x"] * (np.arange(size) < 4)}, {"x": np.zeros(size)},
                        mode="full", workers=1)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_chunked_full_check_finds_a_wrong_entry_in_any_chunk(workers):
    size = 3 * CHUNK + 17
    x = np.random.default_rng(1).normal(size=size)
    read = np.array([0, CHUNK - 1, 2 * CHUNK + 3, size - 1])  # the entries the loss reads: each evaluation is quick

    def loss(p):
        return 0.5 * float(p["x"][read] @ p["x"][read])

    def grad(p):
        g = np.zeros_like(p["x"])
        g[read] = p["x"][read]
        g[2 * CHUNK + 3] *= 1.01
        return {"x": g}

    report = gradcheck.check(loss, grad, {"x": x}, mode="full", workers=workers)
    assert report["x"].mismatched == 1
    assert report["x"].excess.reshape(-1).argmax() == 2 * CHUNK + 3


def test_directions_are_drawn_again_exactly_as_they_were_first_drawn():
    x = np.random.default_rng(2).normal(size=1000) * 5
    directional = Directional(lambda: 0.0, x.copy(), 0.0, 0.0, np.float64)
    rng = np.random.default_rng(3)
    states, first = [], []
    for _ in range(4):
        states.append(rng.bit_generator.state)
        first.append(directional.direction(rng))
    directions = Directions(directional, type(rng.bit_generator), states)
    assert all(np.array_equal(directions[j], first[j]) for j in range(4))
    c = np.arange(1000.0)
    assert np.allclose(directions.project(c), [w @ c for w in first], rtol=1e-14)
    assert np.allclose(directions.project_abs(c), [np.abs(w) @ np.abs(c) for w in first], rtol=1e-14)


@pytest.mark.parametrize("a, b, same", [
    (np.array([1.0, np.nan, 3.0]), np.array([1.0, np.nan, 3.0]), True),
    (np.array([1.0, np.nan]), np.array([1.0, 2.0]), False),
    (np.arange(3 * CHUNK, dtype=float), np.arange(3 * CHUNK, dtype=float), True),
    (np.arange(3 * CHUNK, dtype=float), np.r_[np.arange(3 * CHUNK - 1, dtype=float), -1.0], False),
    (np.arange(3), np.arange(3.0), True),
    (np.zeros(2), np.zeros(3), False),
])
def test_same_values_is_array_equal_with_equal_nan(a, b, same):
    assert same_values(a, b) is same
