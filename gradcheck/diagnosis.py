"""Diagnosis: which pattern an analytic gradient's error follows, where it lies, and the rule that fixes it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

from .compare import fits

OK = "ok"
SIGN_FLIPPED = "sign-flipped"
SCALED = "scaled"
NOT_REDUCED = "not-reduced-over-batch"
TRANSPOSED = "transposed"
DISCONNECTED = "disconnected"
ZERO_GRADIENT = "zero-gradient"
SHAPE_MISMATCH = "shape-mismatch"
NONFINITE = "nonfinite"
WRONG_VALUES = "wrong-values"
MUTATES_PARAMS = "mutates-params"
NOISY_LOSS = "noisy-loss"

EXPLANATIONS = {
    OK: "The analytic gradient agrees with the numerical one in every entry, within the "
    "error of the numerical derivative and the rounding of the analytic one.",
    SIGN_FLIPPED: "analytic ≈ −numerical in every entry. The backward computes the negative "
    "gradient, usually because the output error is written y − a instead of a − y "
    "(the form that pairs with `W += lr·dW` updates). For L = ½Σ(a − y)², ∂L/∂a = a − y; "
    "keep that sign in the gradient and subtract it in the update: W -= lr·dW.",
    SCALED: "analytic ≈ k·numerical for one constant k ≠ ±1. A constant factor is missing or "
    "extra. k = m (the batch size): the loss averages over the batch (1/m Σ) but the backward "
    "sums, so divide by m; k = 1/m: the backward divides by m where the loss sums. "
    "k = 2 or ½: the loss is ½Σ(a − y)² but its derivative was taken as 2(a − y), or the "
    "other way round: d/da ½(a − y)² = a − y, d/da (a − y)² = 2(a − y). k = the number of "
    "outputs: a mean over outputs in one pass and a sum in the other.",
    NOT_REDUCED: "The analytic gradient has an extra batch axis, and its sum over that axis is "
    "right: the bias gradient keeps one row per example. One bias is shared by every "
    "example: z = x W + 1 bᵀ, so ∂z/∂b is a vector of ones and ∂L/∂b = (∂L/∂Z)ᵀ·1 = the sum "
    "of the rows of dZ. Row layout: db = dZ.sum(axis=0, keepdims=True); column layout "
    "(examples are columns): db = dZ.sum(axis=1, keepdims=True).",
    TRANSPOSED: "analytic ≈ numericalᵀ: the gradient has the parameter's shape swapped (or the "
    "right data in the swapped shape). For z = x W with x of shape (m, d) and W of shape "
    "(d, n), dW = xᵀ dZ has W's shape (d, n); dZ ᵀ x has the transposed shape (n, d). "
    "Write the product so that its shape is the parameter's, and never reshape where a "
    "transpose belongs.",
    DISCONNECTED: "The numerical gradient is zero everywhere: the loss does not depend on this "
    "parameter at all, yet the analytic gradient is not zero. The forward pass skips the "
    "layer (for example it feeds the input x into the next layer instead of this layer's "
    "output), so the layer's output never reaches the loss. Fix the forward wiring: each "
    "layer must consume the previous layer's output, and the backward must follow the "
    "same path.",
    ZERO_GRADIENT: "The analytic gradient is zero in every entry while the loss does change with "
    "the parameter. The backward never writes this gradient (an initialised-to-zero buffer "
    "left unfilled, a gradient computed but not returned, or a chain cut by a detached "
    "or overwritten value).",
    SHAPE_MISMATCH: "The analytic gradient's shape is not the parameter's, and no rule explains "
    "it (neither a missing batch sum nor a transpose). The gradient of a parameter always "
    "has the parameter's shape: ∂L/∂W[i, j] for every entry W[i, j]. A missing or extra "
    "key in the returned gradients is reported the same way.",
    NONFINITE: "The analytic gradient contains NaN or inf. Usually an overflow (exp of a large "
    "value: use a stable sigmoid or log-sum-exp), a division by zero, or log(0) in a "
    "cross-entropy without clipping. The numerical gradient at the same point is finite.",
    WRONG_VALUES: "The analytic gradient disagrees with the numerical one, and no simple relation "
    "(sign, scale, batch sum, transpose) explains it. Look where the mismatches lie: whole "
    "rows or columns point at one unit or one input; single entries point at one "
    "hand-written scalar formula (a copy-paste slip); everything wrong points at a step of "
    "the chain rule shared by the whole parameter, such as the activation derivative or "
    "the upstream error.",
    MUTATES_PARAMS: "The loss or the gradient function changes the parameters it is given (an in-place update "
    "such as W -= lr·dW inside the backward, or x += … on an input), or returns a view of them, or a buffer it "
    "overwrites on its next call, as a gradient. A check perturbs one entry at a time and compares; code that moves "
    "the point or reuses its output buffer makes every later number wrong, and in training it silently corrupts "
    "the weights. gradcheck detects it by comparing the arrays before and after each call, reports it, and still "
    "checks the gradient on a clean copy. Return new arrays, and update parameters only in the optimizer step.",
    NOISY_LOSS: "The loss gives different values at the same point: it is not deterministic (dropout without a "
    "fixed mask, a random mini-batch per call, an unseeded generator). A finite difference divides a change of "
    "size h·g by h; noise of size s adds s/h to it, which for the tiny steps a check needs swamps the gradient. "
    "gradcheck evaluates the point twice, and when the difference is large against the changes being measured it "
    "refuses to give a verdict. Fix the randomness for the check: a fixed mask and batch, or a seeded generator "
    "created inside the loss.",
}
KINDS = tuple(EXPLANATIONS)
_MAX_LISTED = 5


@dataclass(frozen=True)
class Diagnosis:
    """The pattern behind a parameter's mismatch: a kind, a short hint and the facts as data."""

    kind: str
    hint: str
    detail: dict[str, Any] = field(default_factory=dict)


