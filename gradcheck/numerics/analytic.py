"""The analytic side: the user's gradients, computed on copies, and how the user's code treated its inputs."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import CheckError, user_code_raised
from .compare import same_values
from .objective import split
from .params import Params


def _call(fn: Callable, arg: Any, what: str) -> Any:
    try:
        return fn(arg)
    except CheckError:
        raise
    except Exception as exc:
        raise user_code_raised(what, exc, "(at the given parameters)") from exc


def analytic_gradients(loss: Callable, grad: Callable | None, params: Params, dtype=None,
                       mutations: dict[str, str] | None = None) -> tuple[list, dict, list[str]]:
    """The analytic gradients in parameter order (None where missing), any extra ones by name, and the keys
    ignored (``dA1`` beside ``dW1``, see :meth:`Params.read_grads`).

    They are computed on copies and copied out, so nothing the user's code
    does later changes them. With ``mutations``, records by parameter name
    how the code misbehaved: it wrote into the parameters it was given,
    returned a view of them as a gradient, or returned a buffer that a later
    call overwrites.
    """
    fn, what = (loss, "loss") if grad is None else (grad, "grad")

    def call(inputs=None):
        inputs = params.copies(dtype) if inputs is None else inputs
        out = _call(fn, params.build(inputs), what)
        found, extra, ignored = params.read_grads(split(out)[1] if grad is None else out, what)
        return inputs, found, extra, ignored

    inputs, found, extra, ignored = call()
    if mutations is not None:
        for name, before, after, g in zip(params.names, params.arrays, inputs, found):
            if not same_values(np.asarray(before, dtype=after.dtype), after):
                mutations[name] = f"{what} writes into the parameter {name!r} it is given (an in-place update)"
            elif g is not None and any(np.shares_memory(g, x) for x in inputs):
                mutations[name] = f"{what} returns a view of its input as the gradient of {name!r}"
        # The second call is given the first call's copies when the code left them as they were: one copy less.
        again = None if mutations else inputs
        del inputs
        kept = [None if g is None else _digest(g) for g in found]
        call(again)  # a second call shows whether the first call's arrays are buffers that get overwritten
        del again
        for name, g, digest in zip(params.names, found, kept):
            if g is not None and name not in mutations and _digest(g) != digest:
                mutations[name] = (f"{what} returns a buffer as the gradient of {name!r} and overwrites it on the "
                                   "next call; return a new array (or a copy)")
    return [None if g is None else g.copy() for g in found], {k: v.copy() for k, v in extra.items()}, ignored


def _digest(a: np.ndarray) -> tuple:
    """What tells whether ``a``'s values changed, without a copy of it: its dtype, shape and a hash of its bytes."""
    data = np.ascontiguousarray(a)
    return a.dtype.str, a.shape, hashlib.blake2b(data.view(np.uint8).reshape(-1) if data.size else b"").digest()


def gradients_at(loss: Callable, grad: Callable | None, params: Params) -> Callable[[Sequence[np.ndarray]], list]:
    """The user's gradients at other arrays in the parameters' structure (float64 copies, a nearby point)."""
    return lambda arrays: analytic_gradients(loss, grad, replace(params, arrays=tuple(arrays)))[0]


class Float64Gradients:
    """The analytic gradients at float64 copies of the parameters, computed once on first use, when grad accepts them.

    A low-precision gradient that is wrong only by rounding agrees with these.
    """

    def __init__(self, gradients_at: Callable[[Sequence[np.ndarray]], list], arrays: Sequence[np.ndarray]) -> None:
        self._compute = lambda: gradients_at([np.asarray(a, dtype=np.float64) for a in arrays])
        self._gradients: list | None = None

    def __getitem__(self, index: int) -> np.ndarray | None:
        if self._gradients is None:
            try:
                self._gradients = self._compute()
            except Exception:
                self._gradients = []
        return self._gradients[index] if index < len(self._gradients) else None
