"""Layer-level checks: a layer's backward as vector–Jacobian products, and a network checked layer by layer."""

from __future__ import annotations

import copy
import inspect
from dataclasses import fields, replace
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .calling import Call, call_method, describe, is_float_array, positional_count, positional_names
from .checker import check
from .diagnosis import activation_fingerprint
from .errors import CheckError, user_code_raised
from .numerics.randomness import Randomness
from .options import CheckOptions
from .report import Report


def _is_layer(obj: Any) -> bool:
    return callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None))


CHECK_OPTIONS = frozenset(f.name for f in fields(CheckOptions)) | {"time_limit", "progress"}


class _ObjectLayer:
    """A layer object: ``forward(x, *extra)``, ``backward(dout) -> dx``; parameters in ``params``/``grads`` dicts or
    as attribute pairs (``W`` with ``dW`` after backward). Extra arguments (targets ``t``) are held fixed. Its
    arrays and state are put back after every call."""

    def __init__(self, obj: Any, inputs: Sequence[np.ndarray], extra: Sequence[Any] = ()) -> None:
        self.obj, self.extra = obj, tuple(extra)
        self.inputs = ["x"] if len(inputs) == 1 else [f"x{i}" for i in range(len(inputs))]
        self.point = {**dict(zip(self.inputs, (np.array(a, copy=True) for a in inputs)))}
        self.saved = dict(vars(obj))  # the attributes themselves: put back as the same objects
        self.arrays = {k: np.array(v, copy=True) for k, v in vars(obj).items() if isinstance(v, np.ndarray)}
        self.inner = {(k, key): np.array(a, copy=True) for k, v in vars(obj).items() if isinstance(v, dict)
                      for key, a in v.items() if isinstance(a, np.ndarray)}  # params, running statistics
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
        """The object's attributes as they were, its arrays with their original values."""
        for k, v in self.saved.items():
            setattr(self.obj, k, v)
        for k, v in self.arrays.items():
            if self.saved[k].shape == v.shape:
                self.saved[k][...] = v
        for (k, key), v in self.inner.items():
            self.saved[k][key] = self.saved[k].get(key, v)
            if isinstance(self.saved[k][key], np.ndarray) and self.saved[k][key].shape == v.shape:
                self.saved[k][key][...] = v
        for k in list(vars(self.obj)):
            if k not in self.saved:
                delattr(self.obj, k)

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


class _FunctionLayer:
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
            return [np.asarray(out)], None
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


def _old_form(forward: Callable, args: tuple, kwargs: dict) -> tuple[tuple, dict] | None:
    """``check_layer(forward, backward, inputs, params)`` as before: the inputs (an array or a tuple of arrays) and a
    dict of named parameters; recognised only where the new form cannot mean it."""
    if kwargs or not args or len(args) > 2:
        return None
    inputs, params = args[0], (args[1] if len(args) == 2 else None)
    if params is not None and not (isinstance(params, Mapping) and params and
                                   all(isinstance(v, np.ndarray) for v in params.values())):
        return None
    takes = positional_count(forward)
    if isinstance(inputs, (tuple, list)) and all(isinstance(a, np.ndarray) for a in inputs) and \
            (takes is None or takes >= len(inputs) > 1):
        spread = tuple(inputs)
    elif isinstance(inputs, np.ndarray):
        spread = (inputs,)
    else:
        return None
    if params is None:
        return (spread, {}) if isinstance(inputs, (tuple, list)) else None
    try:
        names = set(inspect.signature(forward).parameters)
    except (TypeError, ValueError):
        names = set()
    return (spread, dict(params)) if set(params) <= names else None


def check_layer(forward: Any, backward: Callable | None = None, *args: Any, wrt: Any = None, **kwargs: Any) -> Report:
    """Check a layer's backward against finite differences of its forward, called the way you call your forward.

    ``check_layer(conv_forward_naive, conv_backward_naive, x, w, b, conv_param)`` passes the arguments to
    ``forward`` as given (keyword arguments too, except the check's own options). Every floating-point array
    argument is differentiated (``wrt=`` names or positions restrict it); everything else (integer or boolean
    arrays, dicts, numbers, None, generators) is held fixed, deep-copied for every call, and listed in the report.
    Results are named after ``forward``'s parameters.

    - ``forward`` returns ``out``, ``(out, cache)`` or ``(out_1, …, out_k, cache)``; ``backward(dout_1, …,
      dout_k, cache)`` returns one gradient, a tuple in the order of the differentiated arguments, or a dict keyed
      by name or ``d<name>``. Fewer gradients than arguments are matched by shape; the rest are "not checked".
    - A loss layer (``backward=None``): ``forward`` returns ``(loss, gradient(s))``, as ``softmax_loss(x, y)``.
    - A layer object as ``forward`` (``backward=None``): ``layer.forward(x)``, ``layer.backward(dout) -> dx``,
      parameters in ``layer.params``/``layer.grads`` or as attributes ``W`` with ``dW``.
    - The earlier form ``check_layer(forward, backward, inputs, params)`` (a dict of parameters) still works.

    A seeded random upstream gradient per output turns the layer into the scalar Σ⟨u_i, out_i⟩, whose gradient
    is backward(u). A forward that draws from numpy's global random state (a dropout mask from np.random) sees the
    same draws at every evaluation (see :func:`gradcheck.check`); the state is left as found.
    """
    options = {k: kwargs.pop(k) for k in list(kwargs) if k in CHECK_OPTIONS}
    seed = options.setdefault("seed", 0)
    randomness = Randomness()
    if not args and not kwargs:
        raise CheckError("check_layer needs inputs: the arrays (and other arguments) the layer's forward takes",
                         expected="inputs", found=None)
    try:
        if backward is None and _is_layer(forward):
            inputs = args[0] if isinstance(args[0], (tuple, list)) else args[:1]
            layer: Any = _ObjectLayer(forward, [np.asarray(a) for a in inputs], args[1:])
            if layer.is_loss():
                return _loss_object(layer, options)
        else:
            old = _old_form(forward, args, kwargs) if backward is not None else None
            args, kwargs = old if old is not None else (args, kwargs)
            layer = _FunctionLayer(forward, backward, args, kwargs, wrt)
            if backward is None:
                return _loss_layer(layer, options)
        try:
            return _checked(layer, seed, options)
        finally:
            if isinstance(layer, _ObjectLayer):
                layer.restore()
    finally:
        randomness.reset()


