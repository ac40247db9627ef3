"""Reasoning across parameters: where in the backward pass a mistake enters, from which parameters match.

Only a certified match (kind ``ok``) is evidence that the error reaching a
parameter is right: a parameter whose gradient is 0, or too small to measure
(``inconclusive``), matches anything near 0 and proves nothing. Layers come
from structure (:mod:`.structure`), not from digits in names.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

import numpy as np

from ..kinds import Kind
from .structure import Unit, units

_LOSS_CAUSES = ("the loss", "k = m =", "k = 1/m", "is a whole number", "a mean where")


def _right(r: Any) -> bool:
    return r.kind == Kind.OK


def _wrong(r: Any) -> bool:
    return not r.ok and r.kind not in (Kind.INCONCLUSIVE, Kind.NOISY_LOSS)


def _wrong_broadly(r: Any) -> bool:
    """Wrong in values, broadly (at least half its entries), as an error carried back would be; a kind with its own
    explanation (a sign, a scale, a missing sum, …) or a fitted hypothesis needs no placing."""
    own = r.detail.get("hypothesis") not in (None, "copy-of-other")  # a copy is still wrong in broad values
    return r.kind == Kind.WRONG_VALUES and r.detail.get("fraction", 1.0) >= 0.5 and not own


def _matrix(r: Any) -> bool:
    return sum(d > 1 for d in r.shape) >= 2


def _names(rs: Sequence[Any]) -> str:
    return ", ".join(r.name for r in rs)


def across(results: Sequence[Any]) -> str | None:
    """Where in the backward pass the mistake lies, from which parameters (in forward order) match, or None.

    Every parameter wrong, the last bias too: the error is wrong from the
    output layer on (the loss derivative or an output activation's). A
    unit's added parameter (bias, beta) matching while what multiplies does
    not, or the other way round: the error reaching the unit is right and
    the mistake is the wrong parameter's own. The units after the last failing one matching:
    the mistake lies in the backward step between them.
    """
    params = [r for r in results if r.shape is not None]
    if not any(_wrong(r) for r in params):
        return None
    groups = units(params)
    return _from_the_loss(params, groups) or _within(groups) or _between(groups)


def _from_the_loss(params: list[Any], groups: list[Unit]) -> str | None:
    if not all(_wrong(r) for r in params):
        return None
    ks = [r.detail.get("k") for r in params]
    if all(r.kind == Kind.SCALED for r in params) and len({round(k, 6) for k in ks}) == 1:
        return (f"every parameter is off by the same factor k = {ks[0]:.6g}: the factor enters once, where the "
                "backward starts (the loss derivative), not in one layer")
    last = groups[-1].adds
    if len(params) > 1 and last and all(_wrong_broadly(r) for r in params):
        b = last[-1]
        return (f"every parameter is wrong, {b.name} included: {b.name}'s gradient is the error at its layer's "
                f"pre-activation (dZ) summed over the batch, so that error is already wrong; if {b.name} is the "
                "output layer's bias, the mistake lies between the loss and that dZ: the loss derivative "
                "(dL/dscores) or the derivative of an output activation")
    return None


def _within(groups: list[Unit]) -> str | None:
    for unit in groups:
        said = _shift_right(unit) or _factor_right(unit)
        if said:
            return said
    return None


def _shift_right(unit: Unit) -> str | None:
    """An added parameter right, what multiplies wrong: the error reaching the unit is right."""
    shifts = [r for r in unit.adds if _right(r)]
    factors = [r for r in unit.multiplies if _wrong(r)]
    if not shifts or not factors or any(_right(r) for r in unit.multiplies):
        return None
    b, w = shifts[0], factors[0]
    head = (f"{b.name} matches but {w.name} does not: the error reaching {w.name}'s layer is right, so the "
            f"mistake is in what only {w.name}'s gradient has: ")
    own = w.detail.get("hypothesis")
    if own == "proportional-to-param":
        return head + f"a term proportional to {w.name} itself (its hint gives the coefficient)"
    if own == "copy-of-other":
        return head + f"its hint names the parameter whose gradient {w.name}'s equals"
    if not _wrong_broadly(w):
        return None
    if _matrix(w):
        return head + ("the input in inputᵀ dZ is not the input the forward pass used, a sum over examples or time "
                       "steps keeps only some of its terms (`=` where `+=` is due), or a term of "
                       f"{w.name}'s own (such as a regularization term) is wrong or missing")
    return head + (f"the value {w.name} multiplies in the forward (for a normalization's gamma, dgamma = "
                   f"Σ dout · x̂ over the batch), or a term of {w.name}'s own")


def _factor_right(unit: Unit) -> str | None:
    """What multiplies right, an added parameter wrong: the error reaching the unit is right (the multiplier's
    gradient is built from it), so the added parameter's own reduction is wrong."""
    factors = [r for r in unit.multiplies if _right(r)]
    shifts = [r for r in unit.adds if _wrong(r)]
    if not factors or not shifts or any(_right(r) for r in unit.adds) or shifts[0].kind != Kind.WRONG_VALUES:
        return None
    w, b = factors[0], shifts[0]
    if b.detail.get("hypothesis") == "copy-of-other":
        return (f"{w.name} matches but {b.name} does not: the error reaching {b.name}'s layer is right, and "
                f"{b.name}'s hint names the parameter whose gradient it equals")
    return (f"{w.name} matches but {b.name} does not: the error reaching {b.name}'s layer is right ({w.name}'s "
            f"gradient is built from it), so the mistake is in {b.name}'s own formula: the sum of that error over "
            "the batch (its axis, a factor, or terms left out)")


def _between(groups: list[Unit]) -> str | None:
    status = [all(_right(r) for r in u.members) for u in groups]
    failing = [i for i, u in enumerate(groups) if any(_wrong(r) for r in u.members)]
    if len(groups) < 2 or not failing or failing[-1] + 1 == len(groups):
        return None
    last_bad = failing[-1]
    if not all(status[last_bad + 1:]):
        return None
    bad, good = groups[last_bad], groups[last_bad + 1]
    wrong_here = [r for r in bad.members if _wrong(r)]
    if any(_right(r) for r in bad.members) or not all(_wrong_broadly(r) for r in wrong_here):
        return None  # a few wrong entries are a slip in a scalar formula, not an error carried back
    later = [r for u in groups[last_bad + 1:] for r in u.members]
    earlier = [r for u in groups[: last_bad + 1] for r in u.members if _wrong(r)]
    weight = next((r for r in good.multiplies if _matrix(r)), None)
    step = (f"the activation derivative or a mask between them, the product with {weight.name}ᵀ" if weight is not None
            else "the backward of what lies between them in the forward (an activation's or a normalization's)")
    shared = (f"what the gradients of {_names(wrong_here)} share (a sum or loop over examples or positions)"
              if len(wrong_here) > 1 else f"{wrong_here[0].name}'s own formula")
    return (f"{_names(later)} match; {_names(earlier)} do not: the mistake lies in the backward step that carries "
            f"the error from the layer of {good.members[0].name} back to the layer of {bad.members[0].name} — "
            f"{step}, or a path the error must add there (a recurrent dh_next, a skip connection) — or in {shared}")


def reconcile(results: Sequence[Any]) -> list[Any]:
    """The results with every hint checked against the others: a cause another result rules out is replaced by
    what the evidence allows, and a gradient that is another parameter's is named as such."""
    out = list(results)
    unit_of = {r.name: u for u in units([r for r in out if r.shape is not None]) for r in u.members}
    for i, r in enumerate(out):
        if r.shape is None or not _wrong(r):
            continue
        copied = _copy_of(r, out)
        if copied is not None:
            out[i] = copied
        elif r.kind == Kind.SCALED and any(c in r.hint for c in _LOSS_CAUSES):
            siblings = [q for q in unit_of[r.name].members if q is not r and _right(q)]
            later = [q for q in out[i + 1:] if q.shape is not None and _right(q)]
            if siblings:
                out[i] = replace(r, hint=_scaled_in_its_own_formula(r, siblings))
            elif later:
                out[i] = replace(r, hint=_scaled_on_the_way(r, later))
        elif r.kind == Kind.SIGN_FLIPPED:
            siblings = [q for q in unit_of[r.name].members if q is not r and _right(q)]
            later = [q for q in out[i + 1:] if q.shape is not None and _right(q)]
            if siblings or later:  # the error y − a would flip those too
                where = (f"{r.name}'s own formula, since {_matches(siblings)} (the error reaching the layer has the "
                         "right sign)" if siblings else
                         f"a step between {_names(later)} and {r.name}, since {_matches(later)} (so the loss's error "
                         "has the right sign)")
                out[i] = replace(r, hint=f"analytic = −numerical: the sign flips in {where}")
    return out


def _matches(rs: list[Any]) -> str:
    return f"{_names(rs)} match{'es' if len(rs) == 1 else ''}"


def _scaled_in_its_own_formula(r: Any, siblings: list[Any]) -> str:
    k = r.detail["k"]
    n = round(1 / k) if k < 1 else round(k)
    whole = n >= 2 and abs((1 / k if k < 1 else k) - n) <= 1e-3 * n
    what = ("" if not whole else f" ({k:.6g} = 1/{n}: a mean over {n} where a sum is due, or a division repeated)"
            if k < 1 else f" (a sum over {n} where a mean is due, or a division left out)")
    return (f"analytic = {k:.6g} × numerical; {_matches(siblings)}, so the error reaching {r.name}'s layer is right: "
            f"the factor {k:.6g} is in {r.name}'s own formula{what}")


def _scaled_on_the_way(r: Any, later: list[Any]) -> str:
    k = r.detail["k"]
    return (f"analytic = {k:.6g} × numerical; {_matches(later)}, so the loss and its derivative are right: the "
            f"factor {k:.6g} enters on the way back to {r.name}, in a step after those parameters (a scaling the "
            "forward applies and the backward leaves out or repeats, such as inverted dropout's 1/p)")


def _copy_of(r: Any, results: list[Any]) -> Any | None:
    """``r`` named as a copy when its analytic gradient is, entry for entry, another parameter's (or its
    transpose), and that other parameter's gradient is right."""
    a = getattr(r, "analytic", None)
    if a is None:
        return None
    for q in results:
        qa = getattr(q, "analytic", None)
        if q is r or qa is None or not _right(q) or qa.size != a.size or not np.any(qa):
            continue
        for form, candidate in (("", qa), ("the transpose of ", qa.T)):
            if candidate.shape == a.shape and np.array_equal(candidate, a):
                return replace(r, hint=(f"{r.hint}; {r.name}'s gradient is {form}{q.name}'s, entry for entry (and "
                                        f"{q.name}'s is right): either the gradients returned for {r.name!r} are "
                                        f"{q.name}'s (a copy-paste slip in the returned dict), or {r.name}'s formula "
                                        f"lacks what sets it apart from {q.name}'s"),
                               detail={**r.detail, "hypothesis": "copy-of-other", "source": q.name})
    return None


