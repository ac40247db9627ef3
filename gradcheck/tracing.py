"""The wrong line: the forward's intermediates followed into the backward, and where a wrong gradient's error enters.

The user's ``loss`` and ``grad`` are run once more under a tracer that records every floating-point array bound
to a local variable (in their functions and the functions they call), with its name, file, line and source. A
backward variable ``dX`` (``d_X``, ``grad_X``, ``X_grad``) is paired with the forward variable ``X`` of its shape;
a name bound once per step of a loop is paired occurrence by occurrence where the counts match, in reverse (as
backpropagation runs a loop) or in the same order, whichever the first measured occurrence bears out. For a
pair, the loss's derivative along a random direction v is measured by running the loss with ``X + t·v`` put in
place the moment ``X`` is bound (and nowhere else), and compared with ⟨dX, v⟩.
"""

from __future__ import annotations

import ctypes
import hashlib
import linecache
import os
import sys
import time
from dataclasses import dataclass, replace
from typing import Any, Callable

import numpy as np

from .numerics.objective import split
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
    changed_at: tuple = ()  # the lines that changed it in place, where they could be followed

    @property
    def source(self) -> str:
        return linecache.getline(self.file, self.line).strip()


_FOLLOWED = 100_000  # arrays up to this size have their in-place changes followed line by line


def _digest(a: np.ndarray) -> bytes:
    return hashlib.blake2b(np.ascontiguousarray(a).view(np.uint8).reshape(-1) if a.size else b"",
                           digest_size=16).digest()


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
        self._held: dict[int, tuple] = {}  # arrays recorded, by the frame that bound them first (and kept alive)
        self._digests: dict[int, list] = {}  # live mode: per frame, its arrays and a digest of their contents
        self.frames = 0  # Python frames of the user's code the run entered
        self.returned_at: int | None = None  # the line the outermost frame of the user's code returned from
        self._first: int | None = None  # that frame

    def run(self, fn: Callable, arg: Any) -> Any:
        previous = sys.gettrace()
        sys.settrace(self._global)
        try:
            return fn(arg)
        finally:
            sys.settrace(previous)

    def _global(self, frame, event, arg):
        if event != "call" or not _user_code(frame.f_code):
            return None
        self._seen[id(frame)] = {}  # a new frame (its id may be a finished one's)
        self.frames += 1
        if self._first is None:
            self._first = id(frame)
        self._last[id(frame)] = frame.f_code.co_firstlineno  # its arguments are bound at the def line
        return self._local

    def _local(self, frame, event, arg):
        if event == "return" and id(frame) == self._first:  # the function's last line, its return statement's end
            self.returned_at = max(line for _, _, line in frame.f_code.co_lines() if line is not None)
        if event in ("line", "return"):
            self._look(frame, at_return=event == "return")
            if self.live:
                self._changes(frame)
            self._last[id(frame)] = frame.f_lineno
        return self._local

    def _changes(self, frame) -> None:
        """Which of this frame's arrays the line just run changed in place (small arrays: a digest per line)."""
        line = self._last.get(id(frame), frame.f_lineno)
        for b, digest in self._digests.setdefault(id(frame), []):
            now = _digest(b.value)
            if now != digest[0]:
                b.changed_at += (line,)
                digest[0] = now

    def _look(self, frame, at_return: bool) -> None:
        seen = self._seen.setdefault(id(frame), {})
        line = self._last.get(id(frame), frame.f_lineno)
        changed = False
        local = frame.f_locals
        for name, value in list(local.items()):
            if not (isinstance(value, np.ndarray) and value.dtype.kind == "f") or seen.get(name) == id(value):
                continue
            seen[name] = id(value)
            if self._held.get(id(value), (id(frame),))[0] != id(frame):  # passed on from another frame (returned)
                continue
            self._held.setdefault(id(value), (id(frame), value))  # (an alias in the same frame, dh = dh_next, counts)
            key = (frame.f_code, name)
            self._counts[key] = occurrence = self._counts.get(key, 0) + 1
            self.bindings.append(Binding(name, frame.f_code.co_name, frame.f_code, occurrence,
                                         frame.f_code.co_filename, line,
                                         value if self.live else np.array(value, copy=True),
                                         np.array(value, copy=True) if self.live else None))
            if self.live and value.size <= _FOLLOWED:
                self._digests.setdefault(id(frame), []).append((self.bindings[-1], [_digest(value)]))
            r = self.replace
            if r is not None and not at_return and (frame.f_code, name, occurrence) == r[:3]:
                local[name] = r[3]
                changed = self.replaced = True
                value = r[3]
            seen[name] = id(value)
        if changed and sys.version_info < (3, 13):  # from 3.13 (PEP 667) frame.f_locals writes through by itself
            ctypes.pythonapi.PyFrame_LocalsToFast(ctypes.py_object(frame), ctypes.c_int(0))


