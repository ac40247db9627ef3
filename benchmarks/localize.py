"""Probe-mode localization: loss evaluations group testing spends to find k wrong entries, against 2k·log2(P) + 100.

A seeded quadratic loss Σ aᵢxᵢ² with P entries; k entries of the gradient are 1.5 times too large. Probe mode
checks it; the table gives, for each P and k, the evaluations group testing spent, the bound, and whether every
wrong entry was located and listed by index.

    python benchmarks/localize.py
"""

from __future__ import annotations

import math

import numpy as np

import gradcheck


def measure(P: int, k: int, seed: int = 0) -> tuple[int, bool]:
    rng = np.random.default_rng([seed, P, k])
    a, x0 = rng.uniform(1, 2, P), rng.normal(size=P)
    bad = rng.choice(P, size=k, replace=False)

    def grad(w):
        g = 2 * a * w
        g[bad] *= 1.5
        return g

    result = gradcheck.check(lambda w: float(np.dot(a, w * w)), grad, x0, mode="probe", seed=1)["param"]
    listed = sorted(i[0] for i in result.detail.get("indices", []))
    return int(result.detail.get("locate_evaluations", 0)), bool(result.detail.get("located")) and \
        listed == sorted(bad.tolist())


def main() -> None:
    print("| P | k | evaluations | 2k·log2(P) + 100 | within | every entry listed |")
    print("| ---: | ---: | ---: | ---: | --- | --- |")
    for P in (10**5, 10**6):
        for k in (1, 2, 5, 10, 20):
            spent, listed = measure(P, k)
            bound = 2 * k * math.log2(P) + 100
            print(f"| {P:.0e} | {k} | {spent} | {bound:.0f} | {'yes' if spent <= bound else 'NO'} | "
                  f"{'yes' if listed else 'NO'} |")


if __name__ == "__main__":
    main()
