"""The wrong line: the forward's intermediates followed into the backward, and where a wrong gradient's error enters.

The user's ``loss`` and ``grad`` are run once more under a tracer that records every floating-point array bound
to a local variable (in their functions and the functions they call), with its name, file, line and source. A
backward variable ``dX`` (``d_X``, ``grad_X``, ``X_grad``) is paired with the forward variable ``X`` of its shape
when each is bound once (a name reassigned in a loop is listed as unpaired: the backward runs its steps in an
order the names do not tell). For a pair, the loss's derivative along a random direction v is measured by running the
loss with ``X + t·v`` put in place the moment ``X`` is bound (and nowhere else), and compared with ⟨dX, v⟩.
"""

from __future__ import annotations

import ctypes
import linecache
import os
import sys
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from .numerics.params import Params
from .report import Trace, TraceRow

_DIRECTIONS = 2  # random directions per paired intermediate
_RTOL = 1e-5  # relative agreement of a slope with ⟨dX, v⟩ (the slopes' own rounding is added)
_SKIP = (os.path.dirname(__file__), os.path.dirname(np.__file__), os.path.dirname(os.__file__))


@dataclass
class Binding:
    """A float array bound to a local variable: where, which occurrence of the name in its function, its value."""

    name: str
    function: str
    code: Any
    occurrence: int
    file: str
    line: int
    value: np.ndarray
    bound: np.ndarray | None = None  # with a live value: a copy as it was bound
    changed_after: bool = False  # changed in place after it was bound (dscores[range(N), y] -= 1)

    @property
    def source(self) -> str:
        return linecache.getline(self.file, self.line).strip()


def _user_code(code) -> bool:
    file = code.co_filename
    return not file.startswith(_SKIP) and "site-packages" not in file and not file.startswith("<frozen")


class _Tracer:
    """Runs a function, recording bindings; with ``replace``, swaps one binding's value the moment it is made."""

    def __init__(self, replace: tuple | None = None, live: bool = False) -> None:
        self.bindings: list[Binding] = []
        self.replace = replace  # (code, name, occurrence, new value)
        self.live = live  # keep each array itself, as it is at the end (in-place changes after binding count)
        self.replaced = False
        self._seen: dict[int, dict[str, int]] = {}
        self._last: dict[int, int] = {}
        self._counts: dict[tuple, int] = {}
        self._held: dict[int, np.ndarray] = {}  # arrays already recorded (passed on, returned): one binding each

    def run(self, fn: Callable, arg: Any) -> Any:
        previous = sys.gettrace()
        sys.settrace(self._global)
        try:
            return fn(arg)
        finally:
            sys.settrace(previous)

    def _global(self, frame, event, arg):
        return self._local if event == "call" and _user_code(frame.f_code) else None

    def _local(self, frame, event, arg):
        if event in ("line", "return"):
            self._look(frame, at_return=event == "return")
            self._last[id(frame)] = frame.f_lineno
        return self._local

    def _look(self, frame, at_return: bool) -> None:
        seen = self._seen.setdefault(id(frame), {})
        line = self._last.get(id(frame), frame.f_lineno)
        changed = False
        local = frame.f_locals
        for name, value in list(local.items()):
            if not (isinstance(value, np.ndarray) and value.dtype.kind == "f") or seen.get(name) == id(value):
                continue
            seen[name] = id(value)
            if id(value) in self._held:  # an array bound before, under another name or in another frame
                continue
            self._held[id(value)] = value
            key = (frame.f_code, name)
            self._counts[key] = occurrence = self._counts.get(key, 0) + 1
            self.bindings.append(Binding(name, frame.f_code.co_name, frame.f_code, occurrence,
                                         frame.f_code.co_filename, line,
                                         value if self.live else np.array(value, copy=True),
                                         np.array(value, copy=True) if self.live else None))
            r = self.replace
            if r is not None and not at_return and (frame.f_code, name, occurrence) == r[:3]:
                local[name] = r[3]
                changed = self.replaced = True
                value = r[3]
            seen[name] = id(value)
        if changed:
            ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))


def _paired_name(name: str) -> str | None:
    for prefix in ("grad_", "d_", "d"):
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix):]
    return name[: -len("_grad")] if name.endswith("_grad") and len(name) > 5 else None


def traceable(*fns: Callable | None) -> bool:
    """Whether every given function is Python code the tracer can follow (not a C function or builtin)."""
    return all(fn is None or hasattr(fn, "__code__") or hasattr(getattr(fn, "__call__", None), "__code__")
               for fn in fns)


