"""Detection benchmark: how far gradient-check verdicts can be trusted, gradcheck and the other tools side by side.

Seven families of small randomized numpy networks, each with a hand-written backward that is correct by
construction, in float64 and float32. For each net it measures whether a tool flags the correct gradient (a false
alarm) and whether it catches one entry multiplied by (1 + δ), for δ = 1e-1 … 1e-7. The entry is drawn with a seeded
generator: a parameter at random among those with an eligible entry, then an entry of it at random among those whose
gradient is at least 0.1 × the parameter's largest and, for the kink families, where the loss is differentiable
along that coordinate (decided from the family's own forward pass). The same entry serves every δ of a net.

Tools: gradcheck.check in mode "full" and "probe"; scipy.optimize.check_grad; the CS231n rule (central differences,
h = 1e-5, max relative error above 1e-7); torch.autograd.gradcheck. scipy and torch are skipped when not installed.
A fixed scenario, relu-mlp-120, checks whether each tool catches a relative 1e-3 error in one entry of dW1 of a
ReLU MLP 120-120-10 (15,850 parameters), at 8 seeds.

    python benchmarks/detection.py --quick                 # 20 nets per family, no relu-mlp-120
    python benchmarks/detection.py --nets 100 --families smooth,saturated --dtypes float64
    python benchmarks/detection.py                         # 200 nets per family, and relu-mlp-120

Importable (with benchmarks/ on sys.path, ``import detection``): ``families()`` is the registry of family builders,
``tools()`` the available tools, and ``run(nets=3, families=["smooth"], dtypes=["float64"])`` returns the rates as a
nested dict, without printing.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import statistics
import time
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import gradcheck

DELTAS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7)
AT = 1e-3  # the δ at which "listed" and "only its parameter" are printed
KINK = 1e-4  # a pre-activation, or a gap to a pooling group's maximum, within this of 0 counts as a kink
NAMES = ("W1", "b1", "W2", "b2")
DTYPES = {"float64": np.float64, "float32": np.float32}


@dataclass
class Net:
    """A network at a point: its parameters, its loss and gradient, and where the loss is differentiable."""

    params: dict
    loss: Callable[[dict], float]
    grad: Callable[[dict], dict]
    differentiable: Callable[[dict], dict]  # p -> {name: bool mask}: the loss is differentiable along that entry
    pre: Callable[[dict], np.ndarray] | None = None  # p -> the hidden pre-activations (the relu families use it)
    memo: dict = field(default_factory=dict)  # loss values and numerical gradients the tools reuse across variants

    @property
    def size(self) -> int:
        return sum(v.size for v in self.params.values())


# ---------------------------------------------------------------------------------------------------------------
# Building blocks: activations with their derivative, output losses with their derivative.

def sigmoid(z):
    return np.exp(-np.logaddexp(0, -z))  # stable in float32 and float64 alike


ACTIVATIONS = {  # name: (f(z), f'(z))
    "sigmoid": (sigmoid, lambda z: sigmoid(z) * sigmoid(-z)),  # σ' = σ(z)·σ(−z): exact where σ ≈ 1
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(z.dtype)),  # relu'(0) = 0
}


def log_softmax(o):
    shifted = o - o.max(axis=1, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


OUTPUTS = {  # name: (ℓ(o, T), ∂ℓ/∂o); T holds the targets (one-hot rows for the cross-entropy); mean over the batch
    "squared": (lambda o, T: 0.5 * np.sum((o - T) ** 2) / len(o), lambda o, T: (o - T) / len(o)),
    "softmax-ce": (lambda o, T: -np.sum(T * log_softmax(o)) / len(o),
                   lambda o, T: (np.exp(log_softmax(o)) - T) / len(o)),
}
SMOOTH = (("sigmoid", "squared"), ("tanh", "squared"), ("tanh", "softmax-ce"), ("sigmoid", "softmax-ce"))


def sizes(rng):
    """Input d, hidden h, output c, batch m."""
    return int(rng.integers(4, 7)), int(rng.integers(6, 11)), int(rng.integers(2, 4)), int(rng.integers(4, 9))


def gaussian(rng, d, h, c, scale=1.0):
    return {"W1": scale * rng.normal(size=(d, h)) / np.sqrt(d), "b1": 0.1 * rng.normal(size=(1, h)),
            "W2": rng.normal(size=(h, c)) / np.sqrt(h), "b2": 0.1 * rng.normal(size=(1, c))}


def targets(rng, m, c, out):
    return rng.normal(size=(m, c)) if out == "squared" else np.eye(c)[rng.integers(c, size=m)]


def cast(p, dtype):
    return [np.asarray(p[k], dtype=dtype) for k in NAMES]


def mlp(x, T, params, dtype, act, out, lam=0.0) -> Net:
    """z = x W1 + b1, a = f(z), o = a W2 + b2, L = ℓ(o, T) + ½λ(‖W1‖² + ‖W2‖²), computed in ``dtype``."""
    f, df = ACTIVATIONS[act]
    ell, dell = OUTPUTS[out]
    X, T = x.astype(dtype), T.astype(dtype)

    def forward(p):
        W1, b1, W2, b2 = cast(p, dtype)
        z = X @ W1 + b1
        a = f(z)
        o = a @ W2 + b2
        return W1, W2, z, a, o

    def loss(p):
        W1, W2, z, a, o = forward(p)
        return float(ell(o, T) + 0.5 * lam * (np.sum(W1 * W1) + np.sum(W2 * W2)))

    def grad(p):
        W1, W2, z, a, o = forward(p)
        do = dell(o, T)  # ∂L/∂o
        dz = (do @ W2.T) * df(z)  # ∂L/∂z
        return {"W1": X.T @ dz + lam * W1, "b1": dz.sum(axis=0, keepdims=True),
                "W2": a.T @ do + lam * W2, "b2": do.sum(axis=0, keepdims=True)}

    def differentiable(p):
        masks = {k: np.ones(np.shape(p[k]), dtype=bool) for k in NAMES}
        if act == "relu":  # W1[j, k] moves z[n, k] wherever x[n, j] ≠ 0; b1[k] moves every z[n, k]
            near = np.abs(forward(p)[2]) <= KINK
            masks["W1"] = ((X != 0).T.astype(int) @ near.astype(int)) == 0
            masks["b1"] = ~near.any(axis=0, keepdims=True)
        return masks

    return Net({k: np.asarray(v, dtype=dtype) for k, v in params.items()}, loss, grad, differentiable,
               pre=lambda p: forward(p)[2])


# ---------------------------------------------------------------------------------------------------------------
# The families: builder(rng, i, dtype) -> Net, where i is the net's index.

def smooth(rng, i, dtype) -> Net:
    """Sigmoid or tanh MLP, squared or softmax cross-entropy loss, rotated by the net index."""
    act, out = SMOOTH[i % len(SMOOTH)]
    d, h, c, m = sizes(rng)
    x = rng.normal(size=(m, d))
    return mlp(x, targets(rng, m, c, out), gaussian(rng, d, h, c), dtype, act, out)


def relu_near0(rng, i, dtype) -> Net:
    """ReLU MLP; half the hidden units get a bias that puts one pre-activation within 1e-9..1e-6 of 0, not at 0."""
    out = ("squared", "softmax-ce")[i % 2]
    d, h, c, m = sizes(rng)
    x = rng.normal(size=(m, d))
    net = mlp(x, targets(rng, m, c, out), gaussian(rng, d, h, c), dtype, "relu", out)
    b1 = net.params["b1"]
    xw = net.pre({**net.params, "b1": np.zeros_like(b1)})  # x W1 exactly as the loss computes it
    for k in rng.choice(h, size=h // 2, replace=False):
        n, sign = rng.integers(m), rng.choice((-1.0, 1.0))
        b1[0, k] = -float(xw[n, k]) + sign * 10 ** rng.uniform(-9, -6)
        if net.pre(net.params)[n, k] == 0:  # float32 rounded the offset away: one ulp off instead
            b1[0, k] = np.nextafter(b1[0, k], sign * np.inf, dtype=b1.dtype)
    return net


def relu_exact0(rng, i, dtype) -> Net:
    """ReLU MLP on small integer data with half-integer first-layer weights: some pre-activations are exactly 0."""
    out = ("squared", "softmax-ce")[i % 2]
    d, h, c, m = sizes(rng)
    x = rng.integers(-2, 3, size=(m, d)).astype(float)
    params = {"W1": rng.integers(-2, 3, size=(d, h)) / 2, "b1": rng.integers(-2, 3, size=(1, h)) / 2,
              "W2": rng.normal(size=(h, c)) / np.sqrt(h), "b2": 0.1 * rng.normal(size=(1, c))}
    for k in rng.choice(h, size=2, replace=False):  # at least two exact zeros, exact in float32 too
        params["b1"][0, k] = -(x @ params["W1"])[rng.integers(m), k]
    return mlp(x, targets(rng, m, c, out), params, dtype, "relu", out)


def maxpool_ties(rng, i, dtype) -> Net:
    """Linear layer on integer data, max-pooling over groups of s units (exact ties; the gradient goes to the first
    argmax), a linear output and the squared loss."""
    d, c, m = int(rng.integers(4, 7)), int(rng.integers(2, 4)), int(rng.integers(4, 9))
    s, g = int(rng.integers(2, 4)), int(rng.integers(3, 5))  # group size, groups: h = s·g hidden units
    X = rng.integers(-2, 3, size=(m, d)).astype(dtype)
    Y = rng.normal(size=(m, c)).astype(dtype)
    params = {"W1": rng.integers(-1, 2, size=(d, s * g)) * 1.0, "b1": rng.integers(-1, 2, size=(1, s * g)) * 1.0,
              "W2": rng.normal(size=(g, c)) / np.sqrt(g), "b2": 0.1 * rng.normal(size=(1, c))}

    def forward(p):
        W1, b1, W2, b2 = cast(p, dtype)
        u = (X @ W1 + b1).reshape(m, g, s)  # the layer, its units in g groups of s
        first = np.argmax(u, axis=2)[..., None]  # the first argmax of each group
        q = np.take_along_axis(u, first, axis=2)[..., 0]  # q = max over the group
        o = q @ W2 + b2
        return W2, u, first, q, o

    def loss(p):
        W2, u, first, q, o = forward(p)
        return float(0.5 * np.sum((o - Y) ** 2) / m)

    def grad(p):
        W2, u, first, q, o = forward(p)
        do = (o - Y) / m  # ∂L/∂o
        dq = do @ W2.T  # ∂L/∂q
        du = np.zeros_like(u)
        np.put_along_axis(du, first, dq[..., None], axis=2)  # routed to the first argmax only
        du = du.reshape(m, s * g)
        return {"W1": X.T @ du, "b1": du.sum(axis=0, keepdims=True),
                "W2": q.T @ do, "b2": do.sum(axis=0, keepdims=True)}

    def differentiable(p):
        u = forward(p)[1]
        top = u >= u.max(axis=2, keepdims=True) - KINK  # units at (or within KINK of) their group's maximum
        tied = (top & (top.sum(axis=2, keepdims=True) > 1)).reshape(m, s * g)  # …and sharing it with another
        return {"W1": ((X != 0).T.astype(int) @ tied.astype(int)) == 0, "b1": ~tied.any(axis=0, keepdims=True),
                "W2": np.ones((g, c), dtype=bool), "b2": np.ones((1, c), dtype=bool)}

    return Net({k: np.asarray(v, dtype=dtype) for k, v in params.items()}, loss, grad, differentiable)


def l2_large(rng, i, dtype) -> Net:
    """A smooth MLP plus ½·λ·(‖W1‖² + ‖W2‖²) with λ = 1e2..1e3 (log-uniform)."""
    act, out = SMOOTH[i % len(SMOOTH)]
    d, h, c, m = sizes(rng)
    x = rng.normal(size=(m, d))
    lam = 10 ** rng.uniform(2, 3)
    return mlp(x, targets(rng, m, c, out), gaussian(rng, d, h, c), dtype, act, out, lam=lam)


def saturated(rng, i, dtype) -> Net:
    """Sigmoid MLP with first-layer weights ~25× the usual: |z| is often above 28, where σ'(z) < 1e-12."""
    out = ("squared", "softmax-ce")[i % 2]
    d, h, c, m = sizes(rng)
    x = rng.normal(size=(m, d))
    return mlp(x, targets(rng, m, c, out), gaussian(rng, d, h, c, scale=25.0), dtype, "sigmoid", out)