def _is_near(k: float, target: float, rel: float = 1e-3) -> bool:
    return abs(k - target) <= rel * abs(target)


def scale_cause(k: float, batch_size: int | None = None) -> str:
    """The likely cause of a gradient scaled by ``k``, in words."""
    if batch_size and batch_size > 1 and _is_near(k, batch_size):
        return (f"k = m = {batch_size}, the batch size: the loss averages over the batch but the backward only "
                "sums; divide by m")
    if batch_size and batch_size > 1 and _is_near(k, 1.0 / batch_size):
        return f"k = 1/m with m = {batch_size}: the backward divides by m where the loss sums (or divides twice)"
    if _is_near(k, 2.0):
        return "k = 2: the loss carries ½ (L = ½Σ(a − y)²) but the backward uses 2(a − y); use a − y"
    if _is_near(k, 0.5):
        return "k = ½: the loss has no ½ (L = Σ(a − y)²) but the backward uses a − y; use 2(a − y)"
    rounded = round(k)
    if rounded >= 2 and _is_near(k, rounded):
        return (f"k = {rounded} is a whole number: a sum where the loss takes a mean, over a batch or "
                f"the outputs of size {rounded}; divide by it")
    if k > 0 and round(1 / k) >= 2 and _is_near(1 / k, round(1 / k)):
        return (f"k = 1/{round(1 / k)}: a mean where the loss takes a sum, over a batch or the outputs "
                f"of size {round(1 / k)}")
    return f"k = {k:.6g} matches no common factor"


def entry_index(flat: int, shape: Sequence[int]) -> tuple[int, ...]:
    """The index of entry ``flat`` of an array of ``shape``, as plain ints."""
    return tuple(int(i) for i in np.unravel_index(int(flat), shape)) if shape else ()


