"""How an entry is named: a flat index, the index the user writes, and its label in a report."""

from __future__ import annotations

from typing import Sequence, Union

import numpy as np

UserIndex = Union[int, tuple[int, ...]]


def entry_index(flat: int, shape: Sequence[int]) -> tuple[int, ...]:
    """The index of entry ``flat`` of an array of ``shape``, as plain ints."""
    return tuple(int(i) for i in np.unravel_index(int(flat), tuple(shape))) if len(shape) else ()


def user_index(index: Sequence[int]) -> UserIndex:
    """An index as the user writes it: ``3`` in a vector, ``(1, 2)`` in a matrix, ``()`` for a 0-d array."""
    index = tuple(int(i) for i in index)
    return index[0] if len(index) == 1 else index


def index_label(index: Sequence[int]) -> str:
    """The label of an index in a report: ``3`` in a vector, ``(1, 2)`` in a matrix."""
    return str(user_index(index))


def entry_label(flat: int, shape: Sequence[int]) -> str:
    """The label of entry ``flat`` of an array of ``shape``: ``3`` in a vector, ``(1, 2)`` in a matrix."""
    return index_label(entry_index(flat, shape))
