"""Defining cases: the @case decorator, the Problem a case returns, and a Case as found in a file."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Literal, Optional, Tuple

from ..kinds import KINDS
from ..options import CASE, settable

Expectation = Literal["pass", "fail", "inconclusive"]
EXPECTATIONS: Tuple[str, ...] = ("pass", "fail", "inconclusive")
CHECK_OPTIONS: Tuple[str, ...] = tuple(d.name for d in settable(CASE))


@dataclass(frozen=True)
class Problem:
    """What a case returns: a loss, its gradient and the point to check, as for :func:`gradcheck.check`.

    With ``network`` (layers with forward/backward, see :func:`gradcheck.check_network`)
    and its ``inputs``, the layers are checked one by one as well, and their
    results follow the parameters' in the report.

    The other derivatives (:mod:`gradcheck.vector`) take ``params`` as their
    point: ``f`` with one of ``jac``, ``jvp``, ``vjp`` (``Problem(None, None, x,
    f=f, jac=jac)``), or ``grad`` with ``hvp`` or ``hess``.
    """

    loss: Callable | None
    grad: Callable | None
    params: Any
    batch_size: int | None = None
    network: Any = None
    inputs: Any = None
    f: Callable | None = None
    jac: Callable | None = None
    jvp: Callable | None = None
    vjp: Callable | None = None
    hvp: Callable | None = None
    hess: Callable | None = None

    def derivative(self) -> tuple[str, Callable, Callable] | None:
        """Which other derivative the problem holds: ``(name, function, derivative)``, or None for a gradient."""
        for name, fn in (("jac", self.f), ("jvp", self.f), ("vjp", self.f), ("hvp", self.grad), ("hess", self.grad)):
            if getattr(self, name) is not None:
                return name, fn, getattr(self, name)
        return None


@dataclass(frozen=True)
class Case:
    """A case found in a file: the function that builds its Problem and what it is expected to give."""

    name: str
    file: str
    func: Optional[Callable[[], Problem]] = field(default=None, repr=False)  # None when found in another process
    expect: Expectation = "pass"
    kinds: Optional[Dict[str, str]] = None
    options: Dict[str, Any] = field(default_factory=dict)
    doc: str = ""  # the first line of the function's docstring
    sweep: Dict[str, Any] = field(default_factory=dict)  # this combination's settings, the function's keywords
    group: str = ""  # the swept case's own name, for each of its combinations


@dataclass(frozen=True)
class CaseSpec:
    """What @case attaches to a function: its expectation, the kinds it expects, its check options."""

    expect: Expectation
    kinds: Optional[Dict[str, str]]
    options: Dict[str, Any]
    sweep: Optional[Dict[str, list]] = None
    seeds: Optional[int] = None


def case(func: Callable | None = None, *, expect: Expectation = "pass", kinds: dict[str, str] | None = None,
         sweep: dict[str, list] | None = None, seeds: int | None = None, **options: Any):
    """Mark a function returning a :class:`Problem` as a case, expected to "pass", "fail" or be "inconclusive".

    ``kinds`` maps parameter names to the diagnosis kind the report must name;
    other keyword arguments are check options (``CHECK_OPTIONS``: method,
    eps, rtol, atol, seed, batch_size, mode, budget, probes, workers) used
    for this case unless the command line overrides them.

    ``sweep={"stride": [1, 2], "pad": [0, 1]}`` makes one case per
    combination, named ``name[stride=1,pad=0]``, the function called with the
    combination as keyword arguments; ``seeds=N`` adds ``seed=0 … N−1``, for a
    function that draws its point from a seed. The expectation holds for
    every combination, and the run says what the failing ones share.
    """
    if sweep is not None and (not isinstance(sweep, dict) or not sweep
                              or not all(isinstance(k, str) and k.isidentifier() for k in sweep)
                              or not all(isinstance(v, (list, tuple, range)) and len(v) > 0 for v in sweep.values())):
        raise ValueError(f"sweep is {sweep!r}; expected a dict of setting names to non-empty lists of values, "
                         "such as sweep={'stride': [1, 2]}")
    if seeds is not None and (not isinstance(seeds, int) or isinstance(seeds, bool) or seeds < 1):
        raise ValueError(f"seeds is {seeds!r}; expected a whole number of points to draw, at least 1")
    if sweep is not None and "seed" in sweep and seeds is not None:
        raise ValueError("sweep names 'seed' and seeds= is given too; give one of them")
    if expect not in EXPECTATIONS:
        raise ValueError(f"expect is {expect!r}; expected 'pass', 'fail' or 'inconclusive'")
    unknown = sorted(set(options) - set(CHECK_OPTIONS))
    if unknown:
        raise TypeError(f"unknown check option(s) {unknown}; expected some of {list(CHECK_OPTIONS)}")
    for name, kind in (kinds or {}).items():
        if kind not in KINDS:
            near = difflib.get_close_matches(str(kind), KINDS, n=1)
            hint = f"did you mean {near[0]!r}? " if near else ""
            raise ValueError(f"kinds[{name!r}] is {kind!r}, which is no diagnosis kind; {hint}expected one of "
                             f"{', '.join(KINDS)} (gradcheck explain lists them)")

    def mark(fn: Callable) -> Callable:
        fn.__gradcheck_case__ = CaseSpec(expect, dict(kinds) if kinds else None, options,
                                         {k: list(v) for k, v in sweep.items()} if sweep else None, seeds)
        return fn

    return mark(func) if func is not None else mark
