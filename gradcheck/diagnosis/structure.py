"""Layers from structure: which parameters make one layer, and which of them multiplies and which adds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal, Sequence

Role = Literal["multiplies", "adds", "unknown"]

_ADDS = re.compile(r"(beta|bias|shift|offset)")
_MULTIPLIES = re.compile(r"(gamma|weight|scale|kernel)")


def role(name: str, shape: tuple[int, ...]) -> Role:
    """Whether a parameter multiplies what reaches it (a weight, gamma) or is added to it (a bias, beta).

    Told by the usual names (gamma, beta, bias, weight; a leading W or b as
    in W1, Wx, b_out), else by shape: two long axes make a weight matrix.
    """
    lower = name.lower().lstrip("_")
    if _MULTIPLIES.search(lower):
        return "multiplies"
    if _ADDS.search(lower):
        return "adds"
    if lower[:1] == "w":
        return "multiplies"
    if lower[:1] == "b" and sum(d > 1 for d in shape) <= 1:
        return "adds"
    return "multiplies" if sum(d > 1 for d in shape) >= 2 else "unknown"


def _width(shape: tuple[int, ...]) -> int | None:
    """The length of a vector-like parameter's one long axis ((n,), (1, n), (n, 1)), else None."""
    long = [d for d in shape if d > 1]
    return long[0] if len(long) == 1 else (1 if not long else None)


@dataclass(frozen=True)
class Unit:
    """Parameters that act together on one value in the forward: a weight and its bias, gamma and beta."""

    members: tuple[Any, ...]  # the results, in forward order

    @property
    def multiplies(self) -> list[Any]:
        return [r for r in self.members[:1] if role(r.name, r.shape) == "multiplies"]

    @property
    def adds(self) -> list[Any]:
        """The members added to the head's output: those that joined it, and a unit of one added parameter."""
        head = self.members[0]
        return list(self.members[1:]) + ([head] if role(head.name, head.shape) == "adds" else [])


def _joins(unit: list[Any], r: Any) -> bool:
    """Whether result ``r`` belongs to the unit begun before it: a parameter added (by name, or a vector of no telling
    name) as wide as the output of the weight that begins the unit."""
    if not unit or role(r.name, r.shape) == "multiplies" or role(unit[0].name, unit[0].shape) != "multiplies":
        return False
    head = unit[0]
    width = _width(r.shape)
    return width is not None and (width in head.shape[-1:] or width in head.shape[:1] or width == _width(head.shape))


def units(results: Sequence[Any]) -> list[Unit]:
    """The results grouped into units, in forward order (the order the parameters were given in).

    A parameter that multiplies starts a unit; one that does not (a bias,
    beta, or a vector of no telling name) whose length is that unit's output
    width joins it (a bias after its weight, beta after gamma). Names that
    number their layers (W1, b1) must agree: a new number starts a new unit.
    """
    out: list[list[Any]] = []
    for r in results:
        if out and _joins(out[-1], r) and _number(out[-1][0].name) == _number(r.name):
            out[-1].append(r)
        else:
            out.append([r])
    return [Unit(tuple(u)) for u in out]


def _number(name: str) -> str:
    match = re.search(r"\d+", name)
    return match.group() if match else ""
