"""Discovering cases: importing case files (each in a child process if asked), and name clashes."""

from __future__ import annotations

import importlib.util
import inspect
import sys
import traceback
from dataclasses import replace
from pathlib import Path
from typing import Iterable, Iterator

from ..errors import one_line
from ..sweeps import combinations, label
from . import isolation
from .define import Case, CaseSpec
from .results import CaseResult


def _files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for path in map(Path, paths):
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)
        else:
            yield path


def _error(name: str, file: str, message: str, tb: str | None = None) -> CaseResult:
    return CaseResult(name=name, file=file, expect="pass", status="error", as_expected=False, error=message,
                      traceback=tb)


def load(path: Path) -> tuple[list[Case], CaseResult | None]:
    """The cases defined in the file ``path`` (imported in this process), or the error result saying why none are."""
    module_name = f"gradcheck_case_{abs(hash(str(path.resolve())))}"
    file = str(path)
    if not path.exists():
        return [], _error(path.name, file, f"no such file: {file}")
    folder = path.parent.resolve()
    sys.path.insert(0, str(folder))
    shadowed, before = _siblings_first(folder), set(sys.modules)
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        return [], _error(path.stem, file, f"cannot import {file}: {one_line(exc)}", traceback.format_exc())
    finally:
        sys.path.remove(str(folder))
        for name in set(sys.modules) - before:  # the file's own helpers stay its own: no other folder sees them
            if _within(sys.modules[name], folder):
                del sys.modules[name]
        sys.modules.update(shadowed)
    found = []
    for name, obj in vars(module).items():
        spec = getattr(obj, "__gradcheck_case__", None)
        if isinstance(spec, CaseSpec) and getattr(obj, "__module__", None) == module_name:
            doc = (inspect.getdoc(obj) or "").strip().splitlines()
            swept = spec.sweep is not None or spec.seeds is not None
            for combination in combinations(spec.sweep, spec.seeds):
                found.append(Case(label(name, combination), file, obj, spec.expect, spec.kinds, spec.options,
                                  doc[0] if doc else "", combination, name if swept else ""))
    return found, None


def _within(module, folder: Path) -> bool:
    file = getattr(module, "__file__", None)
    return file is not None and Path(file).resolve().is_relative_to(folder)


def _siblings_first(folder: Path) -> dict:
    """Modules already imported under the name of a file or package beside the case file, from elsewhere: set
    aside while it imports, so that ``import helpers`` finds its own folder's helpers (as in a fresh process)."""
    local = {p.stem for p in folder.glob("*.py")} | {p.name for p in folder.iterdir() if (p / "__init__.py").is_file()}
    names = [n for n, m in list(sys.modules.items()) if n.split(".")[0] in local and not _within(m, folder)]
    return {n: sys.modules.pop(n) for n in names}


def _load_elsewhere(path: Path, timeout: float | None) -> tuple[list[Case], CaseResult | None]:
    """Load a case file in a forked child: a file that hangs or crashes on import is an error, not the end."""
    def specs(progress):
        found, error = load(path)
        return [replace(c, func=None) for c in found], error

    outcome = isolation.call(specs, (), timeout)
    if outcome.error is not None:
        return [], _error(path.stem, str(path), f"cannot import {path}: {outcome.error}", outcome.traceback)
    return outcome.value


def discover(paths: Iterable[str | Path], isolate: bool = False,
             timeout: float | None = None) -> tuple[list[Case], list[CaseResult]]:
    """The cases in ``paths`` (files, or folders searched for ``*.py``), and an error result per file that fails.

    With ``isolate``, each file is imported in a forked child under ``timeout``.
    Two cases with one name are both turned into errors naming the clash.
    """
    cases: list[Case] = []
    errors: list[CaseResult] = []
    for path in _files(paths):
        found, error = _load_elsewhere(path, timeout) if isolate and isolation.available() else load(path)
        cases.extend(found)
        if error:
            errors.append(error)
    by_name: dict[str, list[Case]] = {}
    for c in cases:
        by_name.setdefault(c.name, []).append(c)
    for name, same in by_name.items():
        if len(same) > 1:
            files = ", ".join(c.file for c in same)
            for c in same:
                errors.append(_error(name, c.file, f"case name {name!r} is defined {len(same)} times: {files}"))
    return [c for c in cases if len(by_name[c.name]) == 1], errors


def select(cases: Iterable[Case], keyword: str | None) -> list[Case]:
    """The cases whose name contains ``keyword`` (all when it is empty)."""
    return [c for c in cases if not keyword or keyword in c.name]