def locate(mismatched: np.ndarray) -> tuple[str, dict[str, Any]]:
    """Where the mismatched entries lie: single entries, whole rows or columns, or spread."""
    shape = mismatched.shape
    count = int(mismatched.sum())
    size = mismatched.size
    flat = np.flatnonzero(mismatched)
    indices = [entry_index(i, shape) for i in flat[:_MAX_LISTED]]
    detail: dict[str, Any] = {"fraction": count / size if size else 0.0, "indices": [list(i) for i in indices]}
    listed = ", ".join(str(i if len(i) != 1 else i[0]) for i in indices) + (", …" if count > _MAX_LISTED else "")
    if mismatched.ndim == 2 and 1 < count < size:
        rows = np.flatnonzero(mismatched.any(axis=1))
        cols = np.flatnonzero(mismatched.any(axis=0))
        if len(rows) < shape[0] and mismatched[rows].all():
            detail["rows"] = rows.tolist()
            return f"confined to row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:_MAX_LISTED]))}", detail
        if len(cols) < shape[1] and mismatched[:, cols].all():
            detail["columns"] = cols.tolist()
            return f"confined to column{'s' if len(cols) > 1 else ''} {', '.join(map(str, cols[:_MAX_LISTED]))}", detail
    if count == size:
        return "every entry wrong", detail
    if count <= _MAX_LISTED:
        word = "a single entry" if count == 1 else f"{count} single entries"
        return f"{word} at {listed}", detail
    return f"spread over {count} of {size} entries ({100 * count / size:.0f}%), first at {listed}", detail


def _reductions(analytic: np.ndarray, shape: tuple[int, ...]):
    """Sums of ``analytic`` over one axis (or all) whose result has ``shape`` (up to axes of length 1)."""
    size = int(np.prod(shape))
    for axis in range(analytic.ndim):
        if analytic.shape[axis] < 2:
            continue
        summed = analytic.sum(axis=axis, keepdims=True)
        if summed.size == size and tuple(d for d in summed.shape if d != 1) == tuple(d for d in shape if d != 1):
            yield axis, summed.reshape(shape)
    if size == 1 and analytic.size > 1:
        yield None, analytic.sum().reshape(shape)


class EntryEvidence:
    """What a full check measured: the numerical gradient entry by entry, with tolerances.

    Every hypothesis about the analytic gradient is a candidate array of the
    parameter's shape, tested entry by entry.
    """

    def __init__(self, numerical, tol, zero_tol, mismatched=None) -> None:
        self.numerical = np.asarray(numerical, dtype=np.float64)
        self.shape = self.numerical.shape
        self.tol, self.zero_tol, self.mismatched = tol, zero_tol, mismatched

    def matches(self, candidate: np.ndarray) -> bool:
        return fits(candidate, self.numerical, self.tol)

    def wrong(self, analytic: np.ndarray) -> bool:
        if self.mismatched is None:
            self.mismatched = np.abs(analytic - self.numerical) > self.tol
        return bool(self.mismatched.any())

    def loss_ignores(self) -> bool:
        return bool(np.all(np.abs(self.numerical) <= self.zero_tol))

    def scale(self, analytic: np.ndarray) -> tuple[float, int]:
        """The least-squares k in analytic ≈ k·numerical over the entries that stand out from zero, and their count."""
        significant = np.abs(self.numerical) > self.tol
        n = self.numerical[significant]
        k = float(np.dot(analytic[significant], n) / np.dot(n, n)) if n.size else 0.0
        return k, int(n.size)

    def matches_scaled(self, analytic: np.ndarray, k: float) -> bool:
        return fits(analytic, k * self.numerical, abs(k) * self.tol)

    def where(self) -> tuple[str, dict[str, Any]]:
        return locate(self.mismatched)


