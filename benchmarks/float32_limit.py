"""What float32 arithmetic lets any finite-difference check see, net by net, beside what gradcheck saw.

For the nets of detection.py computing in float32, with one gradient entry multiplied by (1 + δ), this finds the
best accuracy a central difference (or its Richardson extrapolation) can have for that entry: its truncation,
measured exactly on the same net in float64, plus the least rounding a float32 loss carries, u·|L| / H with
u = 2⁻²⁴ (only the final rounding of the loss's value; a loss's inner sums round more). A check can tell an error
of δ·|g| only where it exceeds twice that best error (one for the error itself, one for the room a tolerance
needs). The script reports, per family, the share of nets where δ is within that limit and gradcheck's detection
(full mode) among them and among all.

    python benchmarks/float32_limit.py --nets 60 --families l2-large,wide-scale
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

import detection  # noqa: E402

import gradcheck  # noqa: E402

U = 2.0 ** -24


def best_relative_error(net32, net64, name: str, index: tuple[int, ...]) -> float:
    """The smallest error, relative to |g|, of a central or Richardson difference in float32 at any step 2^k."""
    p64 = {k: v.astype(np.float64) for k, v in net32.params.items()}
    g = float(net64.grad(p64)[name][index])
    loss = abs(net32.loss(net32.params))
    x0 = float(p64[name][index])
    best, previous = np.inf, None
    for k in range(-8, 30):
        h = 2.0 ** -k * max(abs(x0), 2.0 ** -10)
        plus, minus = ({n: v.copy() for n, v in p64.items()} for _ in range(2))
        plus[name][index], minus[name][index] = x0 + h, x0 - h
        d = (net64.loss(plus) - net64.loss(minus)) / (2 * h)
        best = min(best, abs(d - g) + U * loss / h)
        if previous is not None:  # Richardson from steps 2h and h: its rounding is three times the central one's
            best = min(best, abs((4 * d - previous) / 3 - g) + 3 * U * loss / h)
        previous = d
    return best / abs(g)


def family(name: str, nets: int, delta: float, seed: int) -> dict:
    within = detected_within = detected = judged = 0
    for i in range(nets):
        net32, rng = detection.build(name, i, "float32", seed)
        entry = detection.pick_entry(net32, rng)
        if entry is None:
            continue
        net64, _ = detection.build(name, i, "float64", seed)
        judged += 1
        seen = 2 * best_relative_error(net32, net64, *entry) < delta
        report = gradcheck.check(net32.loss, detection.injected(net32.grad, *entry, delta), net32.params,
                                 mode="full", seed=i)
        caught = any(r.name == entry[0] and not r.ok and str(r.kind) != "inconclusive" for r in report)
        within += seen
        detected += caught
        detected_within += caught and seen
    return {"nets": judged, "within": within, "detected": detected, "detected_within": detected_within}


def pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nets", type=int, default=60)
    parser.add_argument("--families", default=",".join(detection.families()))
    parser.add_argument("--delta", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    print(f"| family (float32) | nets | δ = {args.delta:g} within float32's limit | gradcheck detects, of those "
          "| gradcheck detects, of all |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name in args.families.split(","):
        r = family(name, args.nets, args.delta, args.seed)
        print(f"| {name} | {r['nets']} | {pct(r['within'], r['nets'])} | {pct(r['detected_within'], r['within'])} "
              f"| {pct(r['detected'], r['nets'])} |", flush=True)


if __name__ == "__main__":
    main()
