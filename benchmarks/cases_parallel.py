"""Case throughput: a suite of small cases run by `gradcheck run` sequentially, with `-n auto`, and on a Dask
LocalCluster, side by side.

Writes a seeded suite (``--cases`` tanh MLPs of about 600 parameters, every fifth with a wrong gradient expected to
fail) into a temporary folder, runs it each way with ``--json``, and prints the seconds, the cases per second, the
speed-up, and whether the JSON reports are identical to the sequential one once timings are set aside. The Dask row
needs the dask extra (``pip install ".[dask]"``); it is skipped without it. The cluster is started before its run
is timed: one worker process per core, one thread each.

    python benchmarks/cases_parallel.py --cases 100
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASE = '''
@gradcheck.case(expect="{expect}")
def mlp_{i}():
    rng = np.random.default_rng({i})
    x, y = rng.normal(size=(16, 20)), rng.normal(size=(16, 5))
    params = {{"W1": rng.normal(size=(20, 24)) * 0.3, "W2": rng.normal(size=(24, 5)) * 0.3}}

    def loss_and_grad(p):
        h = np.tanh(x @ p["W1"])  # h = tanh(x W1)
        d = (h @ p["W2"] - y) / len(x)  # ∂L/∂o for L = ½ Σ (o − y)² / m
        dz = (d @ p["W2"].T) * (1 - h * h)
        return float(0.5 * np.sum((h @ p["W2"] - y) ** 2) / len(x)), {{"W1": x.T @ dz * {factor}, "W2": h.T @ d}}

    return gradcheck.Problem(loss_and_grad, None, params)
'''


def write_suite(folder: Path, cases: int) -> None:
    for start in range(0, cases, 10):
        body = "import numpy as np\nimport gradcheck\n" + "".join(
            CASE.format(i=i, expect="fail" if i % 5 == 4 else "pass", factor=1.5 if i % 5 == 4 else 1.0)
            for i in range(start, min(start + 10, cases)))
        (folder / f"cases_{start:04d}.py").write_text(body)


def timed_run(folder: Path, out: Path, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "gradcheck", "run", str(folder), "--json", str(out), "-q", *extra],
                   check=False, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def without_timings(path: Path) -> dict:
    data = json.loads(path.read_text())
    for case in data["cases"]:
        case["seconds"] = 0
    return data


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "suite"
        folder.mkdir()
        write_suite(folder, args.cases)
        runs = {"sequential": timed_run(folder, Path(tmp) / "sequential.json"),
                "-n auto": timed_run(folder, Path(tmp) / "-n auto.json", "-n", "auto")}
        cluster = local_cluster()
        if cluster is not None:
            with cluster:
                runs["--dask (LocalCluster)"] = timed_run(folder, Path(tmp) / "--dask (LocalCluster).json", "--dask",
                                                          cluster.scheduler_address)
        reference = without_timings(Path(tmp) / "sequential.json")
        same = {name: without_timings(Path(tmp) / f"{name}.json") == reference for name in runs}
    print(f"{args.cases} cases on {os.cpu_count()} cores")
    print("| run | seconds | cases per second | × sequential | JSON as sequential (timings aside) |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, seconds in runs.items():
        print(f"| {name} | {seconds:.2f} | {args.cases / seconds:.1f} | {runs['sequential'] / seconds:.2f} | "
              f"{'identical' if same[name] else 'DIFFERENT'} |")
    if cluster is None:
        print("(--dask skipped: dask.distributed is not installed)")


def local_cluster():
    """A LocalCluster with one single-threaded worker process per core, or None without the dask extra."""
    try:
        from dask.distributed import LocalCluster
    except ImportError:
        return None
    return LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None)


if __name__ == "__main__":
    main()
