"""The house: imports run one way (DESIGN.md, "Layout"), no cycles, one public home per name."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import workbench

SRC = Path(workbench.__file__).resolve().parent

# layer of each top-level room; a module may import its own layer (without cycles) and the ones below
LAYERS: dict[str, int] = {
    "errors": 0,
    "schema": 0,
    "settings": 0,
    "files": 0,
    "data": 1,
    "summary": 2,
    "segments": 3,
    "kpis": 3,
    "results": 3,
    "audience": 3,
    "clv": 3,
    "tiers": 3,
    "experiments": 3,
    "i18n": 4,
    "text": 4,
    "plots": 4,
    "widgets": 4,
    "notebook": 5,
    "report": 5,
    "cli": 5,
    "locales": 4,
}
PRESENTATION = ("i18n", "text", "plots", "widgets", "notebook", "report", "cli", "locales")
SUBPACKAGES = ("data", "summary", "kpis", "results", "clv", "tiers", "experiments", "i18n", "text", "report")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in SRC.rglob("*.py")}


def _imports(name: str) -> set[str]:
    """The workbench modules ``name`` imports anywhere in its file (lazy imports in functions included)."""
    path = MODULES[name]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target.startswith("workbench") and target != name:
                found.add(target)
    return found


GRAPH = {name: _imports(name) for name in MODULES}


def _room(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 else None


def test_every_room_has_a_layer():
    rooms = {_room(n) for n in MODULES} - {None}
    assert rooms <= set(LAYERS), f"rooms without a layer in this test: {sorted(rooms - set(LAYERS))}"


def test_imports_never_run_upward():
    upward = []
    for name, targets in GRAPH.items():
        room = _room(name)
        if room is None:
            continue
        for target in targets:
            other = _room(target)
            if other is not None and LAYERS[other] > LAYERS[room]:
                upward.append(f"{name} -> {target} (layer {LAYERS[room]} -> {LAYERS[other]})")
    assert not upward, "imports that run upward:\n" + "\n".join(sorted(upward))


def test_computation_never_imports_presentation():
    bad = [
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        if _room(name) not in PRESENTATION and _room(name) is not None
        for target in targets
        if _room(target) in PRESENTATION
    ]
    assert not bad, "computation importing presentation:\n" + "\n".join(sorted(bad))


def test_no_import_cycles():
    # Tarjan's strongly connected components over the module graph
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"


def test_a_room_never_imports_its_own_public_home():
    """Modules inside a subpackage import their siblings, never the package's ``__init__`` (a cycle)."""
    bad = [
        f"{name} -> {target}"
        for name, targets in GRAPH.items()
        for target in targets
        if target in {f"workbench.{p}" for p in SUBPACKAGES} and name.startswith(target + ".")
    ]
    assert not bad, bad


def test_no_module_over_500_lines():
    long = {n: len(p.read_text(encoding="utf-8").splitlines()) for n, p in MODULES.items()}
    assert not {n: k for n, k in long.items() if k > 500}


@pytest.mark.parametrize("sub", SUBPACKAGES)
def test_subpackage_all_resolves(sub):
    module = importlib.import_module(f"workbench.{sub}")
    for name in module.__all__:
        assert hasattr(module, name), f"workbench.{sub}.__all__ names {name!r}, which it does not define"


def test_top_level_all_is_the_union_of_the_rooms():
    expected: dict[str, str] = {}
    for room in (*SUBPACKAGES, "schema", "errors", "segments", "audience", "widgets"):
        if f"workbench.{room}" not in MODULES:
            continue
        for name in importlib.import_module(f"workbench.{room}").__all__:
            assert name not in expected, f"{name!r} is public in both workbench.{expected[name]} and {room}"
            expected[name] = room
    assert sorted(workbench.__all__) == sorted(expected)
    for name, room in expected.items():
        assert getattr(workbench, name) is getattr(importlib.import_module(f"workbench.{room}"), name), name


def test_design_interfaces_import_as_written():
    from workbench.clv import fit_clv  # noqa: F401
    from workbench.data import load_transactions  # noqa: F401
    from workbench.experiments import analyze, srm_check  # noqa: F401
    from workbench.summary import member_summary  # noqa: F401
    from workbench.tiers import TierProgram, assign_tiers  # noqa: F401


def test_errors_share_one_base():
    from workbench.errors import WorkbenchError

    classes = []
    for name in MODULES:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Exception) and value.__module__ == name:
                classes.append(value)
    assert classes
    public = [c for c in classes if not c.__name__.startswith("_")]
    assert [c.__name__ for c in public if not issubclass(c, WorkbenchError)] == []
