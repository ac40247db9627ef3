"""Fuzz check() for a few minutes: random structures, dtypes, shapes and misbehaving loss/grad functions.

Every run must end in a Report or a CheckError with a message, and must leave
the caller's arrays unchanged. Anything else is printed with the input that
caused it, and the script exits 1.

    python fuzz/fuzz_check.py --minutes 3
"""

from __future__ import annotations

import argparse
import time
import traceback
import warnings

import numpy as np

import gradcheck

DTYPES = [np.float64, np.float32, np.float16, np.int32, np.complex64, np.bool_, object]
BEHAVIOURS = ["right", "wrong", "raise", "nan", "array", "string", "none", "mutate", "view", "shape", "list",
              "int-grad", "extra-key", "missing-key", "noisy", "nan-later", "huge", "tiny"]


def random_params(rng):
    form = rng.choice(["dict", "list", "tuple", "array", "scalar", "junk"])

    def array():
        shape = tuple(int(d) for d in rng.integers(0, 4, size=rng.integers(0, 4)))
        dtype = DTYPES[rng.integers(len(DTYPES))] if rng.uniform() < 0.2 else np.float64
        data = rng.normal(size=shape) * 10.0 ** rng.integers(-3, 4)
        if dtype is object:
            return data.astype(object)
        value = data.astype(dtype)
        if rng.uniform() < 0.1 and value.ndim:
            value = value[..., ::2]
        if rng.uniform() < 0.1:
            value.setflags(write=False)
        return value

    count = int(rng.integers(0, 4))
    if form == "dict":
        return {f"p{i}": array() for i in range(count)}
    if form in ("list", "tuple"):
        items = [array() for _ in range(count)]
        return items if form == "list" else tuple(items)
    if form == "array":
        return array()
    if form == "scalar":
        return float(rng.normal())
    junk = ["text", None, 3, {"a": "b"}, [None]]
    return junk[int(rng.integers(len(junk)))]


def values_of(p):
    if isinstance(p, dict):
        return list(p.values())
    return list(p) if isinstance(p, (list, tuple)) else [p]


def rebuild(p, values):
    if isinstance(p, dict):
        return dict(zip(p, values))
    if isinstance(p, tuple):
        return tuple(values)
    return list(values) if isinstance(p, list) else values[0]


def problem(rng, behaviour):
    calls = {"n": 0}
    after = int(rng.integers(0, 12))  # the call from which a failing loss fails
    noise = np.random.default_rng()

    def loss(p):
        calls["n"] += 1
        value = float(sum(np.sum(np.cos(np.asarray(x, dtype=np.float64))) for x in values_of(p)))
        if behaviour == "raise" and calls["n"] > after:
            raise RuntimeError("loss failed")
        if behaviour == "nan" or (behaviour == "nan-later" and calls["n"] > after):
            return float("nan")
        if behaviour == "array":
            return np.ones(3)
        if behaviour == "string":
            return "1.0"
        if behaviour == "none":
            return None
        if behaviour == "noisy":
            value += noise.normal()
        if behaviour == "mutate":
            for x in values_of(p):
                if isinstance(x, np.ndarray) and x.flags.writeable and x.size:
                    x.flat[0] += 1.0
        return value * {"huge": 1e300, "tiny": 1e-300}.get(behaviour, 1.0)

    def grad(p):
        out = [-np.sin(np.asarray(x, dtype=np.float64)) for x in values_of(p)]
        if behaviour == "wrong":
            out = [2 * g for g in out]
        if behaviour == "shape":
            out = [np.append(g, 0.0) for g in out]
        if behaviour == "int-grad":
            out = [g.astype(int) for g in out]
        if behaviour == "view" and values_of(p) and isinstance(values_of(p)[0], np.ndarray):
            out[0] = values_of(p)[0]
        if behaviour == "list":
            return out
        result = rebuild(p, out)
        if behaviour == "extra-key" and isinstance(result, dict):
            result["extra"] = np.zeros(2)
        if behaviour == "missing-key" and isinstance(result, dict) and result:
            result.pop(next(iter(result)))
        return result

    return loss, grad


OUTCOMES = {"report": 0, "check-error": 0}


def one(rng) -> str | None:
    params = random_params(rng)
    behaviour = BEHAVIOURS[rng.integers(len(BEHAVIOURS))]
    loss, grad = problem(rng, behaviour)
    options = {"mode": str(rng.choice(["auto", "full", "probe"])),
               "method": str(rng.choice(["central", "richardson", "auto"]))}
    before = [np.array(v, copy=True) if isinstance(v, np.ndarray) else v for v in values_of(params)]
    try:
        report = gradcheck.check(loss, grad, params, **options)
        assert isinstance(report, gradcheck.Report)
        str(report)
        report.to_dict()
        OUTCOMES["report"] += 1
    except gradcheck.CheckError as exc:
        OUTCOMES["check-error"] += 1
        if not str(exc):
            return f"CheckError without a message for {behaviour} {options} {params!r}"
    except Exception:
        return f"{behaviour} {options} {params!r}\n{traceback.format_exc()}"
    for b, a in zip(before, values_of(params)):
        if isinstance(b, np.ndarray) and not np.array_equal(b, a, equal_nan=b.dtype.kind in "fc"):
            return f"the caller's array changed: {behaviour} {options}"
    return None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    end = time.monotonic() + 60 * args.minutes
    runs, failures = 0, []
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        while time.monotonic() < end:
            failure = one(rng)
            runs += 1
            if failure:
                failures.append(failure)
                print(failure)
    print(f"{runs} fuzz runs in {args.minutes:g} minutes (seed {args.seed}): {OUTCOMES['report']} reports, "
          f"{OUTCOMES['check-error']} CheckErrors, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
