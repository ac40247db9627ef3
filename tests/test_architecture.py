"""The package's layers: each module imports only from the layers below it, and no import comes back around.

Imports are read with ``ast`` from the source, every one of them: at the top,
inside functions and under ``TYPE_CHECKING`` alike.
"""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "gradcheck"

# Each layer, by module-name prefix, and the gradcheck modules it may import (by prefix); its own layer is always
# allowed. Read top-down: a module may use what the rows above it hold, never what the rows below hold.
LAYERS = [
    ("gradcheck.errors", []),
    ("gradcheck.kinds", []),
    ("gradcheck.indexing", []),
    ("gradcheck.sweeps", []),
    ("gradcheck.options", ["gradcheck.errors"]),
    ("gradcheck.text", ["gradcheck.indexing"]),
    ("gradcheck.html", ["gradcheck.indexing", "gradcheck.text"]),
    ("gradcheck.report", ["gradcheck.kinds", "gradcheck.options", "gradcheck.text", "gradcheck.html"]),
    ("gradcheck.numerics", ["gradcheck.errors", "gradcheck.options", "gradcheck.indexing"]),
    ("gradcheck.diagnosis", ["gradcheck.kinds", "gradcheck.indexing", "gradcheck.numerics.compare"]),
    ("gradcheck.verdict", ["gradcheck.diagnosis", "gradcheck.numerics", "gradcheck.report"]),
    ("gradcheck.tracing", ["gradcheck.numerics", "gradcheck.report"]),
    ("gradcheck.checker", ["gradcheck.tracing",
                           "gradcheck.verdict", "gradcheck.diagnosis", "gradcheck.numerics", "gradcheck.options",
                           "gradcheck.report", "gradcheck.errors"]),
    ("gradcheck.vector", ["gradcheck.diagnosis", "gradcheck.numerics", "gradcheck.report", "gradcheck.errors",
                          "gradcheck.kinds", "gradcheck.indexing"]),
    ("gradcheck.calling", ["gradcheck.errors"]),
    ("gradcheck.adapters", ["gradcheck.calling", "gradcheck.errors"]),
    ("gradcheck.models", ["gradcheck.checker", "gradcheck.errors", "gradcheck.report", "gradcheck.calling",
                          "gradcheck.numerics.randomness"]),
    ("gradcheck.layers", ["gradcheck.checker", "gradcheck.diagnosis", "gradcheck.errors", "gradcheck.report",
                          "gradcheck.sweeps",
                          "gradcheck.calling", "gradcheck.adapters", "gradcheck.options",
                          "gradcheck.numerics.randomness"]),
    ("gradcheck.cases", ["gradcheck.checker", "gradcheck.layers", "gradcheck.vector", "gradcheck.report",
                         "gradcheck.sweeps",
                         "gradcheck.text",
                         "gradcheck.errors", "gradcheck.options", "gradcheck.kinds", "gradcheck.numerics.parallel"]),
    ("gradcheck.reference", ["gradcheck.cases.define"]),
    ("gradcheck.output", ["gradcheck.kinds", "gradcheck.report", "gradcheck.text", "gradcheck.cases.results",
                          "gradcheck.html"]),
    ("gradcheck.plugin", ["gradcheck"]),
    ("gradcheck.cli", ["gradcheck"]),
    ("gradcheck.__init__", ["gradcheck"]),
    ("gradcheck.__main__", ["gradcheck.cli"]),
]

# Libraries beyond numpy and the standard library, and the only modules that may import each.
LIBRARIES = {
    "rich": ["gradcheck.output.terminal"],
    "click": ["gradcheck.cli"],
    "pytest": ["gradcheck.plugin"],
    "tomli": ["gradcheck.plugin"],
    "threadpoolctl": ["gradcheck.numerics.parallel"],  # one BLAS thread per worker process
    "dask": ["gradcheck.cases.distributed"],  # the optional extra: cases as tasks on a Dask cluster
}


