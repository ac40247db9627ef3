"""Every check option, declared once: name, type, default, allowed values, help, and where it may be set."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal, Optional, Tuple, get_args

from .errors import CheckError

Method = Literal["central", "richardson", "complex-step", "auto"]
Mode = Literal["auto", "full", "probe"]
METHODS: Tuple[str, ...] = get_args(Method)
MODES: Tuple[str, ...] = get_args(Mode)

# Where an option may be set, besides check(): in @case, on `gradcheck run`, in [tool.gradcheck] and --gradcheck-*.
CASE, RUN, CONFIG = "case", "run", "config"
_EVERYWHERE = (CASE, RUN, CONFIG)


def _option(default: Any, help: str, *, choices: tuple[str, ...] | None = None, minimum: float | None = None,
            places: tuple[str, ...] = _EVERYWHERE, unit: str = "") -> Any:
    return field(default=default, metadata={"help": help, "choices": choices, "minimum": minimum, "places": places,
                                            "unit": unit})


@dataclass(frozen=True)
class CheckOptions:
    """The options of one check, validated when built; the defaults are :func:`gradcheck.check`'s."""

    method: Method = _option("central", "Differentiation method.", choices=METHODS)
    eps: Optional[float] = _option(None, "A fixed finite-difference step (default: per entry, from the dtype, the "
                                   "entry's magnitude and the loss's noise).")
    rtol: Optional[float] = _option(None, "Relative tolerance, added to each entry's error estimate (default: from "
                                    "the gradient's dtype).", minimum=0)
    atol: float = _option(0.0, "Absolute tolerance, added to each entry's error estimate.", minimum=0)
    seed: int = _option(0, "Seed of the random noise shifts and probe directions.")
    batch_size: Optional[int] = _option(None, "The batch size m, so that the diagnosis can name a missing mean.",
                                        minimum=1, places=(CASE,))
    mode: Mode = _option("auto", "full: every entry; probe: random directions per tensor; auto: full when it fits "
                         "the budget.", choices=MODES)
    budget: float = _option(5.0, "Seconds a full check may take before auto mode probes.", minimum=0)
    probes: int = _option(8, "Probe directions per tensor in probe mode.", minimum=1, unit=" direction per tensor")
    workers: Optional[int] = _option(None, "Processes sharing a full check (default: all cores for a big check, one "
                                     "for small ones).", minimum=1)

    def __post_init__(self) -> None:
        for option in fields(self):
            _validate(option.name, getattr(self, option.name), option.metadata)


def _validate(name: str, value: Any, meta: Any) -> None:
    choices, minimum = meta["choices"], meta["minimum"]
    if choices is not None and value not in choices:
        raise CheckError(f"{name} is {value!r}; expected one of {', '.join(choices)}", expected=choices, found=value)
    if minimum is not None and value is not None and not value >= minimum:
        raise CheckError(f"{name} is {value}; expected at least {minimum:g}{meta['unit']}", expected=f">= {minimum:g}",
                         found=value)


@dataclass(frozen=True)
class Declaration:
    """One option as the case decorator, the command line and the configuration file read it."""

    name: str
    type: type
    default: Any
    help: str
    choices: tuple[str, ...] | None
    minimum: float | None
    places: tuple[str, ...]


def _type(annotation: str) -> type:
    """The value type of an annotation such as ``Optional[float]``; a Literal is a str."""
    for name, kind in (("float", float), ("int", int)):
        if annotation in (name, f"Optional[{name}]"):
            return kind
    return str


DECLARATIONS: Tuple[Declaration, ...] = tuple(
    Declaration(f.name, _type(str(f.type)), f.default, f.metadata["help"], f.metadata["choices"], f.metadata["minimum"],
                f.metadata["places"])
    for f in fields(CheckOptions)
)
DEFAULTS = CheckOptions()


def settable(place: str) -> Tuple[Declaration, ...]:
    """The options that may be set in ``place`` (CASE, RUN or CONFIG)."""
    return tuple(d for d in DECLARATIONS if place in d.places)


def parse(declaration: Declaration, value: Any, source: str) -> Any:
    """``value`` read from ``source`` (a file, a command line) as the option's type, validated."""
    try:
        typed = declaration.type(value)
        if declaration.type is not str and isinstance(value, (bool, str)) or typed != value:
            raise TypeError
    except (TypeError, ValueError):
        raise CheckError(f"{declaration.name} in {source} is {value!r}; expected a {declaration.type.__name__}",
                         expected=declaration.type.__name__, found=type(value).__name__) from None
    _validate(declaration.name, typed, {"choices": declaration.choices, "minimum": declaration.minimum, "unit": ""})
    return typed
