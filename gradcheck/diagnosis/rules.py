"""The per-parameter rules: which pattern an analytic gradient's error follows, and the rule that fixes it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..indexing import entry_index, entry_label
from ..kinds import Kind
from .evidence import Evidence
from .locate import MAX_LISTED


@dataclass(frozen=True)
class Diagnosis:
    """The pattern behind a parameter's mismatch: a kind, a short hint and the facts as data."""

    kind: Kind
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


def diagnose(analytic: np.ndarray | None, evidence: Evidence, batch_size: int | None = None,
             name: str = "the parameter", theta: np.ndarray | None = None) -> Diagnosis:
    """Name the pattern of a parameter's analytic gradient against what was measured.

    ``evidence`` is an :class:`EntryEvidence` (a full check) or a probe
    evidence (probe mode): each rule states a candidate for the true gradient
    built from the analytic one (its batch sum, its transpose, its negative,
    …) and asks the evidence whether the candidate matches. Rules go from the
    most specific relation to the least: shape relations first (batch sum,
    transpose), then value relations (disconnected, zero, sign, scale).
    Wrong values that no relation explains are tested against hypotheses
    about the residual d = analytic − numerical (:func:`residual`, with
    ``theta`` the parameter's values) and returned as such, to be located by
    the caller (:func:`wrong_values`).
    """
    shape = tuple(evidence.shape)
    if analytic is None:
        return Diagnosis(Kind.SHAPE_MISMATCH, f"no gradient returned for {name}: return one of shape {shape}",
                         {"missing": True})
    a = np.asarray(analytic, dtype=np.float64)
    if not np.all(np.isfinite(a)):
        bad = np.flatnonzero(~np.isfinite(a))
        where = ", ".join(entry_label(i, a.shape) for i in bad[:MAX_LISTED])
        return Diagnosis(Kind.NONFINITE, f"{len(bad)} of {a.size} entries are NaN or inf, first at {where}: "
                         "look for an overflow (exp), log(0) or a division by zero",
                         {"count": int(len(bad)), "indices": [list(entry_index(i, a.shape)) for i in bad[:MAX_LISTED]]})
    if a.shape != shape:
        return _diagnose_shape(a, evidence, name)
    if not evidence.wrong(a):
        if not evidence.resolved():
            return _inconclusive(a, name)
        return Diagnosis(Kind.OK, "")
    if evidence.loss_ignores():
        return Diagnosis(Kind.DISCONNECTED, f"the loss does not depend on {name} (numerical gradient 0 everywhere) "
                         f"but the analytic gradient is not 0: the forward does not use the {name} it is given (a "
                         "layer skipped, a global or a stale copy read instead of the parameter), or what follows "
                         "cancels it (a bias followed by batch norm)")
    if np.all(a == 0):
        return Diagnosis(Kind.ZERO_GRADIENT, f"the analytic gradient of {name} is 0 in every entry while the loss "
                         f"depends on {name}: no nonzero term reaches it (it is never accumulated, or only a zero term "
                         "is kept, as with `=` where `+=` is due)")
    k, support = evidence.scale(a)
    if support and evidence.matches(-a):
        return Diagnosis(Kind.SIGN_FLIPPED, "analytic = −numerical: the backward computes the negative gradient "
                         "(an error written y − a instead of a − y)", {"k": -1.0})
    scaled = _scaled(a, evidence, k, support, batch_size)
    if scaled is not None:
        return scaled
    if a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] > 1 and evidence.matches(a.T):
        return Diagnosis(Kind.TRANSPOSED, f"analytic = numericalᵀ: {name}'s gradient is transposed; "
                         "write the product so its shape and layout are the parameter's")
    return residual(a, evidence, theta, name) or Diagnosis(Kind.WRONG_VALUES, "wrong values")