def follow(loss: Callable, grad: Callable | None, params: Params, seed: int = 0) -> Trace:
    """The paired intermediates of ``loss`` and ``grad`` at ``params``, each judged, and where the error enters."""
    if grad is None or not traceable(loss, grad):
        return Trace((), "not traced: the loss and the gradient must be separate Python functions", traced=False)
    structure = params.build(params.copies())
    forward = _Tracer()
    f0 = float(np.asarray(forward.run(loss, structure)))
    backward = _Tracer(live=True)
    backward.run(grad, params.build(params.copies()))
    for b in backward.bindings:  # as the backward left them
        b.value = np.array(b.value, copy=True)
        b.changed_after = not np.array_equal(b.value, b.bound, equal_nan=True)
    occurrences: dict[str, list[Binding]] = {}
    for b in forward.bindings:
        occurrences.setdefault(b.name, []).append(b)
    rng = np.random.default_rng([seed, 19])
    rows = []
    for b in backward.bindings:
        target = _paired_name(b.name)
        candidates = [f for f in occurrences.get(target or "", []) if f.value.shape == b.value.shape]
        if target is None or not candidates:
            continue
        counts = len([x for x in backward.bindings if x.name == b.name])
        if counts != 1 or len(candidates) != 1:  # a reassigned name (a time loop) runs in an order not known here
            rows.append(_row(b, None, "unpaired", float("nan")))
            continue
        partner = candidates[0]
        rows.append(_row(b, partner, *_judge(loss, structure, params, partner, b.value, f0, rng)))
    return Trace(tuple(rows), _sentence(rows, backward.bindings), traced=True)


def _row(b: Binding, partner: Binding | None, verdict: str, error: float) -> TraceRow:
    return TraceRow(variable=b.name, function=b.function, line=b.line, source=b.source, changed_after=b.changed_after,
                    paired_with=None if partner is None else f"{partner.name} (line {partner.line})",
                    verdict=verdict, error=error)


def _judge(loss, structure, params: Params, partner: Binding, dx: np.ndarray, f0: float, rng) -> tuple[str, float]:
    """Right or wrong: the loss's slope along random v with ``partner`` moved where it is bound, against ⟨dX, v⟩."""
    x = partner.value.astype(np.float64)
    worst = 0.0
    for _ in range(_DIRECTIONS):
        v = rng.standard_normal(x.shape)
        scale = max(1.0, float(np.max(np.abs(x), initial=0.0)))
        t = np.finfo(np.float64).eps ** (1 / 3) * scale / max(float(np.max(np.abs(v))), 1e-300)
        values = []
        for sign in (1.0, -1.0):
            tracer = _Tracer((partner.code, partner.name, partner.occurrence, (x + sign * t * v).astype(x.dtype)))
            values.append(float(np.asarray(tracer.run(loss, params.build(params.copies())))))
            if not tracer.replaced:
                return "untested", float("nan")
        slope = (values[0] - values[1]) / (2 * t)
        analytic = float(np.sum(dx * v))
        rounding = 1e3 * np.finfo(np.float64).eps * max(abs(f0), 1.0) / t
        size = max(abs(slope), abs(analytic), float(np.sum(np.abs(dx * v))) * 1e-3, 1e-300)
        error = abs(slope - analytic) / size
        if abs(slope - analytic) > _RTOL * size + rounding:
            worst = max(worst, error)
            return "wrong", worst
        worst = max(worst, error)
    return "right", worst


def _sentence(rows: list[TraceRow], bindings: list[Binding]) -> str:
    judged = [r for r in rows if r.verdict in ("right", "wrong")]
    wrong = next((i for i, r in enumerate(judged) if r.verdict == "wrong"), None)
    if wrong is None:
        return "every paired intermediate of the backward is right" if judged else "no intermediate could be paired"
    first = judged[wrong]
    said = f"{first.variable} (line {first.line}: {first.source}) is wrong"
    later = f", or in a line after it that changes {first.variable} in place" if first.changed_after else ""
    if wrong == 0:
        return (f"{said}; it is the first paired intermediate the backward computes: the error enters at or before "
                f"line {first.line}{later}")
    last = judged[wrong - 1]
    between = sorted({b.line for b in bindings if last.line < b.line < first.line and b.function == first.function})
    where = f"at line {first.line}" if not between or last.function != first.function else \
        f"between lines {last.line + 1} and {first.line}"
    return f"{last.variable} (line {last.line}: {last.source}) is right; {said}: the error enters {where}{later}"
