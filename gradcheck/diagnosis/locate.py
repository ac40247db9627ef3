"""Where the wrong entries of a parameter lie: single entries, whole rows or columns, or spread."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..indexing import entry_index, entry_label, index_label

MAX_LISTED = 5  # entries named in a sentence
MAX_RANGES = 8  # runs of rows or columns named in a sentence
GATES = (4, 3)  # concatenated gates: an LSTM's i, f, o, g; a GRU's r, z, n


def ranges(indices: Sequence[int]) -> str:
    """Sorted indices as runs: ``0–9, 15–19``; past ``MAX_RANGES`` runs, how many more there are."""
    runs: list[list[int]] = []
    for i in indices:
        if runs and i == runs[-1][1] + 1:
            runs[-1][1] = i
        else:
            runs.append([i, i])
    words = [f"{a}" if a == b else f"{a}–{b}" for a, b in runs[:MAX_RANGES]]
    more = f" and {len(runs) - MAX_RANGES} more runs" if len(runs) > MAX_RANGES else ""
    return ", ".join(words) + more


def _lines(which: np.ndarray, length: int, word: str, gates: bool = False) -> str:
    """``column 3`` or ``15 of 20 columns: 0–9, 15–19``; for columns (where concatenated gates lie: x W with W of
    shape (d, 4h)), the gate blocks they make up when they do."""
    if len(which) == 1:
        return f"{word} {which[0]}"
    text = f"{len(which)} of {length} {word}s: {ranges(which.tolist())}"
    for gates in GATES if gates else ():
        if length % gates or length < 2 * gates:
            continue
        block = length // gates
        wrong = sorted({int(i) // block for i in which})
        if len(wrong) < gates and len(which) == block * len(wrong):
            right = [g + 1 for g in range(gates) if g not in wrong]
            bad = ", ".join(str(g + 1) for g in wrong)
            several, fine = len(wrong) > 1, ", ".join(map(str, right))
            return (f"{text}, block{'s' if several else ''} {bad} of {gates} equal blocks of {block} "
                    f"(block{'s' if len(right) > 1 else ''} {fine} {'are' if len(right) > 1 else 'is'} right: if "
                    f"the {word}s hold {gates} concatenated gates, look at the backward of gate{'s' if several else ''}"
                    f" {bad})")
    return text


def locate(mismatched: np.ndarray) -> tuple[str, dict[str, Any]]:
    """Where the mismatched entries lie: single entries, whole rows or columns (as runs), or spread."""
    shape = mismatched.shape
    count = int(mismatched.sum())
    size = mismatched.size
    flat = np.flatnonzero(mismatched)
    indices = [entry_index(i, shape) for i in flat[:MAX_LISTED]]
    detail: dict[str, Any] = {"fraction": count / size if size else 0.0, "indices": [list(i) for i in indices],
                              "count": count}
    listed = ", ".join(index_label(i) for i in indices)
    if mismatched.ndim == 2 and 1 < count < size:
        rows = np.flatnonzero(mismatched.any(axis=1))
        cols = np.flatnonzero(mismatched.any(axis=0))
        if len(rows) < shape[0] and mismatched[rows].all():
            detail["rows"] = rows.tolist()
            return f"confined to {_lines(rows, shape[0], 'row')}", detail
        if len(cols) < shape[1] and mismatched[:, cols].all():
            detail["columns"] = cols.tolist()
            return f"confined to {_lines(cols, shape[1], 'column', gates=True)}", detail
    if count == size:
        return "every entry wrong", detail
    if count <= MAX_LISTED:
        word = "a single entry" if count == 1 else f"{count} single entries"
        return f"{word} at {listed}", detail
    return (f"spread over {count} of {size} entries ({100 * count / size:.0f}%); the first {MAX_LISTED} at "
            f"{listed}"), detail


def located_by_group_testing(found: Sequence[int], evaluations: int, stopped: str | None,
                             shape: tuple[int, ...]) -> tuple[str, dict[str, Any]]:
    """Where probe mode's group testing placed the wrong entries (flat indices ``found``), in words and as data."""
    if stopped is None:
        mask = np.zeros(int(np.prod(shape)), bool)
        mask[list(found)] = True
        where, detail = locate(mask.reshape(shape)) if found else ("no single entry located", {})
        if found and where.startswith("spread over"):  # group testing found each of them: every one is named
            where = f"{len(found)} single entries at {', '.join(entry_label(i, shape) for i in sorted(found))}"
        detail["indices"] = [list(entry_index(i, shape)) for i in sorted(found)]
        detail.update(located=True, locate_evaluations=evaluations)
        return f"{where} (located by group testing in {evaluations} loss evaluations)", detail
    detail = {"located": False, "locate_evaluations": evaluations,
              "indices": [list(entry_index(i, shape)) for i in found[:MAX_LISTED]]}
    part = f"; located so far: {len(found)} entries" if found else ""
    return f"not located: {stopped}{part} (a full check, mode='full', lists every wrong entry)", detail
