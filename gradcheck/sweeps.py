"""Sweeps: a case run at every combination of its settings, and what the failing combinations have in common."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

SEED = "seed"  # the setting ``seeds=N`` sweeps: the case function is called with seed=0 … N−1


def combinations(sweep: Mapping[str, Sequence[Any]] | None, seeds: int | None) -> list[dict[str, Any]]:
    """Every combination of the settings, in the order given (the last setting varies fastest); one empty
    combination when there is nothing to sweep."""
    axes = dict(sweep or {})
    if seeds is not None:
        axes[SEED] = list(range(seeds))
    if not axes:
        return [{}]
    return [dict(zip(axes, values)) for values in itertools.product(*axes.values())]


def label(name: str, combination: Mapping[str, Any]) -> str:
    """``case[stride=2,pad=0,batch=1]``: a combination's case name."""
    return f"{name}[{','.join(f'{k}={v}' for k, v in combination.items())}]" if combination else name


@dataclass(frozen=True)
class SweepSummary:
    """One swept case: its combinations, the failing ones (smallest first), and what those share."""

    case: str
    combinations: int
    failing: tuple[str, ...]
    shared: str  # "fails exactly when stride = 2", "passes every combination", …

    def line(self) -> str:
        if not self.failing:
            return f"{self.case}: {self.shared}"
        return (f"{self.case}: {self.shared} ({len(self.failing)} of {self.combinations} combinations fail; "
                f"the smallest first: {', '.join(self.failing)})")

    def to_dict(self) -> dict[str, Any]:
        return {"case": self.case, "combinations": self.combinations, "failing": list(self.failing),
                "shared": self.shared}


def summarize(case: str, runs: Sequence[tuple[Mapping[str, Any], str, bool]]) -> SweepSummary:
    """``runs``: (combination, its case name, whether a gradient was wrong there), in sweep order."""
    axes: dict[str, list[Any]] = {}
    for combination, _, _ in runs:
        for key, value in combination.items():
            if value not in axes.setdefault(key, []):
                axes[key].append(value)
    failing = [(c, name) for c, name, wrong in runs if wrong]
    failing.sort(key=lambda item: _size(item[0], axes))
    names = tuple(name for _, name in failing)
    return SweepSummary(case, len(runs), names, _shared(axes, [c for c, _, _ in runs], [c for c, _ in failing]))


def _shared(axes: dict[str, list[Any]], every: list[Mapping[str, Any]], failing: list[Mapping[str, Any]]) -> str:
    """The simplest condition on the settings that holds exactly for the failing combinations."""
    if not failing:
        return f"passes every combination ({len(every)})"
    if len(failing) == len(every):
        return "fails for every combination"
    wrong = {_key(c) for c in failing}

    def exactly(condition) -> bool:
        return {_key(c) for c in every if condition(c)} == wrong

    for key, values in axes.items():
        for size in range(1, len(values)):
            for chosen in itertools.combinations(values, size):
                if exactly(lambda c, key=key, chosen=chosen: c[key] in chosen):
                    return f"fails exactly when {_condition(key, chosen, values)}"
    for (k1, v1s), (k2, v2s) in itertools.combinations(axes.items(), 2):
        for v1, v2 in itertools.product(v1s, v2s):
            if exactly(lambda c, k1=k1, v1=v1, k2=k2, v2=v2: c[k1] == v1 and c[k2] == v2):
                return f"fails exactly when {k1} = {v1} and {k2} = {v2}"
    return "no one or two settings tell the failing combinations from the others"


def _condition(key: str, chosen: tuple, values: list) -> str:
    if len(chosen) == 1:
        return f"{key} = {chosen[0]}"
    if len(values) - len(chosen) == 1:
        other = next(v for v in values if v not in chosen)
        return f"{key} ≠ {other}"
    return f"{key} is {', '.join(map(str, chosen[:-1]))} or {chosen[-1]}"


def _size(combination: Mapping[str, Any], axes: dict[str, list[Any]]) -> tuple:
    """How small a combination is: the sum of its numbers, then its values (their place in the sweep for others)."""
    values = [v if isinstance(v, (int, float)) and not isinstance(v, bool) else axes[k].index(v)
              for k, v in combination.items()]
    return (sum(values), tuple(values))


def _key(combination: Mapping[str, Any]) -> tuple:
    return tuple((k, repr(v)) for k, v in combination.items())


def default_sizes(names: Sequence[str]) -> list[dict[str, int]]:
    """Sizes for the axes ``names`` that catch the usual slips: distinct sizes on every axis (where a transpose
    would otherwise go unseen), all odd, all even, and size 1 on each axis in turn (batch 1, where broadcasting
    hides a missing reduction)."""
    k = len(names)
    if not k:
        return [{}]
    distinct = list(range(2, 2 + k))
    rows = [distinct, list(range(3, 3 + 2 * k, 2)), list(range(2, 2 + 2 * k, 2))]
    rows += [distinct[:i] + [1] + distinct[i + 1:] for i in range(k)]
    unique = list(dict.fromkeys(tuple(r) for r in rows))
    return [dict(zip(names, r)) for r in unique]