def wide_scale(rng, i, dtype) -> Net:
    """A smooth MLP whose input columns are scaled 1e-4 … 1e4 (W1's rows by the inverse, so z stays of order 1)."""
    act, out = SMOOTH[i % len(SMOOTH)]
    d, h, c, m = sizes(rng)
    scales = 10.0 ** np.linspace(-4, 4, d)
    x = rng.normal(size=(m, d)) * scales
    params = gaussian(rng, d, h, c)
    params["W1"] /= scales[:, None]
    return mlp(x, targets(rng, m, c, out), params, dtype, act, out)


FAMILIES: dict[str, Callable[..., Net]] = {
    "smooth": smooth, "relu-near0": relu_near0, "relu-exact0": relu_exact0, "maxpool-ties": maxpool_ties,
    "l2-large": l2_large, "saturated": saturated, "wide-scale": wide_scale,
}


def families() -> dict[str, Callable[..., Net]]:
    """The registry: family name -> builder(rng, net_index, dtype) -> Net."""
    return dict(FAMILIES)


def build(family: str, i: int, dtype, seed: int = 0) -> tuple[Net, np.random.Generator]:
    """Net ``i`` of ``family``; the same draws in both dtypes. The generator is returned for the injection."""
    rng = np.random.default_rng([seed, list(FAMILIES).index(family), i])
    return FAMILIES[family](rng, i, DTYPES.get(dtype, dtype)), rng


