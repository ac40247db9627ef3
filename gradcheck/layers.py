"""Layer-level checks: a layer's backward as vector–Jacobian products, and a network checked layer by layer."""

from __future__ import annotations

import inspect
from dataclasses import fields, replace
from typing import Any, Callable, Mapping

import numpy as np

from .adapters import FunctionLayer, ObjectLayer, is_layer, matched
from .calling import describe, positional_count
from .checker import check
from .diagnosis import activation_fingerprint
from .errors import CheckError
from .numerics.randomness import Randomness
from .options import CheckOptions
from .report import Report, merge
from .sweeps import SEED, combinations, default_sizes, label, summarize

CHECK_OPTIONS = frozenset(f.name for f in fields(CheckOptions)) | {"time_limit", "progress", "trace"}


def _settings(build: Callable, sweep: Mapping[str, list] | None) -> list[dict[str, Any]]:
    """Every combination of ``sweep`` and of default sizes for ``build``'s other parameters (``seed`` = 0)."""
    params = inspect.signature(build).parameters
    open_ended = any(p.kind == p.VAR_KEYWORD for p in params.values())
    unknown = [k for k in (sweep or {}) if k not in params and not open_ended]
    if unknown:
        raise CheckError(f"sweep names {unknown}, which build does not take; it takes {list(params)}",
                         expected=list(params), found=unknown)
    sizes = [n for n, p in params.items() if n not in (sweep or {}) and n != SEED and p.default is p.empty
             and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    seed = {SEED: 0} if SEED in params and SEED not in (sweep or {}) else {}
    return [{**c, **s, **seed} for c in combinations(sweep, None) for s in default_sizes(sizes)]


def _swept(forward: Any, backward: Callable | None, args: tuple, wrt: Any, build: Callable | None,
           sweep: Mapping[str, list] | None, kwargs: dict) -> Report:
    """:func:`check_layer` at every combination of settings, one report, with what the failing ones share."""
    if build is None:
        raise CheckError("sweep= needs build=: a function of the settings that returns the layer's arguments",
                         expected="build", found=None)
    if args:
        raise CheckError("with build=, the layer's arguments come from build(...); give no others",
                         expected="no arguments", found=f"{len(args)} argument(s)")
    reports, runs = [], []
    for setting in _settings(build, sweep):
        shown = {k: v for k, v in setting.items() if k != SEED or SEED in (sweep or {})}  # the filled-in seed aside
        tag = label("", shown)
        try:
            built = build(**setting)
        except Exception as exc:
            raise CheckError(f"build{tag} raised {type(exc).__name__}: {exc}", expected="the layer's arguments",
                             found=type(exc).__name__) from exc
        a, kw = (tuple(built), {}) if isinstance(built, (tuple, list)) else \
            ((), dict(built)) if isinstance(built, Mapping) else ((built,), {})
        report = check_layer(forward, backward, *a, wrt=wrt, **kw, **kwargs)
        reports.append(replace(report, results=tuple(replace(r, name=f"{r.name} {tag}") for r in report.results)))
        runs.append((shown, tag, not report.ok))
    merged = merge(reports)
    name = getattr(forward, "__name__", type(forward).__name__)
    return replace(merged, diagnosis=summarize(name, runs).line(), held_fixed=tuple(dict.fromkeys(merged.held_fixed)),
                   not_checked=tuple(dict.fromkeys(merged.not_checked)))


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


def check_layer(forward: Any, backward: Callable | None = None, *args: Any, wrt: Any = None,
                build: Callable | None = None, sweep: Mapping[str, list] | None = None, **kwargs: Any) -> Report:
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

    With ``build``, a function of settings that returns the layer's arguments (a tuple, a dict of keyword
    arguments, or one array), the layer is checked at every combination of ``sweep`` (``{"stride": [1, 2]}``)
    and of default sizes for ``build``'s other parameters (see :func:`gradcheck.sweeps.default_sizes`; a
    parameter ``seed`` is given 0). The results are named ``w [stride=2,batch=1]`` and the report's diagnosis
    says what the failing combinations share.
    """
    if build is not None or sweep is not None:
        return _swept(forward, backward, args, wrt, build, sweep, kwargs)
    options = {k: kwargs.pop(k) for k in list(kwargs) if k in CHECK_OPTIONS}
    seed = options.setdefault("seed", 0)
    randomness = Randomness()
    if not args and not kwargs:
        raise CheckError("check_layer needs inputs: the arrays (and other arguments) the layer's forward takes",
                         expected="inputs", found=None)
    try:
        if backward is None and is_layer(forward):
            inputs = args[0] if isinstance(args[0], (tuple, list)) else args[:1]
            layer: Any = ObjectLayer(forward, [np.asarray(a) for a in inputs], args[1:])
            if layer.is_loss():
                return _loss_object(layer, options)
        else:
            old = _old_form(forward, args, kwargs) if backward is not None else None
            args, kwargs = old if old is not None else (args, kwargs)
            layer = FunctionLayer(forward, backward, args, kwargs, wrt)
            if backward is None:
                return _loss_layer(layer, options)
        try:
            return _checked(layer, seed, options)
        finally:
            if isinstance(layer, ObjectLayer):
                layer.restore()
    finally:
        randomness.reset()


def _checked(layer: Any, seed: int, options: dict) -> Report:
    point = layer.point
    outputs, _ = layer.forward({k: v.copy() for k, v in point.items()})
    if not outputs:
        raise CheckError("forward returned no floating-point array output to differentiate; a layer's forward "
                         "returns out, (out, cache) or (out_1, …, out_k, cache) with float arrays as the outputs",
                         expected="a float array output", found="none")
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
    fixed = layer.call.fixed() if isinstance(layer, FunctionLayer) else layer.fixed
    report = replace(report, held_fixed=fixed, not_checked=unchecked)
    if len(upstreams) == 1:
        report = _fingerprint(report, layer, point, upstreams[0])
        report = _linear_in_upstream(report, layer, point, upstreams)
    return report


def _loss_layer(layer: FunctionLayer, options: dict) -> Report:
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


def _loss_object(layer: ObjectLayer, options: dict) -> Report:
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
    if not layers or not all(is_layer(layer) for _, layer in layers):
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
        held = ObjectLayer(layer, [x])
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
    return _loss_object(ObjectLayer(last, [x], (targets,)), options)
