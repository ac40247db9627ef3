"""How far a one-sided first pass could take full mode below the floor, given every entry's exact curvature.

A forward difference (f(x + h·e_i) − f(x)) / h costs one evaluation per entry instead of two, and errs by
rounding, about 2·noise / h, plus truncation, h·|H_ii| / 2. At its best step, h = 2·√(noise / |H_ii|), the error
is 2·√(noise·|H_ii|). An entry can be cleared in one evaluation only when that error leaves room inside the
tolerance the central first pass uses (here: at most half of it), or a wrong value could hide in it. This script
gives the pass every advantage a real one lacks, the exact H_ii of each entry (from central differences of the
analytic gradient) and no safety factor on the error, and reports, on bench.py's tanh MLPs, the share of entries
it could clear and what the whole check would then cost against the floor of 2·P evaluations: cleared entries at
1 evaluation, the others at 1 more (if their central step were the forward one) or 2 more (their own step).

    python benchmarks/one_sided_limit.py --sizes 1e4 1e5
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

import bench  # noqa: E402

from gradcheck.numerics.compare import tolerance  # noqa: E402
from gradcheck.numerics.noise import measure_noise  # noqa: E402
from gradcheck.numerics.numdiff import step_size  # noqa: E402
from gradcheck.numerics.objective import real_objective  # noqa: E402
from gradcheck.numerics.params import as_params  # noqa: E402


def cleared_share(size: int, samples: int, seed: int = 0) -> tuple[dict[str, float], float, float]:
    """Per parameter, the share of sampled entries a one-sided pass could clear; the share weighted by size; and the
    loss's noise as gradcheck measures it."""
    net = bench.mlp(size)
    p = net.params
    objective, f0, _ = real_objective(net.loss, as_params(p), False)
    noise, _ = measure_noise(objective, f0, np.random.default_rng(seed))
    g = net.grad(p)
    rng = np.random.default_rng(seed)
    total = sum(v.size for v in p.values())
    shares, weighted = {}, 0.0
    for name, x in p.items():
        flat = x.reshape(-1)
        central_tol = tolerance(g[name].reshape(-1), noise / step_size(flat), np.float64)
        picked = rng.choice(flat.size, size=min(samples, flat.size), replace=False)
        cleared = 0
        for i in picked:
            t = 1e-5 * max(1.0, abs(flat[i]))
            plus, minus = ({k: v.copy() for k, v in p.items()} for _ in range(2))
            plus[name].reshape(-1)[i] += t
            minus[name].reshape(-1)[i] -= t
            curvature = abs(net.grad(plus)[name].reshape(-1)[i] - net.grad(minus)[name].reshape(-1)[i]) / (2 * t)
            best = 2.0 * np.sqrt(noise * curvature)  # the forward difference's error at its best step
            cleared += best <= 0.5 * central_tol[i]
        shares[name] = cleared / picked.size
        weighted += shares[name] * flat.size / total
    return shares, weighted, noise


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5])
    parser.add_argument("--samples", type=int, default=400, help="entries sampled per parameter")
    args = parser.parse_args(argv)
    print("| P | cleared (by parameter) | cleared, weighted | × floor, the rest 1 more | × floor, the rest 2 more |")
    print("| ---: | --- | ---: | ---: | ---: |")
    for size in args.sizes:
        shares, c, _ = cleared_share(int(size), args.samples)
        by = ", ".join(f"{k} {100 * v:.0f}%" for k, v in shares.items())
        print(f"| {size:.0e} | {by} | {100 * c:.0f}% | {(c + 2 * (1 - c)) / 2:.2f} | {(c + 3 * (1 - c)) / 2:.2f} |")


if __name__ == "__main__":
    main()
