"""Layers as a check sees them: a function pair or a layer object, forward to outputs, backward to named gradients."""

from __future__ import annotations

import copy
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .calling import Call, State, call_method, describe, is_float_array, positional_count, positional_names
from .errors import CheckError, user_code_raised


def is_layer(obj: Any) -> bool:
    """An object with forward and backward methods."""
    return callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None))


class ObjectLayer:
    """A layer object: ``forward(x, *extra)``, ``backward(dout) -> dx``; parameters in ``params``/``grads`` dicts or
    as attribute pairs (``W`` with ``dW`` after backward). Extra arguments (targets ``t``) are held fixed. Its
    arrays and state are put back after every call."""

    def __init__(self, obj: Any, inputs: Sequence[np.ndarray], extra: Sequence[Any] = ()) -> None:
        self.obj, self.extra = obj, tuple(extra)
        self.inputs = ["x"] if len(inputs) == 1 else [f"x{i}" for i in range(len(inputs))]
        self.point = dict(zip(self.inputs, (np.array(a, copy=True) for a in inputs)))
        self.state = State(obj)  # its attributes (params, running statistics, caches) as found
        self.arrays = {k: np.array(v, copy=True) for k, v in vars(obj).items() if isinstance(v, np.ndarray)}
        self.attribute_pairs = self._attribute_params()
        params = dict(getattr(obj, "params", {}) or {}) or {k: self.arrays[k] for k in self.attribute_pairs}
        self.params = list(params)
        self.point.update({k: np.array(v, copy=True) for k, v in params.items()})
        self.wrt = self.inputs + self.params
        names = positional_names(obj.forward, 1 + len(self.extra))[1:]
        self.fixed = tuple(f"{n} ({describe(v)})" for n, v in zip(names, self.extra))

    def _attribute_params(self) -> list[str]:
        """Float array attributes with a ``d<name>`` array attribute after one backward (of any shape: a wrong one
        is the check's to report)."""
        if getattr(self.obj, "params", None):
            return []
        try:
            out = self._call("forward", *(self.point[n] for n in self.inputs), *copy.deepcopy(self.extra))
            if np.ndim(out) == 0:
                self._call("backward")
            else:
                self._call("backward", np.ones_like(np.asarray(out, dtype=np.float64)))
            return [k for k, v in self.arrays.items()
                    if is_float_array(v) and is_float_array(getattr(self.obj, "d" + k, None))]
        except CheckError:  # named properly by the check's own first call
            return []
        finally:
            self.restore()

    def _call(self, method: str, *args: Any) -> Any:
        return call_method(self.obj, method, args, type(self.obj).__name__,
                           "a layer object takes forward(x) and backward(dout)")

    def is_loss(self) -> bool:
        """Whether forward returns a scalar: a loss layer (``SoftmaxWithLoss.forward(x, t)``)."""
        try:
            out = self._call("forward", *(self.point[n] for n in self.inputs), *copy.deepcopy(self.extra))
            return np.ndim(out) == 0
        finally:
            self.restore()

    def restore(self) -> None:
        """The object's attributes as they were: the same objects, holding their original values."""
        self.state.restore()

    def forward(self, p: Mapping[str, np.ndarray]) -> tuple[list[np.ndarray], Any]:
        self.restore()
        if self.attribute_pairs:
            for k in self.params:
                setattr(self.obj, k, p[k])
        elif self.params:
            self.obj.params = {**self.obj.params, **{n: p[n] for n in self.params}}
        out = self._call("forward", *(p[n] for n in self.inputs), *copy.deepcopy(self.extra))
        return [np.asarray(out)], None

    def backward(self, upstreams: list[np.ndarray], cache: Any) -> dict[str, Any]:
        dx = self._call("backward", upstreams[0])
        if self.attribute_pairs:
            grads = {k: getattr(self.obj, "d" + k, None) for k in self.params}
        else:
            grads = dict(getattr(self.obj, "grads", {}) or {})
        found = {self.inputs[0]: dx} if len(self.inputs) == 1 else dict(zip(self.inputs, dx))
        return {**found, **{n: grads.get(n) for n in self.params if grads.get(n) is not None}}

    def loss_and_grad(self, p: Mapping[str, np.ndarray]) -> tuple[float, dict[str, Any]]:
        """A loss layer object: the loss, then backward() (``dout=1`` by default, as the book writes it)."""
        value = self.forward(p)[0][0]
        try:
            dx = self.obj.backward()
        except TypeError:  # backward(dout) without a default
            dx = self._call("backward", 1.0)
        except Exception as exc:
            raise user_code_raised(f"{type(self.obj).__name__}.backward", exc, "when called after forward") from exc
        return float(value), {self.inputs[0]: dx}