def _module_name(path: Path) -> str:
    """``gradcheck.numerics.full`` for a module, ``gradcheck.numerics.__init__`` for a package's own file."""
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def _is_module(name: str) -> bool:
    path = PACKAGE.parent / name.replace(".", "/")
    return path.with_suffix(".py").is_file() or path.is_dir()


def _defines(package: str, name: str) -> bool:
    """Whether the package's __init__ binds ``name`` itself (a re-export shadows the submodule of that name)."""
    init = PACKAGE.parent / package.replace(".", "/") / "__init__.py"
    if not init.is_file():
        return False
    for node in ast.walk(ast.parse(init.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and any((a.asname or a.name) == name for a in node.names):
            return True
    return False


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> set:
    """Every module ``name`` imports: gradcheck modules by their full name, libraries by their top name."""
    path = MODULES[name]
    package = name.rsplit(".", 1)[0]  # what a relative import starts from, for a module and an __init__ alike
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            # `from pkg import name` runs pkg/__init__ for a name it defines, only the submodule for a submodule.
            for alias in node.names:
                submodule = f"{source}.{alias.name}"
                found.add(submodule if _is_module(submodule) and not _defines(source, alias.name) else source)
    return {f if f.startswith("gradcheck") else f.split(".")[0] for f in found}


def _layer(name: str):
    matches = [(prefix, allowed) for prefix, allowed in LAYERS if name == prefix or name.startswith(prefix + ".")]
    assert matches, f"{name} belongs to no layer: add it to LAYERS"
    return max(matches, key=lambda m: len(m[0]))


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_each_module_imports_only_from_the_layers_below_it(name):
    prefix, allowed = _layer(name)
    inside = {i for i in imports(name) if i.startswith("gradcheck")}
    above = sorted(i for i in inside if not _within(i, [prefix, *allowed]) and i != "gradcheck")
    assert not above, f"{name} imports {above}, which its layer ({prefix}) may not use"


@pytest.mark.skipif(not hasattr(sys, "stdlib_module_names"), reason="the standard library's list needs Python 3.10")
@pytest.mark.parametrize("name", sorted(MODULES))
def test_libraries_other_than_numpy_are_imported_only_where_they_belong(name):
    outside = {i for i in imports(name) if not i.startswith("gradcheck")}
    third_party = outside - set(sys.stdlib_module_names) - {"numpy"}
    misplaced = sorted(lib for lib in third_party if name not in LIBRARIES.get(lib, []))
    assert not misplaced, f"{name} imports {misplaced}"


def test_no_module_imports_one_that_imports_it_back():
    graph = {name: {i for i in imports(name) if i in MODULES or f"{i}.__init__" in MODULES} for name in MODULES}
    graph = {name: {i if i in MODULES else f"{i}.__init__" for i in deps} - {name} for name, deps in graph.items()}
    state, cycles = {}, []

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, f"import cycles: {cycles}"


def test_the_rule_catches_an_import_from_a_layer_above(tmp_path, monkeypatch):
    kernel = PACKAGE / "numerics" / "numdiff.py"
    bad = tmp_path / "numdiff.py"
    bad.write_text(kernel.read_text(encoding="utf-8") + "\nfrom ..report import Report\n", encoding="utf-8")
    monkeypatch.setitem(MODULES, "gradcheck.numerics.numdiff", bad)
    with pytest.raises(AssertionError, match=r"imports \['gradcheck.report'\]"):
        test_each_module_imports_only_from_the_layers_below_it("gradcheck.numerics.numdiff")


def test_the_cycle_check_catches_a_module_that_imports_its_importer(tmp_path, monkeypatch):
    bad = tmp_path / "kinds.py"
    bad.write_text((PACKAGE / "kinds.py").read_text(encoding="utf-8") + "\nfrom .report import Report\n",
                   encoding="utf-8")
    monkeypatch.setitem(MODULES, "gradcheck.kinds", bad)
    with pytest.raises(AssertionError, match=r"import cycles: .*'gradcheck.kinds', 'gradcheck.report'"):
        test_no_module_imports_one_that_imports_it_back()
