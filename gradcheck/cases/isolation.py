"""Isolation: run a function in a forked child under a time limit, so a crash or a hang is a result, not the end."""

from __future__ import annotations

import faulthandler
import multiprocessing as mp
import os
import signal
import time
import traceback
from dataclasses import dataclass
from typing import Any, Callable

from ..errors import one_line

PROGRESS = "progress"


@dataclass(frozen=True)
class Outcome:
    """What came back from the child: a value, or why there is none."""

    value: Any = None
    error: str | None = None  # one line
    traceback: str | None = None


def available() -> bool:
    return "fork" in mp.get_all_start_methods()


def _child(conn, fn: Callable, args: tuple) -> None:
    faulthandler.disable()  # the parent reports a crash; a second account on stderr only adds noise

    def progress(done: int, total: int) -> None:
        conn.send((PROGRESS, (done, total)))

    try:
        value = fn(*args, progress)
        conn.send(("value", value))
    except BaseException as exc:  # the child reports everything, SystemExit and KeyboardInterrupt included
        conn.send(("raised", (one_line(exc), traceback.format_exc())))
    finally:
        conn.close()
        os._exit(0)


def _death(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"the process running it was killed by {name} (a crash in native code, or killed from outside)"
    return f"the process running it exited with status {code} before returning (os._exit or a crash)"


_LIVE: set = set()  # the children running now, so that an interrupted run can stop them all


def stop_all() -> None:
    """Kill every child still running (Ctrl-C during a parallel run)."""
    for process in list(_LIVE):
        if process.is_alive():
            process.kill()


def call(fn: Callable, args: tuple, timeout: float | None,
         progress: Callable[[int, int], None] | None = None) -> Outcome:
    """``fn(*args, progress)`` in a forked child; its value, or an error saying it raised, crashed or timed out.

    ``timeout`` is in seconds (None for no limit); a child still running then is killed.
    """
    ctx = mp.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)
    process = ctx.Process(target=_child, args=(send, fn, args), daemon=False)
    process.start()
    _LIVE.add(process)
    send.close()
    deadline = None if timeout is None else time.monotonic() + timeout
    try:
        while True:
            remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
            if not receive.poll(remaining):
                return Outcome(error=f"timed out after {timeout:g} s (--timeout) and was stopped")
            try:
                kind, payload = receive.recv()
            except (EOFError, OSError):
                process.join(5)
                return Outcome(error=_death(process.exitcode))
            if kind == PROGRESS:
                if progress is not None:
                    progress(*payload)
                continue
            if kind == "value":
                return Outcome(value=payload)
            return Outcome(error=payload[0], traceback=payload[1])
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        _LIVE.discard(process)
        receive.close()
