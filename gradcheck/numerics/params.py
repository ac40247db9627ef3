"""Parameter structures: a dict of arrays, one array, or a list of arrays, seen as named float arrays."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Hashable, Literal, Mapping, Sequence

import numpy as np

from ..errors import CheckError

Form = Literal["dict", "array", "list", "tuple"]
_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def _float_array(value: Any, name: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except Exception as exc:
        raise CheckError(f"parameter {name!r} is not an array: {exc}", expected="a float array",
                         found=type(value).__name__) from exc
    if array.dtype not in _FLOATS:
        if array.dtype.kind in "iub":
            advice = f"pass it as floats, e.g. {name}.astype(np.float64)"
        else:
            advice = "pass a float16, float32 or float64 array"
        raise CheckError(f"parameter {name!r} has dtype {array.dtype}; gradients are checked for float16, float32 "
                         f"and float64 arrays: {advice}", expected="float16, float32 or float64",
                         found=str(array.dtype))
    return array


@dataclass(frozen=True)
class Params:
    """The user's parameters as named arrays, with the structure to hand them back in."""

    names: tuple[str, ...]
    arrays: tuple[np.ndarray, ...]  # the user's arrays, never written to
    form: Form
    keys: tuple[Hashable, ...] = ()

    def build(self, arrays: Sequence[np.ndarray]) -> Any:
        """The user's structure holding ``arrays`` in place of the parameters."""
        if self.form == "dict":
            return dict(zip(self.keys, arrays))
        if self.form == "array":
            return arrays[0]
        return list(arrays) if self.form == "list" else tuple(arrays)

    def builder(self, arrays: Sequence[np.ndarray]):
        """A function that returns a fresh structure holding ``arrays`` on every call (the hot path of a check)."""
        if self.form == "dict":
            pairs = tuple(zip(self.keys, arrays))
            return lambda: dict(pairs)
        if self.form == "array":
            return lambda: arrays[0]
        items = tuple(arrays)
        return (lambda: list(items)) if self.form == "list" else (lambda: items)

    def copies(self, dtype=None) -> list[np.ndarray]:
        """Fresh, writable, C-contiguous copies, in ``dtype`` when given."""
        return [np.array(a, dtype=dtype or a.dtype, copy=True, order="C") for a in self.arrays]

    def read_grads(self, grads: Any, what: str = "grad") -> tuple[list[np.ndarray | None], dict[str, np.ndarray],
                                                                   list[str]]:
        """The returned gradients in parameter order (None where missing), any extra ones by name, and the keys
        ignored: a dict may key a parameter's gradient by its name or by ``d<name>`` (``dW1`` for ``W1``); in the
        second style other ``d…`` keys (``dA1``, an activation's gradient) are ignored."""
        ignored: list[str] = []
        if self.form == "dict":
            if not isinstance(grads, Mapping):
                raise CheckError(f"{what} returned {_describe(grads)}; expected a dict with the keys "
                                 f"{list(self.keys)}, one gradient array per parameter",
                                 expected="dict", found=type(grads).__name__)
            keys = [k if k in grads or not isinstance(k, str) or "d" + k not in grads else "d" + k for k in self.keys]
            found = [grads[k] if k in grads else None for k in keys]
            d_style = any(k != own for k, own in zip(keys, self.keys))
            rest = [k for k in grads if k not in keys]
            ignored = [str(k) for k in rest if d_style and str(k).startswith("d")]
            extra = {str(k): grads[k] for k in rest if str(k) not in ignored}
        elif self.form == "array":
            if isinstance(grads, (Mapping, list, tuple)) or grads is None:
                raise CheckError(f"{what} returned {_describe(grads)}; expected one array of shape "
                                 f"{self.arrays[0].shape}, like the parameter", expected="array",
                                 found=type(grads).__name__)
            found, extra = [grads], {}
        else:
            if not isinstance(grads, (list, tuple)):
                raise CheckError(f"{what} returned {_describe(grads)}; expected a {self.form} of "
                                 f"{len(self.names)} arrays, one per parameter", expected=self.form,
                                 found=type(grads).__name__)
            found = [grads[i] if i < len(grads) else None for i in range(len(self.names))]
            extra = {str(i): g for i, g in enumerate(grads) if i >= len(self.names)}
        arrays = [None if g is None else _gradient_array(g, n, what) for g, n in zip(found, self.names)]
        return arrays, {n: _gradient_array(g, n, what) for n, g in extra.items()}, ignored


def _describe(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return "None" if value is None else f"a {type(value).__name__}"


def _gradient_array(value: Any, name: str, what: str) -> np.ndarray:
    try:
        array = np.asarray(value)
    except Exception as exc:
        raise CheckError(f"{what} returned {_describe(value)} for {name!r}, which is not an array: {exc}",
                         expected="a float array", found=type(value).__name__) from exc
    if array.dtype.kind != "f":
        raise CheckError(f"{what} returned a gradient of dtype {array.dtype} for {name!r}; expected a float "
                         "array (an integer buffer such as np.zeros_like of an int array truncates every value)",
                         expected="float", found=str(array.dtype))
    return array


def as_params(params: Any) -> Params:
    """Read ``params``: a dict name -> array, a single array, or a list/tuple of arrays (named "0", "1", …)."""
    if isinstance(params, Mapping):
        keys = tuple(params)
        names = tuple(str(k) for k in keys)
        arrays = tuple(_float_array(params[k], n) for k, n in zip(keys, names))
        form = "dict"
    elif isinstance(params, (list, tuple)):
        keys = tuple(range(len(params)))
        names = tuple(str(i) for i in keys)
        arrays = tuple(_float_array(p, n) for p, n in zip(params, names))
        form = "list" if isinstance(params, list) else "tuple"
    elif isinstance(params, (np.ndarray, np.floating, float)):
        keys, names, arrays, form = ("param",), ("param",), (_float_array(params, "param"),), "array"
    else:
        raise CheckError(f"params is {_describe(params)}; expected a dict of name -> float array, one float "
                         "array, or a list of float arrays", expected="dict, array or list",
                         found=type(params).__name__)
    if not arrays:
        raise CheckError("params is empty: there is nothing to check; pass at least one parameter array",
                         expected="at least one parameter", found="none")
    return Params(names, arrays, form, keys)