def diagnose(analytic: np.ndarray | None, evidence: Any, batch_size: int | None = None,
             name: str = "the parameter") -> Diagnosis:
    """Name the pattern of a parameter's analytic gradient against what was measured.

    ``evidence`` is an :class:`EntryEvidence` (a full check) or a probe
    evidence (probe mode): each rule states a candidate for the true gradient
    built from the analytic one (its batch sum, its transpose, its negative,
    …) and asks the evidence whether the candidate matches. Rules go from the
    most specific relation to the least: shape relations first (batch sum,
    transpose), then value relations (disconnected, zero, sign, scale), then
    where the wrong values lie.
    """
    shape = tuple(evidence.shape)
    if analytic is None:
        return Diagnosis(SHAPE_MISMATCH, f"no gradient returned for {name}: return one of shape {shape}",
                         {"missing": True})
    a = np.asarray(analytic, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        bad = np.flatnonzero(~np.isfinite(a))
        where = ", ".join(str(entry_index(i, a.shape)) for i in bad[:_MAX_LISTED])
        return Diagnosis(NONFINITE, f"{len(bad)} of {a.size} entries are NaN or inf, first at {where}: "
                         "look for an overflow (exp), log(0) or a division by zero",
                         {"count": int(len(bad)), "indices": [list(entry_index(i, a.shape)) for i in bad[:_MAX_LISTED]]})
    if a.shape != shape:
        return _diagnose_shape(a, evidence, batch_size, name)
    if not evidence.wrong(a):
        return Diagnosis(OK, "")
    if evidence.loss_ignores():
        return Diagnosis(DISCONNECTED, f"the loss does not depend on {name} (numerical gradient 0 everywhere) "
                         "but the analytic gradient is not 0: the forward pass skips this parameter's layer")
    if np.all(a == 0):
        return Diagnosis(ZERO_GRADIENT, f"the analytic gradient of {name} is 0 everywhere but the loss changes "
                         "with it: the backward never fills this gradient")
    k, support = evidence.scale(a)
    if support and evidence.matches(-a):
        return Diagnosis(SIGN_FLIPPED, "analytic = −numerical: the backward computes the negative gradient "
                         "(an error written y − a instead of a − y)", {"k": -1.0})
    scaled = _scaled(a, evidence, k, support, batch_size)
    if scaled is not None:
        return scaled
    if a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] > 1 and evidence.matches(a.T):
        return Diagnosis(TRANSPOSED, f"analytic = numericalᵀ: {name}'s gradient is transposed; "
                         "write the product so its shape and layout are the parameter's")
    where, detail = evidence.where()
    return Diagnosis(WRONG_VALUES, f"wrong values, {where}", detail)


def _scaled(a, evidence, k, support, batch_size) -> Diagnosis | None:
    if not np.isfinite(k) or k == 0.0 or _is_near(k, 1.0, 1e-12) or not evidence.matches_scaled(a, k):
        return None
    cause = scale_cause(k, batch_size)
    # A constant factor needs two values to show; a single value fits any k,
    # so it is named a scale only when k is a factor with a known cause.
    if support < 2 and cause.endswith("matches no common factor"):
        return None
    return Diagnosis(SCALED, f"analytic = {k:.6g} × numerical; {cause}", {"k": k})


def _diagnose_shape(a, evidence, batch_size, name) -> Diagnosis:
    shape = tuple(evidence.shape)
    size = int(np.prod(shape))
    found = {"expected_shape": list(shape), "found_shape": list(a.shape)}
    for axis, summed in _reductions(a, shape):
        if evidence.matches(summed):
            m = a.size // max(size, 1)
            if axis is None:
                rule = "sum it over the examples: db = dz.sum()"
            elif axis == a.ndim - 1 and axis > 0:
                rule = f"sum it over axis {axis}, the examples in column layout: db = dZ.sum(axis={axis}, keepdims=True)"
            else:
                rule = f"sum it over axis {axis}, the batch: db = dZ.sum(axis={axis}, keepdims=True)"
            return Diagnosis(NOT_REDUCED, f"{name}'s gradient has shape {a.shape}, one entry per example (m = {m}), "
                             f"and its sum is right: {rule}", {**found, "axis": axis, "m": m})
    if a.size == size:
        if a.ndim == 2 and a.shape == shape[::-1] and evidence.matches(a.T):
            return Diagnosis(TRANSPOSED, f"{name}'s gradient has shape {a.shape}, the transpose of {shape}, and its "
                             "transpose is right: swap the product's operands (dW = xᵀ dZ, not dZᵀ x)", found)
        if evidence.matches(a.reshape(shape)):
            if a.shape == shape[::-1]:
                return Diagnosis(TRANSPOSED, f"{name}'s gradient holds the right data in the swapped shape {a.shape}: "
                                 f"lay it out as {shape} (a reshape where the layout differs)", found)
            return Diagnosis(SHAPE_MISMATCH, f"{name}'s gradient has shape {a.shape}, expected {shape}; its values are "
                             f"right: reshape it to {shape}", found)
    return Diagnosis(SHAPE_MISMATCH, f"{name}'s gradient has shape {a.shape}, expected {shape}", found)