# ---------------------------------------------------------------------------------------------------------------
# Injection: one entry of the gradient multiplied by (1 + δ).

def pick_entry(net: Net, rng) -> tuple[str, tuple[int, ...]] | None:
    """A parameter at random among those with an eligible entry, then one of its eligible entries: |g| at least
    0.1 × the parameter's largest, and the loss differentiable along it. None when no entry is eligible."""
    g, smooth_along = net.grad(net.params), net.differentiable(net.params)
    eligible = {}
    for name in net.params:
        magnitude = np.abs(np.asarray(g[name], dtype=np.float64))
        ok = (magnitude >= 0.1 * magnitude.max()) & (magnitude > 0) & smooth_along[name]
        if ok.any():
            eligible[name] = np.argwhere(ok)
    if not eligible:
        return None
    name = list(eligible)[rng.integers(len(eligible))]
    return name, tuple(int(j) for j in eligible[name][rng.integers(len(eligible[name]))])


def injected(grad: Callable, name: str, index: tuple[int, ...], delta: float) -> Callable:
    """``grad`` with entry ``index`` of ``name`` multiplied by (1 + δ) (rounded to the gradient's dtype)."""
    def wrong(p):
        out = {k: np.array(v, copy=True) for k, v in grad(p).items()}
        out[name][index] = float(out[name][index]) * (1 + delta)
        return out
    return wrong


