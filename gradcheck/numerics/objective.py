"""The objective: the user's loss as a function of private buffers, which a check moves entry by entry."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import CheckError, loss_not_finite, user_code_raised
from . import numdiff
from .compare import same_values
from .params import Params


def as_scalar(value: Any, what: str, allow_complex: bool = False) -> complex:
    """The loss value ``value`` as a Python number, or a CheckError saying what a loss must return."""
    if type(value) is float:
        return value
    if isinstance(value, np.floating) and not allow_complex:
        return float(value)
    if isinstance(value, (str, bytes)) or value is None:
        raise CheckError(f"{what} returned {value!r}; expected a scalar: a float or a 0-d/size-1 array",
                         expected="scalar", found=type(value).__name__)
    try:
        array = np.asarray(value)
    except Exception as exc:
        raise CheckError(f"{what} returned a {type(value).__name__}; expected a float or a 0-d/size-1 array",
                         expected="scalar", found=type(value).__name__) from exc
    if array.size != 1 or array.dtype.kind not in "fiucb":
        found = f"an array of shape {array.shape}" if array.size != 1 else f"a {array.dtype} value"
        raise CheckError(f"{what} returned {found}; expected a scalar loss: a float or a 0-d/size-1 array "
                         "(sum or average it)", expected="scalar", found=f"shape {array.shape}, dtype {array.dtype}")
    item = array.reshape(()).item()
    if isinstance(item, complex) and not allow_complex:
        return item.real
    return item


def split(out: Any) -> tuple[Any, Any]:
    """``(value, grads)`` from a loss called with grad=None, or a CheckError saying that is what it must return."""
    if not (isinstance(out, tuple) and len(out) == 2):
        raise CheckError(f"loss returned {type(out).__name__}; with grad=None it must return (value, grads), "
                         "the loss and its gradients together", expected="(value, grads)", found=type(out).__name__)
    return out


class Objective:
    """The loss as a function of private buffers: calling it evaluates the loss where the buffers stand.

    ``flat[i]`` is a flat view of parameter i's buffer; a check moves its
    entries in place and calls the objective. The user's arrays are never
    handed to the loss.
    """

    def __init__(self, loss: Callable, params: Params, dtype, returns_grad: bool) -> None:
        self.loss = loss
        self.params = params
        self.buffers = params.copies(dtype)
        self.flat = [b.reshape(-1) for b in self.buffers]
        self.structure = params.builder(self.buffers)
        self.returns_grad = returns_grad
        self.complex = np.dtype(dtype or np.float64).kind == "c"
        self.dtype = np.result_type(*self.buffers)
        self.calls = 0
        self.copies_for_the_loss = False

    def restore_and_list_changes(self) -> dict[str, str]:
        """The parameters the loss changed in place since the start, put back; from then on the loss gets copies.

        The buffers started as the user's arrays in the buffers' dtype, so they
        are compared with those (the user's arrays are never handed out).
        """
        changed = {}
        for name, b, original in zip(self.params.names, self.buffers, self.params.arrays):
            original = np.asarray(original, dtype=b.dtype)
            if not same_values(b, original):
                changed[name] = f"loss writes into the parameter {name!r} it is given (an in-place update)"
                b[...] = original
        self.copies_for_the_loss = self.copies_for_the_loss or bool(changed)
        return changed

    def __call__(self) -> complex:
        self.calls += 1
        if self.copies_for_the_loss:
            out = self.loss(self.params.build([b.copy() for b in self.buffers]))
        else:
            out = self.loss(self.structure())
        if self.returns_grad:
            out = split(out)[0]
        return as_scalar(out, "loss", self.complex)


def real_objective(loss: Callable, params: Params, returns_grad: bool) -> tuple[Objective, float, list[str]]:
    """The objective in float64 where the loss allows it, else in the parameters' own dtypes; its value; notes."""
    native = np.result_type(*params.arrays)
    candidates = [np.float64, None] if native != np.float64 else [None]
    for dtype in candidates:
        objective = Objective(loss, params, dtype, returns_grad)
        last = dtype is None
        try:
            f0 = objective()
        except CheckError:
            if last:
                raise
            continue
        except Exception as exc:
            if last:
                raise user_code_raised("loss", exc, "(at the given parameters)") from exc
            continue
        if not np.isfinite(f0):
            if last:
                raise loss_not_finite(f0, "at the given parameters; a gradient can only be checked where the loss "
                                      "is finite: look for log(0), an overflow or a division by zero")
            continue
        notes = []
        if dtype is np.float64 and native != np.float64:
            notes.append(f"the loss was evaluated in float64 for the numerical side (parameters are {native})")
        elif native != np.float64:
            notes.append(f"the loss does not accept float64 parameters; differences taken in {native}")
        return objective, float(f0), notes
    raise AssertionError("unreachable")


def complex_objective(loss: Callable, params: Params, returns_grad: bool, f0: float,
                      real: Objective) -> Objective | None:
    """A complex objective when the loss is analytic in its parameters: complex in, complex out, same slope."""
    objective = Objective(loss, params, np.complex128, returns_grad)
    try:
        value = objective()
    except Exception:
        return None
    if not isinstance(value, complex) or not np.isfinite(value) or abs(value.real - f0) > 1e-8 * max(1.0, abs(f0)):
        return None
    # The loss must also be analytic: its complex-step slope along one
    # coordinate must agree with a central difference there.
    flat_c, flat_r = next(((c, r) for c, r in zip(objective.flat, real.flat) if c.size), (None, None))
    if flat_c is None:
        return objective
    h, h_complex = numdiff.step_size(flat_r[:1]), numdiff.step_size(flat_c[:1], method="complex-step")
    try:
        slope_c = numdiff.sample_axes(objective, flat_c, h_complex, (1j,), [0])[0, 0].imag / h_complex[0]
        samples = numdiff.sample_axes(real, flat_r, h, (1, -1), [0])
    except Exception:
        return None
    slope_r = numdiff.central(samples[0], samples[1], h)[0]
    # Central differences are good to about 1e-8 relative; a complex step that misses by more is not analytic.
    return objective if abs(slope_c - slope_r) <= 1e-5 * abs(slope_r) + 1e-8 * max(1.0, abs(f0)) else None
