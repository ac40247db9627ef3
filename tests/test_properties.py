"""Property-based: for any structure, shape and dtype, a correct gradient passes and a perturbed one fails."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import gradcheck

DTYPES = [np.float64, np.float32, np.float16]
# The smallest relative error each dtype's check must catch, at one entry.
CATCH = {np.float64: 1e-3, np.float32: 1e-2, np.float16: 2e-1}

shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


@st.composite
def problems(draw):
    dtype = draw(st.sampled_from(DTYPES))
    form = draw(st.sampled_from(["dict", "list", "array"]))
    count = 1 if form == "array" else draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=draw(shapes)).astype(dtype) for _ in range(count)]
    coeffs = [(rng.normal(size=a.shape), rng.uniform(0.5, 2.0, size=a.shape)) for a in arrays]
    names = [f"p{i}" for i in range(count)]

    def unpack(p):
        return [p[n] for n in names] if form == "dict" else (list(p) if form == "list" else [p])

    def pack(values):
        return dict(zip(names, values)) if form == "dict" else (values if form == "list" else values[0])

    def loss(p):
        return float(sum(np.sum(c * np.sin(x) + 0.5 * d * x * x) for x, (c, d) in zip(unpack(p), coeffs)))

    def grad(p):
        return pack([np.array(c * np.cos(x) + d * x, dtype=x.dtype) for x, (c, d) in zip(unpack(p), coeffs)])

    return loss, grad, pack(arrays), dtype, rng


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_a_correct_gradient_always_passes(problem):
    loss, grad, params, _, _ = problem
    report = gradcheck.check(loss, grad, params)
    assert report.ok, str(report)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(0, 10**6))
def test_one_perturbed_entry_always_fails_there(problem, which):
    loss, grad, params, dtype, rng = problem
    arrays = list(params.values()) if isinstance(params, dict) else (params if isinstance(params, list) else [params])
    target = which % len(arrays)
    entry = (which // len(arrays)) % max(arrays[target].size, 1)

    def wrong(p):
        g = grad(p)
        values = list(g.values()) if isinstance(g, dict) else (g if isinstance(g, list) else [g])
        flat = values[target].reshape(-1)
        flat[entry] += CATCH[dtype] * (abs(float(flat[entry])) + 1.0)
        return g

    report = gradcheck.check(loss, wrong, params)
    failed = [r for r in report if not r.ok]
    assert len(failed) == 1, str(report)
    assert failed[0].name == list(report)[target].name


@settings(max_examples=30, deadline=None)
@given(problems())
def test_checking_never_changes_the_parameters(problem):
    loss, grad, params, _, _ = problem
    arrays = list(params.values()) if isinstance(params, dict) else (params if isinstance(params, list) else [params])
    before = [a.copy() for a in arrays]
    gradcheck.check(loss, grad, params)
    assert all(np.array_equal(a, b) for a, b in zip(arrays, before))