# ---------------------------------------------------------------------------------------------------------------
# Tools: tool(net, grad, seed) -> Verdict.

@dataclass
class Verdict:
    flagged: bool = False  # the tool says the gradient is wrong
    inconclusive: bool = False  # gradcheck: a result of kind "inconclusive" and none wrong
    error: bool = False  # gradcheck raised CheckError
    wrong: frozenset | None = frozenset()  # gradcheck: the parameters found wrong; None: the tool judges the net
    listed: dict = field(default_factory=dict)  # gradcheck: name -> the indices its result lists
    evaluations: int = 0
    said: str = ""  # gradcheck: "name kind" of each wrong result

    def detected(self, name: str) -> bool:
        return name in self.wrong if self.wrong is not None else self.flagged


def listed_indices(result) -> list[tuple[int, ...]]:
    detail = result.detail or {}
    indices = [tuple(int(j) for j in i) for i in detail.get("indices") or ()]
    return indices + [tuple(int(j) for j in e["index"]) for e in detail.get("entries") or ()]


def gradcheck_tool(mode: str, workers: int | None = None) -> Callable[[Net, Callable, int], Verdict]:
    def check(net: Net, grad: Callable, seed: int) -> Verdict:
        try:
            report = gradcheck.check(net.loss, grad, net.params, mode=mode, seed=seed, workers=workers)
        except gradcheck.CheckError as exc:
            return Verdict(error=True, said=str(exc).splitlines()[0])
        inconclusive = [r for r in report if str(r.kind) == "inconclusive"]
        wrong = [r for r in report if not r.ok and str(r.kind) != "inconclusive"]
        return Verdict(flagged=bool(wrong), inconclusive=bool(inconclusive) and not wrong,
                       wrong=frozenset(r.name for r in wrong), listed={r.name: listed_indices(r) for r in wrong},
                       evaluations=report.evaluations, said="; ".join(f"{r.name} {r.kind}" + (
                           f" at {[list(i) for i in listed_indices(r)[:3]]}" if listed_indices(r) else "")
                           for r in wrong))
    return check


def flat(net: Net):
    """x0 and an unflatten function for the tools that take one vector (values kept, dtype left to the loss)."""
    names, shapes = list(net.params), [v.shape for v in net.params.values()]
    splits = np.cumsum([int(np.prod(s)) for s in shapes])[:-1]
    x0 = np.concatenate([v.ravel() for v in net.params.values()])
    return x0, lambda v: {k: part.reshape(s) for k, s, part in zip(names, shapes, np.split(v, splits))}


def flat_grad(grad, unflatten, names):
    return lambda v: np.concatenate([np.asarray(grad(unflatten(v))[k]).ravel() for k in names])


SCIPY_RULE = "scipy: check_grad (default epsilon, forward differences): flag when err / max(‖analytic‖, 1e-12) > 1e-5"