def residual(a: np.ndarray, evidence: Evidence, theta: np.ndarray | None, name: str) -> Diagnosis | None:
    """The hypothesis about d = analytic − numerical that fits the evidence, if one does: d = c·θ (a term of the
    parameter's own, such as regularization), d only where the loss ignores the entry (a mask forgotten in the
    backward), or the right values at other indices. The hint is joined to the location by :func:`wrong_values`."""
    if theta is not None and np.shape(theta) == a.shape and np.any(theta):
        theta = np.asarray(theta, dtype=np.float64)
        c, support = evidence.residual_on(a, theta)
        if support >= 2 and evidence.matches(a - c * theta):
            return Diagnosis(Kind.WRONG_VALUES, _proportional(c, name),
                             {"hypothesis": "proportional-to-param", "coefficient": c})
        c, support = evidence.residual_on(a, np.sign(theta))
        if support >= 2 and evidence.matches(a - c * np.sign(theta)):
            return Diagnosis(Kind.WRONG_VALUES, _sign_term(c, name),
                             {"hypothesis": "proportional-to-sign", "coefficient": c})
    total = evidence.summed(a)
    if total is not None:
        return Diagnosis(Kind.WRONG_VALUES, f"every entry of the analytic gradient holds the same value, {total:.6g}, "
                         f"the sum of the true gradient over all of {name}'s entries: a sum over every axis (as "
                         "dZ.sum()) broadcast where a sum over the batch axis alone is due",
                         {"hypothesis": "summed-over-all-axes"})
    unused = evidence.unused_entries(a)
    if unused:
        return Diagnosis(Kind.WRONG_VALUES, f"every wrong entry is one the loss does not depend on here (numerical "
                         f"0, analytic not; {unused} entries), and every entry it depends on is right: the backward "
                         "sends gradient where the forward sent none, as when a mask (ReLU, dropout, max-pool "
                         "routing) applied in the forward is left out of the backward",
                         {"hypothesis": "masked", "unused_entries": unused})
    if evidence.permuted(a):
        return Diagnosis(Kind.WRONG_VALUES, "the wrong entries hold the right values, at each other's indices: an "
                         "indexing slip (values written to the wrong rows, columns or entries)",
                         {"hypothesis": "wrong-indices"})
    return None


def _sign_term(c: float, name: str) -> str:
    """What d = c·sign(θ) says: an L1 term λ‖θ‖₁ (gradient λ·sign(θ)) with the wrong coefficient or sign."""
    said = f"analytic − numerical = {c:.6g} × sign({name}) in every entry"
    if c > 0:
        return (f"{said}: the backward adds {c:.6g}·sign({name}) that the loss's derivative does not have, as when "
                f"an L1 term's coefficient or sign is wrong (λ‖{name}‖₁ has gradient λ·sign({name}))")
    return (f"{said}: the backward lacks {-c:.6g}·sign({name}) that the loss's derivative has, as when an L1 term is "
            f"missing from the gradient or enters with the wrong sign (λ‖{name}‖₁ has gradient +λ·sign({name}))")


def _proportional(c: float, name: str) -> str:
    """What d = c·θ says: a term c·θ the loss does not have, or a term the backward lacks."""
    said = f"analytic − numerical = {c:.6g} × {name} in every entry"
    if c > 0:
        return (f"{said}: the backward adds {c:.6g}·{name} that the loss's derivative does not have, as when a "
                f"regularization term's coefficient is too large (½λ‖{name}‖² has gradient λ·{name}, λ‖{name}‖² "
                f"has 2λ·{name}) or the loss lacks the term")
    return (f"{said}: the backward lacks {-c:.6g}·{name} that the loss's derivative has, as when a regularization "
            f"term is missing from the gradient or too small (½λ‖{name}‖² has gradient λ·{name}; if the term is "
            f"missing altogether, λ = {-c:.6g})")


def _inconclusive(a: np.ndarray, name: str) -> Diagnosis:
    if not np.any(a):
        return Diagnosis(Kind.INCONCLUSIVE, f"{name}'s analytic gradient is 0 and the loss does not change "
                         f"measurably with {name}: they agree, but a gradient too small to measure would look the "
                         "same, so agreement is not certified")
    return Diagnosis(Kind.INCONCLUSIVE, f"no entry of {name}'s gradient (at most {np.max(np.abs(a)):.3g}) stands out "
                     "from the error of its numerical derivative: agreement is not certified")


