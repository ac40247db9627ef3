"""Where the wrong entries of a parameter lie: single entries, whole rows or columns, or spread."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..indexing import entry_index, index_label

MAX_LISTED = 5  # entries named in a sentence


def locate(mismatched: np.ndarray) -> tuple[str, dict[str, Any]]:
    """Where the mismatched entries lie: single entries, whole rows or columns, or spread."""
    shape = mismatched.shape
    count = int(mismatched.sum())
    size = mismatched.size
    flat = np.flatnonzero(mismatched)
    indices = [entry_index(i, shape) for i in flat[:MAX_LISTED]]
    detail: dict[str, Any] = {"fraction": count / size if size else 0.0, "indices": [list(i) for i in indices]}
    listed = ", ".join(index_label(i) for i in indices) + (", …" if count > MAX_LISTED else "")
    if mismatched.ndim == 2 and 1 < count < size:
        rows = np.flatnonzero(mismatched.any(axis=1))
        cols = np.flatnonzero(mismatched.any(axis=0))
        if len(rows) < shape[0] and mismatched[rows].all():
            detail["rows"] = rows.tolist()
            return f"confined to row{'s' if len(rows) > 1 else ''} {', '.join(map(str, rows[:MAX_LISTED]))}", detail
        if len(cols) < shape[1] and mismatched[:, cols].all():
            detail["columns"] = cols.tolist()
            return f"confined to column{'s' if len(cols) > 1 else ''} {', '.join(map(str, cols[:MAX_LISTED]))}", detail
    if count == size:
        return "every entry wrong", detail
    if count <= MAX_LISTED:
        word = "a single entry" if count == 1 else f"{count} single entries"
        return f"{word} at {listed}", detail
    return f"spread over {count} of {size} entries ({100 * count / size:.0f}%), first at {listed}", detail


def located_by_group_testing(found: Sequence[int], evaluations: int, stopped: str | None,
                             shape: tuple[int, ...]) -> tuple[str, dict[str, Any]]:
    """Where probe mode's group testing placed the wrong entries (flat indices ``found``), in words and as data."""
    if stopped is None:
        mask = np.zeros(int(np.prod(shape)), bool)
        mask[list(found)] = True
        where, detail = locate(mask.reshape(shape)) if found else ("no single entry located", {})
        detail.update(located=True, locate_evaluations=evaluations)
        return f"{where} (located by group testing in {evaluations} loss evaluations)", detail
    detail = {"located": False, "locate_evaluations": evaluations,
              "indices": [list(entry_index(i, shape)) for i in found[:MAX_LISTED]]}
    part = f"; located so far: {len(found)} entries" if found else ""
    return f"not located: {stopped}{part} (a full check, mode='full', lists every wrong entry)", detail
