"""The report model: frozen per-parameter results and the report that every renderer reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

import numpy as np


@dataclass(frozen=True, eq=False)
class ParamResult:
    """The verdict on one parameter's analytic gradient."""

    name: str
    ok: bool
    kind: str
    shape: tuple[int, ...] | None  # None for a gradient key that names no parameter
    grad_shape: tuple[int, ...] | None  # None when the gradient is missing
    size: int
    mismatched: int
    max_abs_error: float
    max_rel_error: float
    hint: str = ""
    detail: Mapping[str, Any] = field(default_factory=dict)
    analytic: np.ndarray | None = field(default=None, repr=False)
    numerical: np.ndarray | None = field(default=None, repr=False)
    rel_error: np.ndarray | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Everything the result shows, as JSON-safe data."""
        return {
            "name": self.name,
            "ok": self.ok,
            "kind": self.kind,
            "shape": None if self.shape is None else list(self.shape),
            "grad_shape": None if self.grad_shape is None else list(self.grad_shape),
            "size": self.size,
            "mismatched": self.mismatched,
            "max_abs_error": _finite(self.max_abs_error),
            "max_rel_error": _finite(self.max_rel_error),
            "hint": self.hint,
            "detail": _jsonable(dict(self.detail)),
        }


@dataclass(frozen=True, eq=False)
class Report:
    """The result of one check: a verdict per parameter, in the parameters' order."""

    results: tuple[ParamResult, ...]
    method: str
    evaluations: int
    mode: str = "full"
    diagnosis: str | None = None  # what the pattern across parameters says
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.results)

    @property
    def failed(self) -> tuple[ParamResult, ...]:
        return tuple(r for r in self.results if not r.ok)

    def __iter__(self) -> Iterator[ParamResult]:
        return iter(self.results)

    def __len__(self) -> int:
        return len(self.results)

    def __getitem__(self, name: str) -> ParamResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(f"no parameter named {name!r}; the report has {[r.name for r in self.results]}")

    def to_dict(self) -> dict[str, Any]:
        """Everything the report shows, as JSON-safe data."""
        return {
            "ok": self.ok,
            "method": self.method,
            "mode": self.mode,
            "evaluations": self.evaluations,
            "diagnosis": self.diagnosis,
            "notes": list(self.notes),
            "parameters": [r.to_dict() for r in self.results],
        }

    def __str__(self) -> str:
        from .render import format_report

        return format_report(self)


def _finite(x: float) -> float | None:
    return float(x) if np.isfinite(x) else None


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer, int)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return _finite(float(value))
    return value
