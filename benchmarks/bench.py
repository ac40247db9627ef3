"""Benchmark: gradcheck against the floor and the other tools, side by side in one run.

For MLPs with P ≈ 1e3 … 1e6 parameters it measures, on the same loss/grad
pair: the floor (2·P bare loss evaluations, extrapolated from a timed sample
when that would take too long), gradcheck's full mode (sequential and with
workers), auto mode, scipy.optimize.check_grad (direction "all" and
"random"), and torch.autograd.gradcheck (full and fast mode) when torch is
installed. Then it runs each tool on the same net with one injected bug (a
single wrong entry; a missing bias sum) and records what it said.

    python benchmarks/bench.py                 # every size
    python benchmarks/bench.py --sizes 1e3 1e4 --max-seconds 30
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import numpy as np

import gradcheck


@dataclass
class Net:
    """A tanh MLP with a batch of 32 and mean-squared error; params W1 (d, h), b1 (1, h), W2 (h, 1), b2 (1, 1)."""

    size: int
    params: dict
    x: np.ndarray
    y: np.ndarray
    calls: int = 0
    bug: str | None = None

    def loss(self, p):
        """The forward pass: ½·mean((out − y)²)."""
        self.calls += 1
        out = np.tanh(self.x @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
        return 0.5 * np.mean((out - self.y) ** 2)

    def grad(self, p):
        """The backward pass, with the injected bug if any."""
        m = self.x.shape[0]
        a = np.tanh(self.x @ p["W1"] + p["b1"])
        out = a @ p["W2"] + p["b2"]
        d_out = (out - self.y) / m
        dz = (d_out @ p["W2"].T) * (1 - a**2)
        grads = {"W1": self.x.T @ dz, "b1": dz if self.bug == "bias" else dz.sum(0, keepdims=True),
                 "W2": a.T @ d_out, "b2": d_out.sum(0, keepdims=True)}
        if self.bug == "entry":
            grads["W1"][3, 5] *= 1.01  # one entry off by 1 % of its own value
        return grads


def mlp(target: int, bug: str | None = None, seed: int = 0, batch: int = 32) -> Net:
    width = max(4, int(round(np.sqrt(target))))
    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(batch, width)), rng.normal(size=(batch, 1))
    params = {"W1": rng.normal(size=(width, width)) / np.sqrt(width), "b1": 0.1 * rng.normal(size=(1, width)),
              "W2": rng.normal(size=(width, 1)) / np.sqrt(width), "b2": np.zeros((1, 1))}
    return Net(sum(v.size for v in params.values()), params, x, y, bug=bug)


def floor(net: Net, max_seconds: float) -> tuple[float, bool]:
    """2·P bare loss evaluations (the forward pass), timed like the tools; extrapolated
    from a one-second sample when the whole would take longer than ``max_seconds``. Returns (seconds, extrapolated)."""
    net.loss(net.params)
    count, start = 0, time.perf_counter()
    while (time.perf_counter() - start < 1.0 or count < 20) and count < 2 * net.size:
        net.loss(net.params)
        count += 1
    per_eval = (time.perf_counter() - start) / count
    if 2 * net.size * per_eval > max_seconds:
        return 2 * net.size * per_eval, True

    def evaluations():
        for _ in range(2 * net.size):
            net.loss(net.params)

    return timed(net, evaluations)[0], False


@dataclass
class Row:
    tool: str
    seconds: float | None
    evaluations: int | None
    note: str = ""


def timed(net: Net, fn, repeat_under: float = 5.0) -> tuple[float, int, object]:
    """Seconds, loss evaluations and result of ``fn()``: the best of five runs under a second, of three under
    ``repeat_under`` seconds, else one run (these machines are shared and noisy)."""
    best = None
    for attempt in range(5):
        if attempt == 3 and best[0] > 1.0:
            break
        net.calls = 0
        start = time.perf_counter()
        out = fn()
        seconds = time.perf_counter() - start
        if best is None or seconds < best[0]:
            best = (seconds, net.calls, out)  # time, count and result of one and the same run
        if seconds > repeat_under:
            break
    return best


def flat_functions(net: Net):
    names = list(net.params)
    shapes = [net.params[n].shape for n in names]
    splits = np.cumsum([int(np.prod(s)) for s in shapes])[:-1]

    def unflatten(v):
        return {n: part.reshape(s) for n, s, part in zip(names, shapes, np.split(v, splits))}

    x0 = np.concatenate([net.params[n].ravel() for n in names])
    return x0, (lambda v: net.loss(unflatten(v))), (lambda v: np.concatenate([
        np.asarray(net.grad(unflatten(v))[n]).ravel() for n in names]))


def torch_check(net: Net, fast: bool):
    import torch

    names = list(net.params)

    class Loss(torch.autograd.Function):
        @staticmethod
        def forward(ctx, *tensors):
            ctx.params = {n: t.detach().numpy() for n, t in zip(names, tensors)}
            return torch.tensor(net.loss(ctx.params), dtype=torch.float64)

        @staticmethod
        def backward(ctx, upstream):
            grads = net.grad(ctx.params)
            return tuple(upstream * torch.from_numpy(np.asarray(grads[n])) for n in names)

    inputs = tuple(torch.tensor(net.params[n], dtype=torch.float64, requires_grad=True) for n in names)
    try:
        ok = torch.autograd.gradcheck(Loss.apply, inputs, fast_mode=fast, raise_exception=True)
        return f"passed={ok}"
    except Exception as exc:  # torch says what it found in the exception text
        return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0][:90]}"


def measure(target: int, max_seconds: float, workers: int) -> list[Row]:
    net = mlp(target)
    floor_seconds, extrapolated = floor(net, max_seconds)
    rows = [Row("floor: 2·P loss evaluations", floor_seconds, 2 * net.size,
                f"{1e3 * floor_seconds / (2 * net.size):.3f} ms per evaluation"
                + (", extrapolated from a timed sample" if extrapolated else ""))]

    def run(name, estimate, fn, note=lambda out: ""):
        if estimate > max_seconds:
            rows.append(Row(name, None, None, f"skipped: estimated {estimate:.0f} s > --max-seconds"))
            return
        seconds, calls, out = timed(net, fn)
        # gradcheck counts its own evaluations, those made in worker processes included.
        rows.append(Row(name, seconds, getattr(out, "evaluations", calls), note(out)))

    def verdict(report):
        return f"{report.mode}: " + ("ok" if report.ok else ", ".join(f"{r.name} {r.kind}" for r in report.failed))

    run("gradcheck full, 1 process", floor_seconds, lambda: gradcheck.check(net.loss, net.grad, net.params, mode="full",
                                                                    workers=1), verdict)
    run(f"gradcheck full, {workers} workers", floor_seconds / workers,
        lambda: gradcheck.check(net.loss, net.grad, net.params, mode="full", workers=workers), verdict)
    run("gradcheck auto", 0, lambda: gradcheck.check(net.loss, net.grad, net.params), verdict)
    try:
        from scipy.optimize import check_grad

        x0, f, g = flat_functions(net)
        run("scipy check_grad, all", floor_seconds / 2, lambda: check_grad(f, g, x0), lambda e: f"‖error‖ = {e:.2e}")
        run("scipy check_grad, random", 0, lambda: check_grad(f, g, x0, direction="random", seed=0),
            lambda e: f"|error| = {e:.2e}")
    except ImportError:
        rows.append(Row("scipy check_grad", None, None, "scipy not installed"))
    try:
        import torch  # noqa: F401

        run("torch gradcheck, full", 3 * floor_seconds, lambda: torch_check(net, fast=False), str)
        run("torch gradcheck, fast", 0, lambda: torch_check(net, fast=True), str)
    except ImportError:
        rows.append(Row("torch gradcheck", None, None, "torch not installed (pip install '.[bench]')"))
    return rows


def bugs(target: int) -> list[tuple[str, str, str]]:
    """Each tool on one net with an injected bug: what it said."""
    out = []
    for bug, label in (("entry", "W1[3, 5] off by 1 %"), ("bias", "b1 not summed over the batch")):
        net = mlp(target, bug)
        report = gradcheck.check(net.loss, net.grad, net.params)
        said = "; ".join(f"{r.name}: {r.kind}, {r.hint}" for r in report.failed) or "passed (missed)"
        out.append((label, f"gradcheck {report.mode} ({report.evaluations} evals)", said))
        x0, f, g = flat_functions(net)
        try:
            from scipy.optimize import check_grad

            out.append((label, "scipy check_grad, all", f"‖error‖ = {check_grad(f, g, x0):.3e} (no location, no kind)"))
        except ImportError:
            pass
        except Exception as exc:
            out.append((label, "scipy check_grad, all", f"{type(exc).__name__}: {str(exc)[:80]}"))
        try:
            import torch  # noqa: F401

            out.append((label, "torch gradcheck, fast", torch_check(net, fast=True)))
        except ImportError:
            pass
    return out


def ratio(row: Row, floor: Row) -> str:
    return "-" if row.seconds is None else f"{row.seconds / floor.seconds:.3g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e3, 1e4, 1e5, 1e6])
    parser.add_argument("--max-seconds", type=float, default=150.0, help="skip a measurement estimated longer")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    print("| P | tool | seconds | loss evaluations | × floor | note |")
    print("| --- | --- | ---: | ---: | ---: | --- |")
    for target in args.sizes:
        rows = measure(int(target), args.max_seconds, args.workers)
        for row in rows:
            seconds = "-" if row.seconds is None else f"{row.seconds:.3g}"
            evaluations = "-" if row.evaluations is None else str(row.evaluations)
            print(f"| {mlp(int(target)).size} | {row.tool} | {seconds} | {evaluations} | "
                  f"{ratio(row, rows[0])} | {row.note} |", flush=True)
    print()
    print("| injected bug | tool | what it said |")
    print("| --- | --- | --- |")
    for label, tool, said in bugs(int(1e5)):
        print(f"| {label} | {tool} | {said.replace('|', '/')} |", flush=True)


if __name__ == "__main__":
    main()
