"""Peak memory of a check, in multiples of the parameters' size, for gradcheck and the other checkers.

Each run is a fresh Python process: it builds one float64 parameter vector of P entries, calls the gradient
once (the user's own baseline), then runs one checker while a thread samples the memory of the process and
of every process it started (the proportional set size, so that pages forked workers share count once). The
figure is the extra peak over the baseline divided by the parameters' bytes. The loss reads a few entries
only, so that a full check of 10⁷ entries takes minutes, not days; what is measured is what the checker holds.

    python benchmarks/memory.py                      # P = 1e6 and 1e7
    python benchmarks/memory.py --sizes 1e6 --tools gradcheck-full,gradcheck-probe
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

TOOLS = ("gradcheck-full", "gradcheck-full-2-workers", "gradcheck-probe", "scipy-check_grad", "torch-gradcheck-fast")

CHILD = r'''
import json, os, sys, threading, time
import numpy as np

P, tool = int(float(sys.argv[1])), sys.argv[2]
K = 8


def loss(p):
    v = p["x"][:K]
    return float(v @ v) + 0.1 * float(p["x"][-1])


def grad(p):
    g = np.zeros_like(p["x"])
    g[:K] = 2 * p["x"][:K]
    g[-1] = 0.1
    return {"x": g}


def rss(pid):
    """The proportional set size of ``pid`` and its descendants: pages shared by forked workers count once."""
    total = 0
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            total = next(int(line.split()[1]) for line in f if line.startswith("Pss:")) * 1024
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children") as f:
                total += sum(rss(int(c)) for c in f.read().split())
    except (OSError, StopIteration):
        pass
    return total


x = np.random.default_rng(0).normal(size=P)
grad({"x": x})
if tool.startswith("gradcheck"):
    import gradcheck
elif tool.startswith("scipy"):
    from scipy.optimize import check_grad
else:
    import torch
baseline = rss(os.getpid())
peak = [baseline]
done = threading.Event()


def sample():
    last = time.perf_counter()
    while not done.is_set():
        peak[0] = max(peak[0], rss(os.getpid()))
        if time.perf_counter() - last > 1.0:  # the peak so far, for a run stopped at its time limit
            print(json.dumps({"running": (peak[0] - baseline) / x.nbytes}), flush=True)
            last = time.perf_counter()
        time.sleep(0.005)


thread = threading.Thread(target=sample, daemon=True)
thread.start()
start = time.perf_counter()
if tool == "gradcheck-full":
    said = gradcheck.check(loss, grad, {"x": x}, mode="full", workers=1).one_line()
elif tool == "gradcheck-full-2-workers":
    said = gradcheck.check(loss, grad, {"x": x}, mode="full", workers=2).one_line()
elif tool == "gradcheck-probe":
    said = gradcheck.check(loss, grad, {"x": x}, mode="probe").one_line()
elif tool == "scipy-check_grad":
    said = f"error {check_grad(lambda v: loss({'x': v}), lambda v: grad({'x': v})['x'], x):.3g}"
else:
    class F(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return torch.tensor(loss({"x": v.detach().numpy()}), dtype=torch.float64)

        @staticmethod
        def backward(ctx, upstream):
            (v,) = ctx.saved_tensors
            return upstream * torch.from_numpy(grad({"x": v.detach().numpy()})["x"])

    said = f"passed={torch.autograd.gradcheck(F.apply, (torch.from_numpy(x.copy()).requires_grad_(),), fast_mode=True)}"
seconds = time.perf_counter() - start
done.set()
thread.join()
peak[0] = max(peak[0], rss(os.getpid()))
print(json.dumps({"extra": (peak[0] - baseline) / x.nbytes, "seconds": seconds, "said": said}))
'''


def measure(size: float, tool: str, timeout: float) -> dict:
    """One tool at one size in a fresh process: the extra peak memory in multiples of the parameters, or why not.
    A run stopped at ``timeout`` reports the peak it had reached by then."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    with subprocess.Popen([sys.executable, "-c", CHILD, str(size), tool], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, env=env) as child:
        try:
            out, err = child.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            child.kill()
            out, err = child.communicate()
            running = [json.loads(line)["running"] for line in out.splitlines() if line.startswith('{"running"')]
            if running:
                return {"extra": running[-1], "seconds": timeout, "said": f"stopped at {timeout:g} s (peak so far)"}
            return {"skipped": f"over {timeout:g} s"}
    if child.returncode:
        last = (err.strip().splitlines() or ["failed"])[-1]
        return {"skipped": last[:80]}
    return json.loads(out.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e6, 1e7])
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds per run; a longer run is stopped and "
                        "reports the peak it had reached")
    args = parser.parse_args(argv)
    print("| P | tool | extra peak memory (× parameters) | seconds | said |")
    print("| ---: | --- | ---: | ---: | --- |")
    for size in args.sizes:
        for tool in args.tools.split(","):
            began = time.perf_counter()
            r = measure(size, tool, args.timeout)
            if "skipped" in r:
                print(f"| {size:.0e} | {tool} | - | {time.perf_counter() - began:.1f} | skipped: {r['skipped']} |")
            else:
                print(f"| {size:.0e} | {tool} | {r['extra']:.1f} | {r['seconds']:.1f} | {r['said']} |", flush=True)


if __name__ == "__main__":
    main()