def _checked(layer: Any, seed: int, options: dict) -> Report:
    point = layer.point
    outputs, _ = layer.forward({k: v.copy() for k, v in point.items()})
    if not outputs:
        raise CheckError("forward returned no floating-point output to differentiate", expected="a float array",
                         found="none")
    rng = np.random.default_rng(seed)
    upstreams = [rng.normal(size=o.shape).astype(o.dtype) for o in outputs]

    def loss(p):
        return float(sum(np.sum(u * o) for u, o in zip(upstreams, layer.forward(p)[0])))

    def grad(p):  # backward gets fresh copies of the upstream gradients: some zero them in place (dout[x <= 0] = 0)
        _, cache = layer.forward(p)
        return layer.backward([u.copy() for u in upstreams], cache)

    names = list(point)
    given = layer.backward([u.copy() for u in upstreams], layer.forward({k: v.copy() for k, v in point.items()})[1])
    checked = {n: point[n] for n in names if n in given}
    unchecked = tuple(n for n in names if n not in given)
    report = check(loss, lambda p: {n: v for n, v in grad(p).items() if n in checked}, checked, **options)
    fixed = layer.call.fixed() if isinstance(layer, _FunctionLayer) else layer.fixed
    report = replace(report, held_fixed=fixed, not_checked=unchecked)
    if len(upstreams) == 1:
        report = _fingerprint(report, layer, point, upstreams[0])
        report = _linear_in_upstream(report, layer, point, upstreams)
    return report


def _loss_layer(layer: _FunctionLayer, options: dict) -> Report:
    """A forward that returns ``(loss, gradient(s))``: the loss layer checked as a loss."""
    point = layer.point
    first = layer.call({k: v.copy() for k, v in point.items()})
    if not (isinstance(first, tuple) and len(first) == 2 and np.ndim(first[0]) == 0):
        raise CheckError(f"{layer.call.fn_name} was given no backward, so it must be a loss layer returning "
                         f"(loss, gradient(s)); it returned {describe(first)}: pass the backward function as the "
                         "second argument", expected="(scalar, gradients)", found=describe(first))
    shapes = {n: v.shape for n, v in point.items()}
    given = matched(first[1], layer.wrt, shapes)
    checked = {n: point[n] for n in layer.wrt if n in given}

    def loss_and_grad(p):
        value, grads = layer.call(p)
        found = matched(grads, layer.wrt, shapes)
        return float(value), {n: found.get(n) for n in checked}

    report = check(loss_and_grad, None, checked, **options)
    return replace(report, held_fixed=layer.call.fixed(),
                   not_checked=tuple(n for n in layer.wrt if n not in checked))


def _loss_object(layer: _ObjectLayer, options: dict) -> Report:
    """A loss layer object checked as a loss: ``forward(x, t)`` and ``backward()``."""
    try:
        report = check(layer.loss_and_grad, None, {k: v.copy() for k, v in layer.point.items()}, **options)
        return replace(report, held_fixed=layer.fixed)
    finally:
        layer.restore()


def _fingerprint(report: Report, layer: Any, point: dict, upstream: np.ndarray) -> Report:
    if len(point) != 1:
        return report
    name = next(iter(point))
    result = report[name] if name in [r.name for r in report] else None
    if result is None or result.ok or result.analytic is None:
        return report
    z = point[name]
    y = layer.forward({name: np.array(z, dtype=np.float64)})[0][0]
    found = activation_fingerprint(z, y, upstream, result.analytic)
    if found is None or found.formula == "correct":
        return report
    hint = (f"{found.activation} backward applies {found.formula}: {found.text}; the rule is {found.rule}"
            if found.formula != "unknown" else
            f"{found.activation} backward applies {found.text}; the rule is {found.rule}")
    detail = {**result.detail, "activation": found.activation, "fingerprint": found.formula}
    results = tuple(replace(r, hint=hint, detail=detail) if r is result else r for r in report.results)
    return replace(report, results=results)