def _layer(name: str) -> str:
    """The layer a parameter belongs to, read from the first number in its name (W1, b1 -> "1"; W, b -> "")."""
    match = re.search(r"\d+", name)
    return match.group() if match else ""


def _broad(result: Any) -> bool:
    """Whether a failing parameter is wrong in values, broadly (at least half its entries), as an error carried back
    would be; a kind with its own explanation (a sign, a scale, a missing sum, …) needs no placing."""
    return result.kind == WRONG_VALUES and result.detail.get("fraction", 1.0) >= 0.5


def _is_weight(result: Any) -> bool:
    """A weight multiplies its input; a bias is added. Told by name (W…, b…), else by having two long axes."""
    first = result.name.lower().lstrip("_")[:1]
    if first in ("w", "b"):
        return first == "w"
    return sum(d > 1 for d in result.shape) >= 2


def across(results: Sequence[Any]) -> str | None:
    """Where in the backward pass the mistake lies, from which parameters (in forward order) match.

    Parameters are grouped into layers by the first number in their names.
    When the last layers match and an earlier one does not, the error enters
    in the backward step that carries the gradient from the first matching
    layer back. When a layer's bias matches but its weight does not, the
    upstream error dZ is right and the input in dW = inputᵀ dZ is not.
    """
    params = [r for r in results if r.shape is not None]
    layers: dict[str, list[Any]] = {}
    for r in params:
        layers.setdefault(_layer(r.name), []).append(r)
    groups = list(layers.values())
    if all(r.ok for r in params) or not any(r.ok for r in params):
        return None
    for group in groups:
        weights = [r for r in group if _is_weight(r)]
        biases = [r for r in group if not _is_weight(r)]
        if weights and biases and all(b.ok for b in biases) and not any(w.ok for w in weights) \
                and all(_broad(w) for w in weights):
            w, b = weights[0], biases[0]
            return (f"{b.name} matches but {w.name} does not: the error reaching this layer (dZ) is right, so the "
                    f"input in {w.name}'s gradient (inputᵀ dZ) is not the input the forward pass used")
    if len(groups) < 2:
        return None
    status = [all(r.ok for r in g) for g in groups]
    failing = [i for i, ok in enumerate(status) if not ok]
    last_bad = failing[-1]
    if last_bad + 1 == len(groups) or not all(status[last_bad + 1:]):
        return None
    good, bad = groups[last_bad + 1], groups[last_bad]
    if not all(_broad(r) for r in bad if not r.ok):
        return None  # a few wrong entries are a slip in a scalar formula, not an error carried back
    weight = next((r.name for r in good if _is_weight(r)), good[0].name)
    names = lambda g: ", ".join(r.name for r in g)  # noqa: E731
    later = [r for g in groups[last_bad + 1:] for r in g]
    earlier = [r for g in groups[: last_bad + 1] for r in g if not r.ok]
    return (f"{names(later)} match; {names(earlier)} do not: the mistake lies in the backward step that carries "
            f"the error from the layer of {weight} back to the layer of {bad[0].name} — the activation "
            f"derivative between them or the product with {weight}ᵀ")


