"""Layer-level checks: a layer's backward as vector–Jacobian products, and a network checked layer by layer."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .checker import check
from .diagnosis import activation_fingerprint
from .errors import CheckError
from .report import Report


def _is_layer(obj: Any) -> bool:
    return callable(getattr(obj, "forward", None)) and callable(getattr(obj, "backward", None))


def _input_names(inputs: Any) -> tuple[list[str], list[np.ndarray]]:
    if isinstance(inputs, (list, tuple)):
        return [f"x{i}" for i in range(len(inputs))], [np.asarray(a) for a in inputs]
    return ["x"], [np.asarray(inputs)]


class _Adapter:
    """Runs a layer — functions or an object — at given inputs and parameters, and reads back its gradients."""

    def __init__(self, forward: Any, backward: Callable | None, input_names: list[str], param_names: list[str]):
        self.obj = forward if backward is None and _is_layer(forward) else None
        if self.obj is None and (not callable(forward) or not callable(backward)):
            raise CheckError("check_layer needs forward and backward functions, or a layer object with "
                             "forward(x) and backward(dout) methods as its first argument",
                             expected="callables or a layer", found=type(forward).__name__)
        self.forward_fn, self.backward_fn = forward, backward
        self.inputs, self.params = input_names, param_names

    def forward(self, p: Mapping[str, np.ndarray]) -> tuple[np.ndarray, Any]:
        xs = [p[n] for n in self.inputs]
        if self.obj is not None:
            if self.params:
                self.obj.params = {**self.obj.params, **{n: p[n] for n in self.params}}
            return np.asarray(self.obj.forward(*xs)), None
        out = self.forward_fn(*xs, **{n: p[n] for n in self.params})
        if isinstance(out, tuple) and len(out) == 2:
            return np.asarray(out[0]), out
        return np.asarray(out), None

    def backward(self, dout: np.ndarray, cache: Any) -> dict[str, Any]:
        if self.obj is not None:
            dx = self.obj.backward(dout)
            grads = dict(getattr(self.obj, "grads", {}) or {})
            return {**self._inputs(dx), **{n: grads.get(n) for n in self.params if n in grads}}
        out = self.backward_fn(dout, cache[1]) if cache is not None else self.backward_fn(dout)
        if isinstance(out, Mapping):
            return dict(out)
        if isinstance(out, tuple) and len(out) == 2 and isinstance(out[1], Mapping):
            return {**self._inputs(out[0]), **out[1]}
        if isinstance(out, tuple):
            names = self.inputs + self.params
            if len(out) != len(names):
                raise CheckError(f"backward returned {len(out)} gradients; expected {len(names)}, one for each of "
                                 f"{names} in that order", expected=len(names), found=len(out))
            return dict(zip(names, out))
        return self._inputs(out)

    def _inputs(self, dx: Any) -> dict[str, Any]:
        if len(self.inputs) == 1:
            return {self.inputs[0]: dx}
        return dict(zip(self.inputs, dx))


def check_layer(
    forward: Any,
    backward: Callable | None = None,
    inputs: Any = None,
    params: Mapping[str, np.ndarray] | None = None,
    *,
    seed: int = 0,
    **options: Any,
) -> Report:
    """Check a layer's backward against finite differences of its forward.

    Two ways to pass a layer:

    - functions: ``forward(*inputs, **params)`` returns ``out`` or ``(out, cache)``;
      ``backward(dout)`` (or ``backward(dout, cache)``) returns ``dx``, a tuple
      ``(dx, dparam1, …)`` in the order of the inputs then ``params``,
      ``(dx, {name: dparam})``, or a dict of all of them;
    - a layer object as ``forward`` (``backward=None``): ``layer.forward(x)``,
      ``layer.backward(dout) -> dx``, parameters in ``layer.params`` and their
      gradients in ``layer.grads`` after backward.

    A seeded random upstream gradient u turns the layer into the scalar
    ⟨u, forward(x)⟩, whose gradient is backward(u): the check compares these
    vector–Jacobian products with finite differences for the input (``x``, or
    ``x0``, ``x1``, …) and every parameter. For an elementwise activation
    whose input gradient is wrong, the report names the derivative the
    backward applied.
    """
    if inputs is None:
        raise CheckError("check_layer needs inputs: the array (or tuple of arrays) the layer's forward takes",
                         expected="inputs", found=None)
    in_names, in_arrays = _input_names(inputs)
    layer_params = {k: np.asarray(v) for k, v in (params if params is not None else
                                                   getattr(forward, "params", {}) or {}).items()}
    adapter = _Adapter(forward, backward, in_names, list(layer_params))
    point = {**dict(zip(in_names, in_arrays)), **layer_params}
    saved = getattr(adapter.obj, "params", None)
    try:
        out, _ = adapter.forward({k: v.copy() for k, v in point.items()})
        upstream = np.random.default_rng(seed).normal(size=out.shape)

        def loss(p):
            return float(np.sum(upstream * adapter.forward(p)[0]))

        def grad(p):
            _, cache = adapter.forward(p)
            return adapter.backward(upstream.astype(out.dtype) if out.dtype.kind == "f" else upstream, cache)

        report = check(loss, grad, point, seed=seed, **options)
        report = _fingerprint(report, adapter, point, upstream)
        report = _linear_in_upstream(report, adapter, point, upstream)
    finally:
        if adapter.obj is not None:
            adapter.obj.params = saved
    return report


def _fingerprint(report: Report, adapter: _Adapter, point: dict, upstream: np.ndarray) -> Report:
    if adapter.params or len(adapter.inputs) != 1:
        return report
    result = report[adapter.inputs[0]]
    if result.ok or result.analytic is None:
        return report
    z = point[adapter.inputs[0]]
    y, _ = adapter.forward({adapter.inputs[0]: np.array(z, dtype=np.float64)})
    found = activation_fingerprint(z, y, upstream, result.analytic)
    if found is None or found.formula == "correct":
        return report
    hint = (f"{found.activation} backward applies {found.formula}: {found.text}; the rule is {found.rule}"
            if found.formula != "unknown" else
            f"{found.activation} backward applies {found.text}; the rule is {found.rule}")
    detail = {**result.detail, "activation": found.activation, "fingerprint": found.formula}
    results = tuple(replace(r, hint=hint, detail=detail) if r is result else r for r in report.results)
    return replace(report, results=results)


def _linear_in_upstream(report: Report, adapter: _Adapter, point: dict, upstream: np.ndarray) -> Report:
    """Each wrong gradient asked again with the upstream gradient doubled: a backward is linear in dout, so one that
    returns the same values ignores dout."""
    wrong = [r for r in report.failed if r.analytic is not None and np.any(r.analytic)]
    if not wrong:
        return report
    try:
        _, cache = adapter.forward({k: np.array(v, copy=True) for k, v in point.items()})
        doubled = adapter.backward(2.0 * upstream, cache)
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


def check_network(network: Any, inputs: Any, **options: Any) -> Report:
    """Check every layer of ``network`` on the inputs its forward pass gives it, and name the first wrong one.

    ``network`` is an object with a ``layers`` list, or the list itself; each
    layer follows the object protocol of :func:`check_layer`. Results are
    named ``"<n>.<Layer>.<name>"`` with layers counted from 1 in forward order
    (the layer's ``name`` attribute, else its class name).
    """
    layers: Sequence[Any] = network if isinstance(network, (list, tuple)) else getattr(network, "layers", None)
    if not layers or not all(_is_layer(layer) for layer in layers):
        raise CheckError("check_network needs a network with a `layers` list (or the list itself) of layers with "
                         "forward(x) and backward(dout)", expected="layers", found=type(network).__name__)
    x = np.asarray(inputs)
    results, evaluations, wrong = [], 0, []
    seed = options.pop("seed", 0)
    for number, layer in enumerate(layers, start=1):
        label = f"{number}.{getattr(layer, 'name', type(layer).__name__)}"
        report = check_layer(layer, None, x, seed=seed + number, **options)
        results.extend(replace(r, name=f"{label}.{r.name}") for r in report)
        evaluations += report.evaluations
        if not report.ok:
            wrong.append((label, report))
        x = np.asarray(layer.forward(x))
    diagnosis = None
    if wrong:
        label, report = wrong[0]
        hints = "; ".join(f"{r.name}: {r.hint}" for r in report.failed if r.hint)
        others = f" (also wrong: {', '.join(w[0] for w in wrong[1:])})" if len(wrong) > 1 else ""
        diagnosis = f"layer {label} is the first layer whose backward is wrong{others}: {hints}"
    return Report(results=tuple(results), method=report.method, evaluations=evaluations, diagnosis=diagnosis)