class FunctionLayer:
    """``forward(*args, **kwargs)`` and ``backward(*upstreams, cache)``, called as the user wrote them."""

    def __init__(self, forward: Callable, backward: Callable | None, args: Sequence[Any], kwargs: Mapping[str, Any],
                 wrt: Any) -> None:
        if not callable(forward) or (backward is not None and not callable(backward)):
            raise CheckError("check_layer needs a forward function (and a backward function, or None for a loss "
                             "layer that returns its gradients), or a layer object with forward(x) and "
                             "backward(dout) methods as its first argument",
                             expected="callables or a layer", found=type(forward).__name__)
        self.call = Call(forward, args, kwargs, wrt)
        self.backward_fn = backward
        self.wrt, self.point = self.call.wrt, self.call.point()
        self.inputs, self.params = self.wrt, []
        self.upstream_count = None if backward is None else positional_count(backward)

    def split(self, out: Any) -> tuple[list[np.ndarray], Any]:
        """The float outputs and the cache: ``out``, ``(out, cache)`` or ``(out_1, …, out_k, cache)``; how many of
        a tuple are outputs is read from backward's signature (its upstream gradients, then the cache)."""
        if not isinstance(out, tuple):
            return ([np.asarray(out)] if is_float_array(np.asarray(out)) else []), None
        n = self.upstream_count
        if n is not None and n == len(out):
            outputs, cache = list(out[:-1]), out[-1]
        elif n == 1 and len(out) >= 1:
            outputs, cache = [out[0]], None
        elif len(out) == 2:
            outputs, cache = [out[0]], out[1]
        else:
            outputs, cache = list(out[:-1]), out[-1]
        floats = [np.asarray(o) for o in outputs if is_float_array(np.asarray(o))]
        return floats, cache

    def forward(self, p: Mapping[str, np.ndarray]) -> tuple[list[np.ndarray], Any]:
        return self.split(self.call(p))

    def backward(self, upstreams: list[np.ndarray], cache: Any) -> dict[str, Any]:
        n = self.upstream_count
        args = [*upstreams, cache] if n is None or n > len(upstreams) else list(upstreams)
        try:
            out = self.backward_fn(*args)
        except Exception as exc:  # the user's code may raise anything
            raise user_code_raised("backward", exc, f"when called with {len(upstreams)} upstream gradient(s) of "
                                   f"shapes {[u.shape for u in upstreams]}" + (" and the cache" if len(args) >
                                                                              len(upstreams) else "")
                                   + "; backward must take the upstream gradients (one per output) and the cache "
                                   "forward returned") from exc
        shapes = {n: np.shape(self.call.values[n]) for n in self.call.floats}
        if isinstance(out, (tuple, list)) and len(out) == len(self.call.floats) != len(self.wrt):
            out = [g for n, g in zip(self.call.floats, out) if n in self.wrt]  # (dx, dw, db) kept under wrt=
        return matched(out, self.wrt, shapes)


def matched(grads: Any, names: Sequence[str], shapes: Mapping[str, tuple]) -> dict[str, Any]:
    """The gradients a backward (or a loss layer) returned, by argument name: a dict keyed by name or ``d<name>``,
    a tuple in the order of the differentiated arguments, or one array; fewer than there are arguments are matched
    to the arguments of the same shapes, in order. Arguments left without a gradient are left out."""
    if isinstance(grads, tuple) and len(grads) == 2 and isinstance(grads[1], Mapping) and names:
        return {**matched(grads[1], names, shapes), names[0]: grads[0]}  # (dx, {name: dparam})
    if isinstance(grads, Mapping):
        out = {}
        for n in names:
            for key in (n, "d" + n):
                if key in grads:
                    out[n] = grads[key]
                    break
        return out
    items = list(grads) if isinstance(grads, (tuple, list)) else [grads]
    if len(items) == len(names):
        return {n: g for n, g in zip(names, items) if g is not None}
    if len(items) > len(names):
        raise CheckError(f"backward returned {len(items)} gradients; expected {len(names)}, one for each of "
                         f"{list(names)} in that order (or fewer, matched by shape; or pass wrt=)",
                         expected=len(names), found=len(items))
    out, left = {}, list(names)
    for g in items:
        if g is None:
            continue
        fits = [n for n in left if shapes[n] == np.shape(g)]
        if len(fits) != 1 and not (fits and _first_fit_is_unique(items, fits, shapes)):
            raise CheckError(f"backward returned {len(items)} gradient(s) for the {len(names)} differentiable "
                             f"arguments {list(names)}, and a gradient of shape {np.shape(g)} fits "
                             f"{fits or 'none of them'}: pass wrt= with the arguments it returns gradients for, in "
                             "its order", expected=list(names), found=[np.shape(i) for i in items])
        out[fits[0]] = g
        left.remove(fits[0])
    return out


def _first_fit_is_unique(items: list, fits: list[str], shapes: Mapping[str, tuple]) -> bool:
    """Several arguments share a gradient's shape: still unambiguous when as many gradients of that shape came back
    as there are such arguments (then they are in order)."""
    shape = shapes[fits[0]]
    return sum(np.shape(i) == shape for i in items if i is not None) == len(fits)
