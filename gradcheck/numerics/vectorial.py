"""Derivatives of vector-valued functions by finite differences: along a direction, and column by column."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..errors import CheckError, user_code_raised

_COMPLEX_STEP = 1e-20


class VectorFunction:
    """``f`` on copies of its input (the caller's arrays are never handed over), its value checked and counted."""

    def __init__(self, f: Callable[[np.ndarray], Any], x: np.ndarray, what: str = "f") -> None:
        self.f, self.what, self.calls = f, what, 0
        self.x = np.array(x, copy=True)
        self.y = self(self.x, "at the given point")
        self.eps = max(float(np.finfo(self.x.dtype).eps), float(np.finfo(self.y.dtype).eps)
                       if self.y.dtype.kind == "f" else 0.0)

    def __call__(self, x: np.ndarray, where: str = "near the given point", complex_ok: bool = False) -> np.ndarray:
        self.calls += 1
        try:
            y = self.f(np.array(x, copy=True))
        except CheckError:
            raise
        except Exception as exc:
            raise user_code_raised(self.what, exc, f"({where})") from exc
        y = np.asarray(y)
        if y.dtype.kind not in "fc" or (y.dtype.kind == "c" and not complex_ok):
            raise CheckError(f"{self.what} returned {y.dtype} values; expected a float array",
                             expected="float array", found=str(y.dtype))
        if not np.all(np.isfinite(y)):
            raise CheckError(f"{self.what} returned values that are not finite {where}; it must be finite there",
                             expected="finite values", found="nan or inf")
        return y


def along(fn: VectorFunction, v: np.ndarray, method: str = "central",
          scale: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """D_v f at fn's point and its error: central differences at steps t and t/2, extrapolated (Richardson); the
    error is the two levels' difference plus rounding. ``method="complex-step"``: Im f(x + i·t·v) / t. The step
    is the rule's eps^(1/3) (1e-20 for the complex step) times ``scale`` (default: max(1, |x|) over the whole
    input) over v's largest entry."""
    x = fn.x.astype(np.float64)
    size = float(np.max(np.abs(v), initial=0.0))
    if size == 0.0:
        return np.zeros(fn.y.shape), np.zeros(fn.y.shape)
    if scale is None:
        scale = max(1.0, float(np.max(np.abs(x), initial=0.0)))
    if method == "complex-step":
        t = _COMPLEX_STEP * scale / size
        value = fn(x + 1j * t * v, complex_ok=True).imag / t
        return value, np.finfo(np.float64).eps * (np.abs(value) + 1e-300)
    t = fn.eps ** (1.0 / 3.0) * scale / size
    plus, minus = fn((x + t * v).astype(fn.x.dtype)), fn((x - t * v).astype(fn.x.dtype))
    plus2, minus2 = fn((x + t / 2 * v).astype(fn.x.dtype)), fn((x - t / 2 * v).astype(fn.x.dtype))
    d1 = (plus.astype(np.float64) - minus) / (2 * t)
    d2 = (plus2.astype(np.float64) - minus2) / t
    rounding = fn.eps * np.maximum(np.maximum(np.abs(plus), np.abs(minus)), np.abs(fn.y)) / t
    return d2 + (d2 - d1) / 3.0, np.abs(d2 - d1) / 3.0 + 2.0 * rounding


def jacobian(fn: VectorFunction, method: str = "central") -> tuple[np.ndarray, np.ndarray]:
    """The Jacobian at fn's point, shape ``y.shape + x.shape``, column by column along each input entry; and its
    error per entry."""
    n = fn.x.size
    value = np.empty(fn.y.shape + (n,))
    error = np.empty(fn.y.shape + (n,))
    for j in range(n):
        e = np.zeros(n)
        e[j] = 1.0
        value[..., j], error[..., j] = along(fn, e.reshape(fn.x.shape), method,
                                             max(1.0, abs(float(fn.x.reshape(-1)[j]))))
    return value.reshape(fn.y.shape + fn.x.shape), error.reshape(fn.y.shape + fn.x.shape)
