"""Cases as tasks on an existing Dask cluster: each loaded on a worker from its path, results back in order."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path
from typing import Any, Callable

from ..errors import CheckError, one_line
from .define import Case
from .discover import load
from .results import CaseResult, RunReport
from .run import collect, run_case, run_isolated


def _remote(file: str, name: str, overrides: dict[str, Any] | None, timeout: float | None,
            strict: bool) -> CaseResult:
    """On a worker: load the case file from its path, and run the case isolated as a local run does."""
    found, error = load(Path(file))
    if error is not None:
        return error
    case = next((c for c in found if c.name == name), None)
    if case is None:
        raise CheckError(f"case {name!r} is not in {file} as the worker sees it", expected=name, found=None)
    if mp.current_process().daemon:  # a nanny's worker may not fork: the worker process is the case's isolation
        return run_case(case, overrides, None, timeout, strict)
    return run_isolated(case, overrides, timeout, None, strict)


def _failed(c: Case, why: str) -> CaseResult:
    return CaseResult(name=c.name, file=c.file, expect=c.expect, status="error", as_expected=False, kinds=c.kinds,
                      error=why, doc=c.doc, sweep=c.sweep or None, group=c.group)


def run_on_dask(selected: list[Case], errors: list[CaseResult], address: Any, overrides: dict[str, Any] | None = None,
                timeout: float | None = None, exitfirst: bool = False,
                on_result: Callable[[CaseResult, RunReport], None] | None = None,
                strict: bool = False) -> tuple[RunReport, bool]:
    """Every selected case as a task on the Dask cluster at ``address`` (or a ``dask.distributed.Client``).

    The case files are loaded on the workers from the same paths. Results come
    back in discovery order, into the same report as a local run; a task that
    fails there (a worker that dies, a file it cannot read) is an error case
    with its reason while the rest go on. Ctrl-C (and ``exitfirst``) cancel
    the outstanding tasks.
    """
    try:
        from dask.distributed import Client
    except ImportError as exc:
        raise CheckError('--dask needs the dask extra: pip install "gradcheck[dask]"', expected="dask.distributed",
                         found="not installed") from exc
    try:
        client = address if isinstance(address, Client) else Client(address, timeout=30)
    except Exception as exc:  # an address that is no scheduler, or one that does not answer
        raise CheckError(f"cannot reach the Dask scheduler at {address}: {one_line(exc)}; pass the address "
                         "its scheduler prints (tcp://host:8786)", expected="a Dask scheduler", found=address) from exc
    futures = [client.submit(_remote, c.file, c.name, overrides, timeout, strict, pure=False,
                             key=f"gradcheck-case-{i}-{c.name}") for i, c in enumerate(selected)]

    def outcome(i: int, c: Case) -> CaseResult:
        try:
            return futures[i].result()
        except Exception as exc:  # the task failed on the cluster: this case is an error, the run goes on
            return _failed(c, f"the Dask task failed: {one_line(exc)}")

    try:
        return collect(selected, errors, outcome, exitfirst, on_result)
    finally:
        client.cancel([f for f in futures if not f.done()])
        if client is not address:
            client.close()

