"""Reference networks: hand-written forward and backward passes for the documented systems S1–S5, and their bugs.

Each system is correct by default; ``bug="B1"`` … ``"B13"`` selects a documented
mistake, written into the forward or backward code where people make it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..cases.define import Problem
from . import layers, s1, s2, s3, s4, s5


@dataclass(frozen=True)
class Reference:
    """A reference network at a fixed point: its parameters and its loss with gradients."""

    system: str
    bug: str | None
    params: dict[str, np.ndarray]
    loss_and_grad: Callable[[dict[str, np.ndarray]], tuple[float, dict[str, np.ndarray]]] = field(repr=False)
    batch_size: int = 1
    network: Any = field(default=None, repr=False)  # the same net as reference layers, where it has a layered form
    inputs: Any = field(default=None, repr=False)  # the network's input

    def loss(self, params: dict[str, np.ndarray]) -> float:
        return self.loss_and_grad(params)[0]

    def grad(self, params: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        return self.loss_and_grad(params)[1]

    def problem(self) -> Problem:
        """This network as a case's Problem: loss and gradients in one call, at its parameters."""
        return Problem(self.loss_and_grad, None, self.params, batch_size=self.batch_size,
                       network=self.network, inputs=self.inputs)

    @property
    def description(self) -> str:
        return BUGS[self.bug][1] if self.bug else SYSTEMS[self.system].__doc__.strip().splitlines()[0]


SYSTEMS = {"S1": s1, "S2": s2, "S3": s3, "S3-loop": s3, "S4": s4, "S5": s5, "S5-xor": s5}
BUGS: dict[str, tuple[str, str]] = {
    bug: (name, text)
    for name, module in (("S1", s1), ("S2", s2), ("S3", s3), ("S5", s5))
    for bug, text in module.BUGS.items()
}


def reference(system: str, bug: str | None = None, **sizes: Any) -> Reference:
    """The reference network ``system`` ("S1" … "S5", "S3-loop", "S5-xor"), with ``bug`` if given."""
    if system not in SYSTEMS:
        raise ValueError(f"unknown system {system!r}; expected one of {sorted(SYSTEMS)}")
    known = sorted((b for b, (s, _) in BUGS.items() if s == system.split("-")[0]), key=lambda b: int(b[1:]))
    if system == "S3-loop":
        known = list(s3.LOOP_BUGS)
    if system == "S5-xor":
        known = []
    if bug is not None and bug not in known:
        raise ValueError(f"{system} has no bug {bug!r}; its documented bugs are {known}")
    return SYSTEMS[system].build(system, bug, Reference, **sizes)


__all__ = ["BUGS", "SYSTEMS", "Reference", "layers", "reference"]