def cached_loss(net: Net, unflatten) -> Callable[[np.ndarray], float]:
    """The net's loss on one vector, its values kept per net: the loss is the same for every injected variant, so
    scipy's and torch's own algorithms run unchanged on each and evaluate it only once per point."""
    cache = net.memo.setdefault("loss", {})

    def loss(v: np.ndarray) -> float:
        key = (v.dtype.str, v.tobytes())
        if key not in cache:
            cache[key] = net.loss(unflatten(v))
        return cache[key]
    return loss


def scipy_tool(net: Net, grad: Callable, seed: int) -> Verdict:
    from scipy.optimize import check_grad

    x0, unflatten = flat(net)
    g = flat_grad(grad, unflatten, list(net.params))
    err = check_grad(cached_loss(net, unflatten), g, x0)
    return Verdict(flagged=bool(err / max(np.linalg.norm(g(x0)), 1e-12) > 1e-5), wrong=None)


CS231N_RULE = "cs231n: central differences, h = 1e-5 per entry: flag when max |a − n| / max(|a| + |n|, 1e-8) > 1e-7"


def cs231n_numerical(net: Net, h: float = 1e-5) -> dict:
    """The course's eval_numerical_gradient: each entry moved by ±h in place, in the parameter's own dtype."""
    p = {k: np.array(v, copy=True) for k, v in net.params.items()}
    out = {}
    for k in p:
        n, it = np.zeros(p[k].shape), np.nditer(p[k], flags=["multi_index"])
        for _ in it:
            ix = it.multi_index
            old = p[k][ix]
            p[k][ix] = old + h
            plus = net.loss(p)
            p[k][ix] = old - h
            minus = net.loss(p)
            p[k][ix] = old
            n[ix] = (plus - minus) / (2 * h)
        out[k] = n
    return out


def cs231n_tool(net: Net, grad: Callable, seed: int) -> Verdict:
    if "cs231n" not in net.memo:  # the loss is the same for every injected variant: one numerical gradient per net
        net.memo["cs231n"] = cs231n_numerical(net)
    numerical, analytic = net.memo["cs231n"], grad(net.params)
    rel = max(float(np.max(np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), 1e-8)))
              for a, n in ((np.asarray(analytic[k], dtype=np.float64), numerical[k]) for k in numerical))
    return Verdict(flagged=rel > 1e-7, wrong=None)


TORCH_RULE = "torch: autograd.gradcheck (default eps 1e-6, atol 1e-5, rtol 1e-3), raise_exception=False: flag on False"