def _paired_name(name: str) -> str | None:
    for prefix in ("grad_", "d_", "d"):
        if name.startswith(prefix) and len(name) > len(prefix):
            return name[len(prefix):]
    return name[: -len("_grad")] if name.endswith("_grad") and len(name) > 5 else None


def value_of(out: Any) -> Any:
    """The loss's value from what a function returning ``(value, grads)`` returned."""
    return split(out)[0]


def traceable(*fns: Callable | None) -> bool:
    """Whether every given function is Python code the tracer can follow (not a C function or builtin)."""
    return all(fn is None or hasattr(fn, "__code__") or hasattr(getattr(fn, "__call__", None), "__code__")
               for fn in fns)


def follow(loss: Callable, grad: Callable | None, params: Params, seed: int = 0, wrong: bool = False,
           budget: float | None = None) -> Trace:
    """The paired intermediates of ``loss`` and ``grad`` at ``params``, each judged, and where the error enters."""
    began = time.perf_counter()
    if not traceable(loss, grad):
        return Trace((), "not traced: the loss and the gradient must be Python functions", traced=False)
    if grad is None:  # one function computes the loss and its gradients: forward and backward in one run
        combined = loss

        def value(structure):
            return value_of(combined(structure))
        backward = _Tracer(live=True)
        f0 = float(np.asarray(value_of(backward.run(combined, params.build(params.copies())))))
        forward_bindings = [replace(b, value=b.bound) for b in backward.bindings]
        loss = value
    else:
        forward = _Tracer()
        f0 = float(np.asarray(forward.run(loss, params.build(params.copies()))))
        forward_bindings = forward.bindings
        backward = _Tracer(live=True)
        backward.run(grad, params.build(params.copies()))
    ran = [backward] if grad is None else [forward, backward]
    # followed are the runs that bind an array of their own, beyond their arguments (a lambda around a C function
    # binds none)
    if not all(any(b.line != b.code.co_firstlineno for b in t.bindings) for t in ran):
        return Trace((), "not traced: the loss or the gradient runs no Python code of yours the tracer could follow "
                     "(a C function, or a wrapper around one)", traced=False)
    for b in backward.bindings:  # as the backward left them
        b.value = np.array(b.value, copy=True)
        b.changed_after = not np.array_equal(b.value, b.bound, equal_nan=True)
    occurrences: dict[str, list[Binding]] = {}
    for b in forward_bindings:
        occurrences.setdefault(b.name, []).append(b)
    pairs = sum(_paired_name(b.name) in occurrences for b in backward.bindings)
    per_run = (time.perf_counter() - began) / len(ran)
    estimate = per_run * 2 * _DIRECTIONS * pairs  # two runs of the loss per direction
    if budget is not None and estimate > budget:  # a loss that runs many Python lines: each costs a trace event
        return Trace((), f"not traced: following the {pairs} paired intermediates line by line would take about "
                     f"{estimate:.0f} s; trace=True runs it anyway", traced=False)
    rng = np.random.default_rng([seed, 19])

    def judge(partner: Binding, dx: np.ndarray) -> tuple[str, float]:
        return _judge(loss, params, partner, dx, f0, rng)

    rows = []
    order: dict[str, str] = {}  # a reassigned name: "reversed" (a backward loop) or "same", as measured
    for position, b in enumerate(backward.bindings):
        target = _paired_name(b.name)
        candidates = [f for f in occurrences.get(target or "", []) if f.value.shape == b.value.shape]
        if target is None or not candidates:
            continue
        count = sum(x.name == b.name for x in backward.bindings)
        if count != len(candidates):
            rows.append(_row(b, None, "unpaired", float("nan"), position, count))
            continue
        if count == 1:
            rows.append(_row(b, candidates[0], *judge(candidates[0], b.value), position, count))
            continue
        # Bound once per step of a loop: the backward runs the steps in reverse, as backpropagation does, or in
        # the same order; the first occurrence measured that agrees either way settles which.
        k = b.occurrence - 1

        def pick(way: str) -> Binding:
            return candidates[count - 1 - k] if way == "reversed" else candidates[k]

        if b.name in order:
            partner = pick(order[b.name])
            verdict = judge(partner, b.value)
        else:
            for way in ("reversed", "same"):
                partner = pick(way)
                verdict = judge(partner, b.value)
                if verdict[0] == "right":
                    order[b.name] = way
                    break
            else:  # neither order is borne out at this occurrence: it is not paired
                rows.append(_row(b, None, "unpaired", float("nan"), position, count))
                continue
        rows.append(_row(b, partner, *verdict, position, count))
    inputs_agree = _forward_agrees(backward.bindings, forward_bindings, rows)
    return Trace(tuple(rows), _sentence(rows, backward.bindings, inputs_agree, wrong, backward.returned_at),
                 traced=True)


