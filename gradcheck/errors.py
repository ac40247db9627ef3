"""Errors: what gradcheck raises when it cannot check, and the messages about the user's code it builds once."""

from __future__ import annotations

from typing import Any


class CheckError(Exception):
    """The check could not be carried out: the input is not what was expected.

    The message says what was expected, what was found and what to do next;
    ``expected`` and ``found`` keep the same facts as data.
    """

    def __init__(self, message: str, *, expected: Any = None, found: Any = None) -> None:
        super().__init__(message)
        self.expected = expected
        self.found = found

    def __reduce__(self):
        return _check_error, (str(self), self.expected, self.found)


class EvaluationFailed(Exception):
    """The function under test raised at a perturbed point: entry ``index`` moved by ``offset`` steps."""

    def __init__(self, index: int, offset: complex, cause: BaseException) -> None:
        super().__init__(f"entry {index}, offset {offset}: {cause!r}")
        self.index = index
        self.offset = offset
        self.cause = cause

    def __reduce__(self):
        return type(self), (self.index, self.offset, self.cause)


def user_code_raised(what: str, exc: BaseException, when: str) -> CheckError:
    """The user's ``what`` ("loss", "grad") raised ``exc``; ``when`` says where, and what the code must do."""
    return CheckError(f"{what} raised {type(exc).__name__}: {exc} {when}", expected="a value", found=repr(exc))


def loss_not_finite(value: Any, when: str, found: Any = None) -> CheckError:
    """The loss gave ``value`` (NaN or inf); ``when`` says where, and what the loss must be."""
    return CheckError(f"loss is {value} {when}", expected="a finite loss", found=value if found is None else found)


def one_line(exc: BaseException) -> str:
    """An exception as one line: its type and the first line of its message."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def _check_error(message: str, expected: Any, found: Any) -> CheckError:
    return CheckError(message, expected=expected, found=found)