def torch_tool(net: Net, grad: Callable, seed: int) -> Verdict:
    import torch

    torch.set_num_threads(1)  # the families already spread over the cores; on nets this small threads only cost
    x0, unflatten = flat(net)
    loss = cached_loss(net, unflatten)

    class Loss(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.v = v.detach().numpy().copy()
            return torch.tensor(loss(ctx.v), dtype=v.dtype)

        @staticmethod
        def backward(ctx, upstream):
            g = flat_grad(grad, unflatten, list(net.params))(ctx.v)
            return upstream * torch.from_numpy(np.asarray(g, dtype=ctx.v.dtype))

    v = torch.tensor(x0, requires_grad=True)  # float64, or float32 for the float32 nets
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns that a float32 input is not double precision
        passed = torch.autograd.gradcheck(Loss.apply, (v,), raise_exception=False)
    return Verdict(flagged=not passed, wrong=None)


def tools(workers: int | None = None) -> dict[str, Callable[[Net, Callable, int], Verdict]]:
    """The tools available here, in table order: gradcheck always (with ``workers``, default: its own choice);
    scipy and torch when importable."""
    found = {"gradcheck full": gradcheck_tool("full", workers), "gradcheck probe": gradcheck_tool("probe", workers)}
    try:
        import scipy.optimize  # noqa: F401

        found["scipy"] = scipy_tool
    except ImportError:
        pass
    found["cs231n"] = cs231n_tool
    try:
        import torch  # noqa: F401

        found["torch"] = torch_tool
    except ImportError:
        pass
    return found


# ---------------------------------------------------------------------------------------------------------------
# The run.

def rates(tool: str, correct: list[Verdict], wrong: dict[float, list[tuple[Verdict, str, tuple]]],
          injectable: list[bool]) -> dict:
    """Percentages for one tool on one family × dtype; ``wrong`` lists, per δ, (verdict, parameter, index) for each net
    with an eligible entry, in net order."""
    def pct(flags):
        flags = list(flags)
        return 100.0 * sum(flags) / len(flags) if flags else float("nan")

    clean = [not (v.flagged or v.inconclusive or v.error) for v, ok in zip(correct, injectable) if ok]

    out = {"false_alarm": pct(v.flagged for v in correct), "inconclusive": pct(v.inconclusive for v in correct),
           "errors": sum(v.error for v in correct) + sum(v.error for d in wrong.values() for v, _, _ in d),
           "detected": {d: pct(v.detected(n) for v, n, _ in wrong[d]) for d in DELTAS},
           "inconclusive_injected": {d: pct(v.inconclusive for v, _, _ in wrong[d]) for d in DELTAS},
           # detection among the nets whose correct gradient this tool passed clean (not flagged, not inconclusive)
           "detected_clean": {d: pct(v.detected(n) for (v, n, _), c in zip(wrong[d], clean) if c) for d in DELTAS}}
    if tool.startswith("gradcheck"):
        out["listed"] = {d: pct(v.detected(n) and ix in v.listed.get(n, ()) for v, n, ix in wrong[d]) for d in DELTAS}
        out["only"] = {d: pct(v.detected(n) and v.wrong == {n} for v, n, _ in wrong[d]) for d in DELTAS}
    return out


def run_family(family: str, dtype: str, nets: int, seed: int, chosen: dict) -> dict:
    """Every tool on ``nets`` nets of one family in one dtype: correct, then each δ."""
    correct = {t: [] for t in chosen}
    wrong = {t: {d: [] for d in DELTAS} for t in chosen}
    alarms, sizes_, per_entry, injections = [], [], [], []
    start = time.perf_counter()
    for i in range(nets):
        net, rng = build(family, i, dtype, seed)
        sizes_.append(net.size)
        entry = pick_entry(net, rng)
        injections.append(None if entry is None else {"net": i, "param": entry[0], "index": list(entry[1])})
        for tool, check in chosen.items():
            verdict = check(net, net.grad, i)
            correct[tool].append(verdict)
            if tool == "gradcheck full":
                per_entry.append(verdict.evaluations / net.size)
            if tool.startswith("gradcheck") and (verdict.flagged or verdict.error):
                alarms.append({"family": family, "dtype": dtype, "net": i, "tool": tool, "said": verdict.said})
            if entry is not None:
                for delta in DELTAS:
                    wrong[tool][delta].append((check(net, injected(net.grad, *entry, delta), i), *entry))
    return {"nets": nets, "parameters": (min(sizes_), int(statistics.median(sizes_)), max(sizes_)),
            "no_eligible_entry": injections.count(None), "injections": injections, "alarms": alarms,
            "seconds": time.perf_counter() - start,
            "evaluations_per_entry": statistics.median(per_entry) if per_entry else None,
            "tools": {t: rates(t, correct[t], wrong[t], [e is not None for e in injections]) for t in chosen}}


def relu_mlp_120(s: int, seed: int = 0) -> tuple[Net, tuple[str, tuple[int, ...]]]:
    """ReLU MLP 120-120-10 (120 inputs, one hidden layer of 120, 10 outputs; 15,850 parameters), batch 32, He init,
    softmax CE; and the W1 entry to inject into (|g| ≥ 0.1 × max, no pre-activation it moves within KINK of 0)."""
    rng = np.random.default_rng([seed, 120, s])
    X = rng.normal(size=(32, 120))
    T = np.eye(10)[rng.integers(10, size=32)]
    params = {"W1": rng.normal(size=(120, 120)) * np.sqrt(2 / 120), "b1": np.zeros((1, 120)),
              "W2": rng.normal(size=(120, 10)) * np.sqrt(2 / 120), "b2": np.zeros((1, 10))}

    def forward(p):
        z = X @ p["W1"] + p["b1"]  # z = X W1 + b1
        a = np.maximum(z, 0)  # a = relu(z)
        return z, a, a @ p["W2"] + p["b2"]  # o = a W2 + b2

    def loss(p):
        return float(OUTPUTS["softmax-ce"][0](forward(p)[-1], T))

    def grad(p):
        z, a, o = forward(p)
        do = OUTPUTS["softmax-ce"][1](o, T)  # ∂L/∂o
        dz = (do @ p["W2"].T) * (z > 0)  # ∂L/∂z, relu'(0) = 0
        return {"W1": X.T @ dz, "b1": dz.sum(axis=0, keepdims=True), "W2": a.T @ do,
                "b2": do.sum(axis=0, keepdims=True)}

    kinked = np.abs(forward(params)[0]) <= KINK  # W1[j, k] moves z[:, k]
    g = np.abs(grad(params)["W1"])
    ok = (g >= 0.1 * g.max()) & ~kinked.any(axis=0)[None, :]
    candidates = np.argwhere(ok)
    entry = tuple(int(j) for j in candidates[rng.integers(len(candidates))])
    everywhere = {k: np.ones(v.shape, dtype=bool) for k, v in params.items()}
    return Net(params, loss, grad, lambda p: everywhere), ("W1", entry)


def _relu120_seed(s: int, seed: int, names: list[str], workers: int | None = None) -> tuple[dict, dict]:
    """One seed of relu-mlp-120: per tool (flagged the correct net, caught the injected 1e-3); the injection."""
    available = tools(workers)
    net, (name, index) = relu_mlp_120(s, seed)
    verdicts = {t: (available[t](net, net.grad, s).flagged,
                    available[t](net, injected(net.grad, name, index, 1e-3), s).detected(name)) for t in names}
    return verdicts, {"seed": s, "param": name, "index": list(index)}


def run_relu120(seed: int, chosen: dict, seeds: int = 8, jobs: int = 1) -> dict:
    """Each tool at each seed: flagged on the correct net, and caught the injected 1e-3 in dW1 (full mode); the
    seeds spread over ``jobs`` forked processes."""
    out: dict[str, Any] = {t: {"caught": 0, "false_alarms": 0, "seeds": seeds} for t in chosen}
    start = time.perf_counter()
    # gradcheck's own workers cannot fork inside a pool's worker: with jobs, each check runs in one process
    work = [(s, seed, list(chosen), 1 if jobs > 1 else None) for s in range(seeds)]
    if jobs > 1 and "fork" in mp.get_all_start_methods():
        with mp.get_context("fork").Pool(min(jobs, seeds)) as pool:
            results = pool.starmap(_relu120_seed, work)
    else:
        results = [_relu120_seed(*w) for w in work]
    for verdicts, _ in results:
        for tool, (flagged, caught) in verdicts.items():
            out[tool]["false_alarms"] += flagged
            out[tool]["caught"] += caught
    out["injections"] = [injection for _, injection in results]
    out["seconds"] = time.perf_counter() - start
    return out


def _run_family_by_names(family: str, dtype: str, nets: int, seed: int, names: list[str]) -> dict:
    """run_family with the tools given by name (a worker process rebuilds them: closures do not travel)."""
    available = tools()
    return run_family(family, dtype, nets, seed, {t: available[t] for t in names})


def run(nets: int = 200, families: list[str] | None = None, dtypes: list[str] | None = None, seed: int = 0,
        relu120: bool = False, tool_names: list[str] | None = None, on_table: Callable | None = None,
        jobs: int = 1) -> dict:
    """The benchmark. Returns {"families": {family: {dtype: {..., "tools": {tool: rates}}}}, "relu-mlp-120": ...,
    "evaluations_per_entry": median on smooth float64 (full mode, correct nets), "seconds": ...}.

    ``jobs`` forked processes share the families (each family × dtype is seeded on its own, so the figures do not
    depend on it); results come back in order.
    """
    start = time.perf_counter()
    available = tools()
    chosen = {t: available[t] for t in (tool_names or available) if t in available}
    out: dict[str, Any] = {"families": {}, "rules": [SCIPY_RULE, CS231N_RULE, TORCH_RULE]}
    work = [(family, dtype) for family in families or list(FAMILIES) for dtype in dtypes or list(DTYPES)]
    results = []
    if jobs > 1 and len(work) > 1 and "fork" in mp.get_all_start_methods():
        with mp.get_context("fork").Pool(min(jobs, len(work))) as pool:
            pending = [pool.apply_async(_run_family_by_names, (f, d, nets, seed, list(chosen))) for f, d in work]
            for (family, dtype), task in zip(work, pending):  # in order, each as soon as it is done
                results.append(task.get())
                if on_table:
                    on_table(family, dtype, results[-1])
    else:
        for family, dtype in work:
            results.append(run_family(family, dtype, nets, seed, chosen))
            if on_table:
                on_table(family, dtype, results[-1])
    for (family, dtype), result in zip(work, results):
        out["families"].setdefault(family, {})[dtype] = result
    smooth64 = out["families"].get("smooth", {}).get("float64")
    out["evaluations_per_entry"] = smooth64["evaluations_per_entry"] if smooth64 else None
    if relu120:
        out["relu-mlp-120"] = run_relu120(seed, chosen, jobs=jobs)
    out["seconds"] = time.perf_counter() - start
    return out


# ---------------------------------------------------------------------------------------------------------------
# Printing.

def table(family: str, dtype: str, result: dict) -> str:
    low, median, high = result["parameters"]
    lines = [f"{family} · {dtype} · {result['nets']} nets, {low}–{high} parameters (median {median}), "
             f"{result['seconds']:.1f} s" + (f", {result['no_eligible_entry']} with no eligible entry to inject"
                                             if result["no_eligible_entry"] else "")]
    deltas = "".join(f"{d:>7.0e}" for d in DELTAS)
    lines.append(f"  {'tool':<16}{'false%':>7}{'incon%':>7}{'err':>5}  detected % at δ ={deltas}"
                 f"   listed%  only%  (at δ={AT:.0e})")
    for tool, r in result["tools"].items():
        detected = "".join(f"{r['detected'][d]:>7.1f}" for d in DELTAS)
        extra = f"   {r['listed'][AT]:>7.1f}{r['only'][AT]:>7.1f}" if "listed" in r else ""
        inconclusive = f"{r['inconclusive']:>7.1f}" if tool.startswith("gradcheck") else f"{'-':>7}"
        errors = f"{r['errors']:>5}" if tool.startswith("gradcheck") else f"{'-':>5}"
        lines.append(f"  {tool:<16}{r['false_alarm']:>7.1f}{inconclusive}{errors}  {'':<18}{detected}{extra}")
    for tool in ("gradcheck full", "gradcheck probe"):
        alarms = [a for a in result["alarms"] if a["tool"] == tool]
        for alarm in alarms[:2]:
            lines.append(f"  {tool} flags correct net {alarm['net']}: {alarm['said']}")
        if len(alarms) > 2:
            lines.append(f"  … and {len(alarms) - 2} more correct nets flagged by {tool}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nets", type=int, default=None, help="nets per family and dtype (default 200; --quick: 20)")
    parser.add_argument("--quick", action="store_true", help="20 nets per family, no relu-mlp-120")
    parser.add_argument("--families", default=",".join(FAMILIES), help="comma-separated, from: " + ", ".join(FAMILIES))
    parser.add_argument("--dtypes", default="float64,float32")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                        help="processes sharing the families (default: every core)")
    parser.add_argument("--relu120", action="store_true",
                        help="run relu-mlp-120 (it runs anyway unless --quick or --families is given)")
    args = parser.parse_args(argv)
    chosen = [f.strip() for f in args.families.split(",") if f.strip()]
    for f in chosen:
        if f not in FAMILIES:
            parser.error(f"unknown family {f!r}; expected one of {', '.join(FAMILIES)}")
    dtypes = [d.strip() for d in args.dtypes.split(",") if d.strip()]
    for d in dtypes:
        if d not in DTYPES:
            parser.error(f"unknown dtype {d!r}; expected float64 or float32")
    nets = args.nets or (20 if args.quick else 200)
    full_run = not args.quick and args.families == ",".join(FAMILIES)
    print(f"Detection benchmark: {nets} nets per family × dtype, seed {args.seed}, δ = "
          + ", ".join(f"{d:.0e}" for d in DELTAS) + f"; tools: {', '.join(tools())}; "
          f"gradcheck {gradcheck.__version__} from {gradcheck.__file__.rsplit('/', 2)[0]}")
    print("gradcheck: a net is flagged when a result has ok=False (kind 'inconclusive' counts as inconclusive); "
          "detected: the injected parameter's result is not ok; listed: its indices name the entry; only: no other "
          "parameter is flagged")
    for rule in (SCIPY_RULE, CS231N_RULE, TORCH_RULE):
        print(rule)
    print("scipy, cs231n and torch judge the whole net: detected = flagged, so a tool that flags correct nets "
          "also 'detects' at every δ\n", flush=True)
    result = run(nets, chosen, dtypes, args.seed, relu120=args.relu120 or full_run,
                 on_table=lambda f, d, r: print(table(f, d, r) + "\n", flush=True), jobs=args.jobs)
    if "relu-mlp-120" in result:
        r = result["relu-mlp-120"]
        print(f"relu-mlp-120 (120-120-10, 15,850 parameters, one dW1 entry × (1 + 1e-3), gradcheck mode full and "
              f"probe), {r['seconds']:.0f} s:")
        for tool, c in r.items():
            if tool not in ("seconds", "injections"):
                print(f"  {tool:<16} caught at {c['caught']} of {c['seeds']} seeds; "
                      f"flags the correct net at {c['false_alarms']} of {c['seeds']}")
    per_entry = result["evaluations_per_entry"]
    print("gradcheck full, loss evaluations per entry on smooth float64 (median over correct nets): "
          + ("n/a (smooth float64 not run)" if per_entry is None else f"{per_entry:.2f} (target ≤ 3)"))
    print(f"total time: {result['seconds']:.1f} s")


if __name__ == "__main__":
    main()