def _forward_agrees(bindings: list[Binding], forward: list[Binding], rows: list[TraceRow]) -> bool:
    """Whether every array the backward bound before its first wrong intermediate that the forward also bound (a
    forward recomputed in grad) holds the forward's value: then those lines are right."""
    first = next((r.position for r in rows if r.verdict == "wrong"), None)
    if first is None:
        return True
    values: dict[str, list[np.ndarray]] = {}
    for f in forward:
        values.setdefault(f.name, []).append(f.value)
    for b in bindings[:first]:
        if b.name.startswith("d") or b.name not in values:
            continue
        if not any(v.shape == b.bound.shape and np.allclose(v, b.bound, rtol=1e-12, atol=0.0) for v in values[b.name]):
            return False
    return True


def _row(b: Binding, partner: Binding | None, verdict: str, error: float, position: int = 0,
         count: int = 1) -> TraceRow:
    name = b.name if count == 1 else f"{b.name} ({_ordinal(b.occurrence)} of {count})"
    return TraceRow(variable=name, function=b.function, line=b.line, source=b.source, changed_after=b.changed_after,
                    changed_at=tuple(sorted(set(b.changed_at))),
                    paired_with=None if partner is None else f"{partner.name} (line {partner.line})",
                    verdict=verdict, error=error, position=position)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _judge(loss, params: Params, partner: Binding, dx: np.ndarray, f0: float, rng) -> tuple[str, float]:
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
        worst = max(worst, error)
        if abs(slope - analytic) > _RTOL * size + rounding:
            return "wrong", worst
    return "right", worst


def _sentence(rows: list[TraceRow], bindings: list[Binding], inputs_agree: bool = False, failed: bool = False,
              returned_at: int | None = None) -> str:
    judged = [r for r in rows if r.verdict in ("right", "wrong")]
    wrong = next((i for i, r in enumerate(judged) if r.verdict == "wrong"), None)
    unpaired = [r for r in rows if r.verdict == "unpaired"]
    if wrong is None:
        if not judged:
            return "no intermediate could be paired"
        last = judged[-1]
        if failed and returned_at is not None and returned_at > last.line:
            span = f"line {returned_at}" if returned_at == last.line + 1 else f"lines {last.line + 1}–{returned_at}"
            return (f"every paired intermediate of the backward is right, the last {last.variable} (line {last.line}: "
                    f"{last.source}); the error enters after it, in {span}, where the gradients are formed from them")
        return "every paired intermediate of the backward is right"
    first = judged[wrong]
    said = f"{first.variable} (line {first.line}: {first.source}) is wrong"
    plain = first.variable.split(" (")[0]
    later = ""
    if first.changed_at:
        many = len(first.changed_at) > 1
        later = (f", or in the line{'s' if many else ''} that change{'' if many else 's'} {plain} in place after it "
                 f"({', '.join(map(str, first.changed_at))})")
    elif first.changed_after:
        later = f", or in a line after it that changes {plain} in place"
    if wrong == 0:
        # before it the backward has only the forward's values (checked equal where it computes them again)
        before = "at" if inputs_agree else "at or before"
        return (f"{said}; it is the first paired intermediate the backward computes: the error enters {before} "
                f"line {first.line}{later}")
    last = judged[wrong - 1]
    # the variables bound after the last right one and before the first wrong one, as the backward ran
    between = sorted({b.line for b in bindings[last.position + 1:first.position]} - {first.line})
    if unpaired and any(last.position < r.position < first.position for r in unpaired):
        between = sorted(set(between) | {r.line for r in unpaired if last.position < r.position < first.position})
    lines = sorted(set(between) | {first.line})
    where = f"at line {first.line}" if not between else f"in lines {', '.join(map(str, lines[:-1]))} or {lines[-1]}"
    return f"{last.variable} (line {last.line}: {last.source}) is right; {said}: the error enters {where}{later}"