def _linear_in_upstream(report: Report, layer: Any, point: dict, upstreams: list[np.ndarray]) -> Report:
    """Each wrong gradient asked again with the upstream gradient doubled: a backward is linear in dout, so one that
    returns the same values ignores dout."""
    wrong = [r for r in report.failed if r.analytic is not None and np.any(r.analytic)]
    if not wrong:
        return report
    try:
        _, cache = layer.forward({k: np.array(v, copy=True) for k, v in point.items()})
        doubled = layer.backward([2.0 * u for u in upstreams], cache)
    except Exception:  # the backward that ran once fails on a doubled upstream: nothing to conclude
        return report
    results = list(report.results)
    for r in wrong:
        again = doubled.get(r.name)
        if again is None or np.shape(again) != r.analytic.shape or not np.allclose(again, r.analytic, rtol=1e-12,
                                                                                     atol=0.0):
            continue
        said = (f"{r.name}'s gradient is the same for the upstream gradient u and for 2u: the backward ignores dout "
                "(a backward is linear in dout: dx = dout * f'(x), not f'(x))")
        hint = said if r.detail.get("fingerprint") == "unknown" else f"{r.hint}; {said}"
        results[results.index(r)] = replace(r, hint=hint,
                                            detail={**r.detail, "hypothesis": "not-scaling-with-upstream"})
    return replace(report, results=tuple(results))


def _layers_of(network: Any) -> list[tuple[str, Any]]:
    """The layers of a network, named: a list, a dict (an OrderedDict of layers), or an object holding either."""
    layers = network if isinstance(network, (list, tuple, Mapping)) else getattr(network, "layers", None)
    if isinstance(layers, Mapping):
        return [(str(k), v) for k, v in layers.items()]
    return [(getattr(layer, "name", type(layer).__name__), layer) for layer in layers or ()]


def check_network(network: Any, inputs: Any, targets: Any = None, **options: Any) -> Report:
    """Check every layer of ``network`` on the inputs its forward pass gives it, and name the first wrong one.

    ``network`` is an object with ``layers`` (a list, or a dict such as an OrderedDict of named layers), or the list
    or dict itself; each layer follows the object protocol of :func:`check_layer`. A separate last (loss) layer,
    ``network.lastLayer`` ("Deep Learning from Scratch") or ``network.loss_layer``, is checked too when ``targets``
    are given: ``forward(x, targets)`` returns the loss and ``backward()`` (or ``backward(1)``) its dx. Results are
    named ``"<n>.<Layer>.<name>"`` with layers counted from 1 in forward order (the dict's key, the layer's
    ``name`` attribute, else its class name). The layers' attributes are as found afterwards.
    """
    layers = _layers_of(network)
    if not layers or not all(_is_layer(layer) for _, layer in layers):
        raise CheckError("check_network needs a network with a `layers` list or dict (or the list or dict itself) "
                         "of layers with forward(x) and backward(dout)", expected="layers",
                         found=type(network).__name__)
    x = np.asarray(inputs)
    results, evaluations, wrong = [], 0, []
    seed = options.pop("seed", 0)
    last = next((getattr(network, a) for a in ("lastLayer", "last_layer", "loss_layer") if hasattr(network, a)), None)
    for number, (name, layer) in enumerate(layers, start=1):
        label = f"{number}.{name}"
        report = check_layer(layer, None, x, seed=seed + number, **options)
        results.extend(replace(r, name=f"{label}.{r.name}") for r in report)
        evaluations += report.evaluations
        if not report.ok:
            wrong.append((label, report))
        held = _ObjectLayer(layer, [x])
        x = np.asarray(layer.forward(x))
        held.restore()
    if last is not None and targets is not None:
        label = f"{len(layers) + 1}.{getattr(last, 'name', type(last).__name__)}"
        report = _last_layer(last, x, targets, seed=seed + len(layers) + 1, **options)
        results.extend(replace(r, name=f"{label}.{r.name}") for r in report)
        evaluations += report.evaluations
        if not report.ok:
            wrong.append((label, report))
    diagnosis = None
    if wrong:
        label, report = wrong[0]
        hints = "; ".join(f"{r.name}: {r.hint}" for r in report.failed if r.hint)
        others = f" (also wrong: {', '.join(w[0] for w in wrong[1:])})" if len(wrong) > 1 else ""
        diagnosis = f"layer {label} is the first layer whose backward is wrong{others}: {hints}"
    return Report(results=tuple(results), method=report.method, evaluations=evaluations, diagnosis=diagnosis)


def _last_layer(last: Any, x: np.ndarray, targets: Any, **options: Any) -> Report:
    """A loss layer object after the network's layers: ``forward(x, t)`` the loss, ``backward()`` its dx."""
    return _loss_object(_ObjectLayer(last, [x], (targets,)), options)