# Elementwise activations, recognised by their values, with the derivative
# each backward should apply and the wrong ones people write instead.
_ACTIVATIONS = {
    "sigmoid": (lambda z: 1.0 / (1.0 + np.exp(-z)), "σ'(z) = σ(z)(1 − σ(z))", lambda z, y, d: y * (1 - y), {
        "z(1−z)": ("the derivative formula evaluated on the pre-activation z instead of the activation σ(z)",
                   lambda z, y, d: z * (1 - z)),
        "σ": ("the activation σ(z) itself in place of its derivative", lambda z, y, d: y),
        "d(1−d)": ("the derivative formula applied to the upstream gradient d instead of the activation",
                   lambda z, y, d: 1 - d),
        "none": ("no derivative at all: the upstream gradient passed through unchanged", lambda z, y, d: np.ones_like(z)),
    }),
    "tanh": (np.tanh, "tanh'(z) = 1 − tanh²(z)", lambda z, y, d: 1 - y ** 2, {
        "1−z²": ("the derivative formula evaluated on the pre-activation z instead of tanh(z)", lambda z, y, d: 1 - z ** 2),
        "1−tanh": ("tanh′ written 1 − tanh instead of 1 − tanh²", lambda z, y, d: 1 - y),
        "tanh": ("the activation tanh(z) itself in place of its derivative", lambda z, y, d: y),
        "1−d²": ("the derivative formula applied to the upstream gradient d", lambda z, y, d: 1 - d ** 2),
        "none": ("no derivative at all: the upstream gradient passed through unchanged", lambda z, y, d: np.ones_like(z)),
    }),
    "relu": (lambda z: np.maximum(z, 0), "ReLU'(z) = [z > 0]", lambda z, y, d: (z > 0).astype(float), {
        "z<0": ("ReLU′ written [z < 0], the mask reversed", lambda z, y, d: (z < 0).astype(float)),
        "relu": ("the activation max(z, 0) itself in place of its derivative", lambda z, y, d: y),
        "d>0": ("the mask taken from the upstream gradient [d > 0] instead of the pre-activation",
                lambda z, y, d: (d > 0).astype(float)),
        "none": ("no derivative at all: the upstream gradient passed through unchanged", lambda z, y, d: np.ones_like(z)),
    }),
}


@dataclass(frozen=True)
class Fingerprint:
    """Which derivative an elementwise activation's backward applied."""

    activation: str
    formula: str  # short name of the applied derivative, e.g. "d(1−d)", or "correct"
    text: str
    rule: str


def activation_fingerprint(z, y, upstream, dz) -> Fingerprint | None:
    """Recognise the activation from ``y = f(z)`` and name the derivative that ``dz = backward(upstream)`` applied.

    The applied derivative is ``dz / upstream`` entry by entry; it is compared
    with the correct derivative and with the known wrong formulas. None when
    the activation is not recognised or no formula matches.
    """
    z, y, d, dz = (np.asarray(a, dtype=np.float64) for a in (z, y, upstream, dz))
    if not (z.shape == y.shape == d.shape == dz.shape) or z.size == 0:
        return None
    usable = np.abs(d) > 1e-8
    applied = dz[usable] / d[usable]
    for name, (f, rule, right, wrong) in _ACTIVATIONS.items():
        if not np.allclose(f(z), y, rtol=1e-6, atol=1e-9):
            continue
        candidates = {"correct": ("the correct derivative", right), **wrong}
        for formula, (text, fn) in candidates.items():
            expected = np.broadcast_to(fn(z, y, d), z.shape)[usable]
            if np.allclose(applied, expected, rtol=1e-5, atol=1e-8):
                return Fingerprint(name, formula, text, rule)
        return Fingerprint(name, "unknown", "a derivative that matches no known formula", rule)
    return None
