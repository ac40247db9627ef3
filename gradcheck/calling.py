"""A user's function called as written: its arguments by name, the ones differentiated and the ones held fixed."""

from __future__ import annotations

import copy
import inspect
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from .errors import CheckError, user_code_raised


def is_float_array(value: Any) -> bool:
    """A floating-point numpy array: what a check differentiates."""
    return isinstance(value, np.ndarray) and value.dtype.kind == "f"


def describe(value: Any) -> str:
    """An argument in a few words: ``int64 array (5,)``, ``dict``, ``float``."""
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array {value.shape}"
    return type(value).__name__


def positional_names(fn: Callable, count: int) -> list[str]:
    """The names ``fn`` gives its first ``count`` positional parameters (``x``, ``x1``, … when it has none to read)."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # a builtin or a ufunc: no signature to read
        return ["x"] if count == 1 else [f"x{i}" for i in range(count)]
    names: list[str] = []
    for p in parameters:
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        elif p.kind == p.VAR_POSITIONAL:
            names += [f"{p.name}{i}" for i in range(max(count - len(names), 0))]
    names += [f"arg{i}" for i in range(len(names), count)]
    return names[:count]


def positional_count(fn: Callable) -> int | None:
    """How many positional arguments ``fn`` takes without defaults, or None when its signature cannot be read or
    takes any number."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None
    if any(p.kind == p.VAR_POSITIONAL for p in parameters):
        return None
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty for p in parameters)


def call_method(obj: Any, method: str, args: Sequence[Any], owner: str, advice: str) -> Any:
    """``obj.method(*args)``, a failure in the user's code named as ``owner.method`` with the arguments it got."""
    try:
        return getattr(obj, method)(*args)
    except CheckError:
        raise
    except Exception as exc:  # the user's code may raise anything
        shapes = ", ".join(describe(a) for a in args)
        raise user_code_raised(f"{owner}.{method}", exc, f"when called as {owner}.{method}({shapes}); {advice}") \
            from exc


class Call:
    """``fn`` with its arguments bound by name: the floating-point arrays (or those ``wrt`` names) are differentiated
    and given by the check; everything else is held fixed and deep-copied afresh for every call."""

    def __init__(self, fn: Callable, args: Sequence[Any], kwargs: Mapping[str, Any],
                 wrt: Sequence[str | int] | str | int | None, role: str = "forward") -> None:
        self.fn, self.role = fn, role
        names = positional_names(fn, len(args))
        self.positional = list(zip(names, args))
        self.keywords = dict(kwargs)
        self.values = {**dict(self.positional), **self.keywords}
        self.floats = [n for n, v in self.values.items() if is_float_array(v)]
        self.wrt = self.floats if wrt is None else self._chosen(wrt, names, self.floats)

    def _chosen(self, wrt, names: list[str], floats: list[str]) -> list[str]:
        chosen = []
        for w in [wrt] if isinstance(wrt, (str, int)) else list(wrt):
            name = names[w] if isinstance(w, int) and 0 <= w < len(names) else w
            if name not in floats:
                raise CheckError(f"wrt names {w!r}, which is not a floating-point array argument of "
                                 f"{self.fn_name}; the differentiable arguments are {floats}",
                                 expected=floats, found=w)
            chosen.append(name)
        return [n for n in floats if n in chosen]

    @property
    def fn_name(self) -> str:
        return getattr(self.fn, "__name__", type(self.fn).__name__)

    def point(self) -> dict[str, np.ndarray]:
        """The differentiated arguments, copied."""
        return {n: np.array(self.values[n], copy=True) for n in self.wrt}

    def fixed(self) -> tuple[str, ...]:
        """The arguments held fixed, each with what it is."""
        return tuple(f"{n} ({describe(v)})" for n, v in self.values.items() if n not in self.wrt)

    def signature_text(self) -> str:
        """The call as it was made: names with types and shapes."""
        return f"{self.fn_name}({', '.join(f'{n}={describe(v)}' for n, v in self.values.items())})"

    def __call__(self, values: Mapping[str, np.ndarray]) -> Any:
        def value(name: str, v: Any) -> Any:
            return values[name] if name in values else copy.deepcopy(v)

        args = [value(n, v) for n, v in self.positional]
        kwargs = {n: value(n, v) for n, v in self.keywords.items()}
        try:
            return self.fn(*args, **kwargs)
        except CheckError:
            raise
        except Exception as exc:  # the user's code may raise anything
            raise user_code_raised(self.role, exc, f"when called as {self.signature_text()}; check that the "
                                   "arguments are given in the order and form the function takes") from exc


class State:
    """An object's attributes as found (``params`` aside): every array, dict and list put back in place, so the
    caller's objects keep their identity and values (running statistics in a model's bn_params, caches)."""

    def __init__(self, obj: Any, skip: Sequence[str] = ()) -> None:
        self.obj, self.skip = obj, set(skip)
        self.found = {k: v for k, v in vars(obj).items() if k not in self.skip}
        self.saved = {}
        for k, v in self.found.items():
            try:
                self.saved[k] = copy.deepcopy(v)
            except Exception:  # an attribute that cannot be copied (a lock, a file) is put back as the same object
                self.saved[k] = v

    def restore(self) -> None:
        for k, v in self.found.items():
            setattr(self.obj, k, _put_back(v, self.saved[k]))
        for k in list(vars(self.obj)):
            if k not in self.found and k not in self.skip:
                delattr(self.obj, k)


def _put_back(current: Any, saved: Any, seen: set | None = None) -> Any:
    """``current`` holding ``saved``'s values again, in place where it can (arrays, dicts, lists, objects)."""
    seen = set() if seen is None else seen
    if current is saved or id(current) in seen:
        return current
    seen.add(id(current))
    if isinstance(current, np.ndarray) and isinstance(saved, np.ndarray) and current.shape == saved.shape \
            and current.dtype == saved.dtype and current.flags.writeable:
        current[...] = saved
        return current
    if isinstance(current, dict) and isinstance(saved, dict):
        for key in list(current):
            if key not in saved:
                del current[key]
        for key, value in saved.items():
            current[key] = _put_back(current[key], value, seen) if key in current else value
        return current
    if isinstance(current, list) and isinstance(saved, list) and len(current) == len(saved):
        current[:] = [_put_back(c, v, seen) for c, v in zip(current, saved)]
        return current
    if type(current) is type(saved) and hasattr(current, "__dict__") and not isinstance(current, type):
        for key, value in vars(saved).items():  # a layer object inside a model: the same object, its state back
            setattr(current, key, _put_back(getattr(current, key), value, seen) if hasattr(current, key) else value)
        return current
    return saved
