"""numpy's and ``random``'s global random state: set back before every call of a loss that draws from it."""

from __future__ import annotations

import random
from typing import Any, Callable

import numpy as np

NOTE = ("the loss draws from numpy's (or random's) global random state and gave another value at each call; the "
        "state was set back before every call of the loss and the gradient, so every evaluation sees the same draws "
        "(a dropout mask, a sampled batch), and it is left as it was found")


class Randomness:
    """The global random states as found: ``reset`` sets them back (about 60 µs, so only when a loss needs it)."""

    def __init__(self) -> None:
        self.numpy, self.python = np.random.get_state(), random.getstate()

    def reset(self) -> None:
        np.random.set_state(self.numpy)
        random.setstate(self.python)

    def fixing(self, fn: Callable | None) -> Callable | None:
        """``fn`` with the states set back before every call."""
        if fn is None:
            return None

        def call(*args: Any, **kwargs: Any) -> Any:
            self.reset()
            return fn(*args, **kwargs)
        return call