def wrong_values(where: str, detail: dict[str, Any], found: Diagnosis | None = None) -> Diagnosis:
    """The diagnosis of wrong values once they are located: ``where`` in words, ``detail`` as data, and the
    residual's hypothesis when one fitted (``found``, from :func:`residual`)."""
    if found is not None and found.detail.get("hypothesis"):
        return Diagnosis(Kind.WRONG_VALUES, f"wrong values, {where}; {found.hint}", {**detail, **found.detail})
    return Diagnosis(Kind.WRONG_VALUES, f"wrong values, {where}", detail)


def at_kinks(diagnosis: Diagnosis, wrong_at_kinks: int) -> Diagnosis:
    """The diagnosis with a note that some wrong entries sit at kinks, where the analytic value fits no slope."""
    if not wrong_at_kinks or diagnosis.kind == Kind.OK:
        return diagnosis
    return replace(diagnosis, hint=diagnosis.hint + f"; {wrong_at_kinks} of the wrong entries sit at kinks, where "
                   "the analytic value lies outside the one-sided slopes (several non-differentiable points met at "
                   "once, or a wrong subgradient)")


def _scaled(a, evidence, k, support, batch_size) -> Diagnosis | None:
    if not np.isfinite(k) or k == 0.0 or _is_near(k, 1.0, 1e-12) or not evidence.matches_scaled(a, k):
        return None
    cause = scale_cause(k, batch_size)
    # A constant factor needs two values to show; a single value fits any k,
    # so it is named a scale only when k is a factor with a known cause.
    if support < 2 and cause.endswith("matches no common factor"):
        return None
    return Diagnosis(Kind.SCALED, f"analytic = {k:.6g} × numerical; {cause}", {"k": k})


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


def _diagnose_shape(a: np.ndarray, evidence: Evidence, name: str) -> Diagnosis:
    """A gradient of another shape: a missing batch sum, a transpose, a reshape, or none of these."""
    shape = tuple(evidence.shape)
    size = int(np.prod(shape))
    found = {"expected_shape": list(shape), "found_shape": list(a.shape)}
    for axis, summed in _reductions(a, shape):
        if evidence.matches(summed):
            m = a.size // max(size, 1)
            keep = ", keepdims=True" if len(shape) == a.ndim else ""  # (1, n) keeps the axis; (n,) does not
            if axis is None:
                rule = "sum it over the examples: db = dz.sum()"
            elif axis == a.ndim - 1 and axis > 0:
                rule = f"sum it over axis {axis}, the examples in column layout: db = dZ.sum(axis={axis}{keep})"
            else:
                rule = f"sum it over axis {axis}, the batch: db = dZ.sum(axis={axis}{keep})"
            return Diagnosis(Kind.NOT_REDUCED, f"{name}'s gradient has shape {a.shape}, one entry per example "
                             f"(m = {m}), and its sum is right: {rule}", {**found, "axis": axis, "m": m})
    if a.size == size:
        if a.ndim == 2 and a.shape == shape[::-1] and evidence.matches(a.T):
            return Diagnosis(Kind.TRANSPOSED, f"{name}'s gradient has shape {a.shape}, the transpose of {shape}, and "
                             "its transpose is right: swap the product's operands (xᵀ dZ for a weight of shape "
                             "(in, out) used as x W, dZᵀ x for one of shape (out, in) used as x Wᵀ)", found)
        if evidence.matches(a.reshape(shape)):
            if a.shape == shape[::-1]:
                return Diagnosis(Kind.TRANSPOSED, f"{name}'s gradient holds the right data in the swapped shape "
                                 f"{a.shape}: lay it out as {shape} (a reshape where the layout differs)", found)
            return Diagnosis(Kind.SHAPE_MISMATCH, f"{name}'s gradient has shape {a.shape}, expected {shape}; its "
                             f"values are right: reshape it to {shape}", found)
    return Diagnosis(Kind.SHAPE_MISMATCH, f"{name}'s gradient has shape {a.shape}, expected {shape}", found)
