"""Reasoning across parameters: where in the backward pass a mistake enters, from which parameters match."""

from __future__ import annotations

import re
from typing import Any, Sequence

from ..kinds import Kind


def _layer(name: str) -> str:
    """The layer a parameter belongs to, read from the first number in its name (W1, b1 -> "1"; W, b -> "")."""
    match = re.search(r"\d+", name)
    return match.group() if match else ""


def _wrong_broadly(result: Any) -> bool:
    """Whether a failing parameter is wrong in values, broadly (at least half its entries), as an error carried back
    would be; a kind with its own explanation (a sign, a scale, a missing sum, …) needs no placing."""
    return result.kind == Kind.WRONG_VALUES and result.detail.get("fraction", 1.0) >= 0.5


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
    upstream error dZ is right and the mistake is in what only the weight's
    gradient has: the input in dW = inputᵀ dZ, or a term of its own.
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
                and all(_wrong_broadly(w) for w in weights):
            w, b = weights[0], biases[0]
            return (f"{b.name} matches but {w.name} does not: the error reaching this layer (dZ) is right, so the "
                    f"mistake is in what only {w.name}'s gradient has: the input in inputᵀ dZ is not the input the "
                    f"forward pass used, or a term of {w.name}'s own (such as a regularization term) is wrong or "
                    "missing")
    if len(groups) < 2:
        return None
    status = [all(r.ok for r in g) for g in groups]
    failing = [i for i, ok in enumerate(status) if not ok]
    last_bad = failing[-1]
    if last_bad + 1 == len(groups) or not all(status[last_bad + 1:]):
        return None
    good, bad = groups[last_bad + 1], groups[last_bad]
    if not all(_wrong_broadly(r) for r in bad if not r.ok):
        return None  # a few wrong entries are a slip in a scalar formula, not an error carried back
    weight = next((r.name for r in good if _is_weight(r)), good[0].name)
    names = lambda g: ", ".join(r.name for r in g)  # noqa: E731
    later = [r for g in groups[last_bad + 1:] for r in g]
    earlier = [r for g in groups[: last_bad + 1] for r in g if not r.ok]
    return (f"{names(later)} match; {names(earlier)} do not: the mistake lies in the backward step that carries "
            f"the error from the layer of {weight} back to the layer of {bad[0].name} — the activation "
            f"derivative between them or the product with {weight}ᵀ")
