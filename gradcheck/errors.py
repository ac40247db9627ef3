"""Errors: what gradcheck raises when it cannot check, and when a check fails."""

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


class GradientError(AssertionError):
    """An analytic gradient disagrees with the numerical one; ``report`` says how."""

    def __init__(self, report: Any) -> None:
        super().__init__(str(report))
        self.report = report


class EvaluationFailed(Exception):
    """The function under test raised at a perturbed point: entry ``index`` moved by ``offset`` steps."""

    def __init__(self, index: int, offset: complex, cause: BaseException) -> None:
        super().__init__(f"entry {index}, offset {offset}: {cause!r}")
        self.index = index
        self.offset = offset
        self.cause = cause

    def __reduce__(self):
        return type(self), (self.index, self.offset, self.cause)


def _check_error(message: str, expected: Any, found: Any) -> CheckError:
    return CheckError(message, expected=expected, found=found)
