"""Model-level checks: an object with ``params`` and a ``loss`` that returns (or a ``gradient`` that gives) grads."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from .calling import State, call_method, describe, is_float_array
from .checker import check
from .errors import CheckError
from .numerics.randomness import Randomness
from .report import Report


def check_model(model: Any, *data: Any, **options: Any) -> Report:
    """Check a model's gradients, called the way its author calls it.

    ``model.params`` is a dict of arrays and either ``model.loss(*data)``
    returns ``(loss, grads)`` (the CS231n model classes), or
    ``model.loss(*data)`` returns the loss and ``model.gradient(*data)`` the
    grads ("Deep Learning from Scratch"). Grads may be keyed ``W1`` or ``dW1``.
    The model's own arrays hold the check's values while it runs, so layers
    that keep references to them see every change, and they get their
    original values back afterwards: ``model.params`` is the same dict with the
    same arrays, unchanged; its other attributes (running statistics in
    bn_params, caches) are put back before every evaluation and at the end.
    ``data`` is deep-copied for every call; numpy's
    global random state is handled as :func:`gradcheck.check` does, and left as found.
    """
    params = getattr(model, "params", None)
    if not isinstance(params, dict) or not params:
        raise CheckError(f"check_model needs a model with a params dict of arrays; {type(model).__name__} has "
                         f"{describe(params)}: pass the object whose params and loss(*data) hold the network",
                         expected="model.params: dict", found=describe(params))
    arrays = {k: v for k, v in params.items() if is_float_array(v)}
    if not callable(getattr(model, "loss", None)) or not arrays:
        raise CheckError(f"check_model needs model.loss(*data) and float arrays in model.params; "
                         f"{type(model).__name__} has loss={describe(getattr(model, 'loss', None))} and params "
                         f"{ {k: describe(v) for k, v in params.items()} }", expected="loss and float params",
                         found=type(model).__name__)
    saved = {k: v.copy() for k, v in arrays.items()}
    randomness, state = Randomness(), State(model, skip=("params",))
    separate = callable(getattr(model, "gradient", None))

    def call(method: str, p: dict) -> Any:
        state.restore()  # running statistics, caches: as found, before every evaluation (and before the values)
        for k, a in arrays.items():
            np.copyto(a, p[k])
        for k, a in arrays.items():  # code that rebinds model.params[k] gets the check's array back
            params[k] = a
        return call_method(model, method, copy.deepcopy(data), "model", "it must take the data the model is "
                           "trained on")

    def loss(p):
        out = call("loss", p)
        return float(out if separate else _loss_and_grads(out, type(model).__name__)[0])

    def grad(p):
        return call("gradient", p) if separate else _loss_and_grads(call("loss", p), type(model).__name__)[1]

    try:
        return check(loss, grad, {k: v.copy() for k, v in saved.items()}, **options)
    finally:
        state.restore()
        for k, a in arrays.items():
            np.copyto(a, saved[k])
            params[k] = a
        randomness.reset()


def _loss_and_grads(out: Any, name: str) -> tuple[Any, Any]:
    if isinstance(out, tuple) and len(out) == 2:
        return out
    raise CheckError(f"{name}.loss(*data) returned {describe(out)}; expected (loss, grads) — or give the model a "
                     "gradient(*data) method beside a loss that returns the loss alone", expected="(loss, grads)",
                     found=describe(out))
