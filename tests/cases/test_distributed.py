"""Cases as tasks on a Dask LocalCluster with worker processes: the same results, and a dead worker is one error."""

import json
import os
import textwrap
import threading
import time

import pytest

distributed = pytest.importorskip("dask.distributed", reason="the dask extra is not installed")

from click.testing import CliRunner  # noqa: E402

from gradcheck import cases  # noqa: E402
from gradcheck.cases.distributed import run_on_dask  # noqa: E402
from gradcheck.cli import main  # noqa: E402

FILE = """
import time
import numpy as np
import gradcheck

@gradcheck.case
def right():
    return gradcheck.Problem(lambda p: float(np.sum(p ** 2)), lambda p: 2 * p, np.ones(3))

@gradcheck.case(expect="fail", kinds={"param": "sign-flipped"})
def flipped():
    return gradcheck.Problem(lambda p: float(np.sum(p ** 2)), lambda p: -2 * p, np.ones(3))

@gradcheck.case
def slow():
    time.sleep(SLEEP)
    return gradcheck.Problem(lambda p: float(np.sum(p ** 3)), lambda p: 3 * p ** 2, np.ones(3))
"""


@pytest.fixture(scope="module")
def cluster():
    import dask

    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):  # a task whose worker dies is not retried
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c:
            yield c


def folder(tmp_path, sleep):
    (tmp_path / "cases_d.py").write_text(textwrap.dedent(FILE.replace("SLEEP", str(sleep))))
    return tmp_path


def untimed(path):
    return [{**c, "seconds": 0} for c in json.loads(path.read_text())["cases"]]


def test_a_suite_on_a_local_cluster_gives_the_results_of_a_local_run(cluster, tmp_path):
    where = folder(tmp_path, 0)
    local = CliRunner().invoke(main, ["run", str(where), "--json", str(tmp_path / "a.json")])
    remote = CliRunner().invoke(main, ["run", str(where), "--json", str(tmp_path / "b.json"), "--dask",
                                       cluster.scheduler_address])
    assert local.exit_code == remote.exit_code == 0 and local.output == remote.output
    assert untimed(tmp_path / "a.json") == untimed(tmp_path / "b.json")


def test_a_worker_killed_mid_run_turns_only_its_case_into_an_error(cluster, tmp_path):
    found, _ = cases.discover([folder(tmp_path, 20)])
    client = distributed.Client(cluster)

    def kill_the_slow_cases_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            busy = [w for w, keys in client.processing().items() if any("slow" in str(k) for k in keys)]
            if busy:
                time.sleep(1.0)  # the case has started there
                pid = client.run(os.getpid, workers=busy)[busy[0]]
                os.kill(pid, 9)
                return
            time.sleep(0.1)

    killer = threading.Thread(target=kill_the_slow_cases_worker)
    killer.start()
    run, interrupted = run_on_dask(found, [], client)
    killer.join()
    client.close()
    status = {c.name: c.status for c in run.cases}
    assert not interrupted and status == {"right": "pass", "flipped": "fail", "slow": "error"}
    assert "the Dask task failed" in next(c for c in run.cases if c.name == "slow").error
