"""Issue 28: no import circle among the product's modules, counting imports inside functions too (the archive run
imported the plain run's private names from ``analysis_files``, which imports the archive run back). Imports inside
functions are checked for the archive run and the plain run; two other circles through function-level imports remain
(the DICOMweb archive inputs and their task), listed by :func:`lazy_circles`."""

from __future__ import annotations

import ast
from pathlib import Path

import calcification

PACKAGE = Path(calcification.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, modules: set, lazy: bool = True) -> set:
    """The product modules ``path`` imports (``from .x import y`` counts ``x.y`` when that is a module, else ``x``);
    with ``lazy`` also those imported inside functions."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree) if lazy else tree.body:
        if isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            base = f"{base}.{node.module}" if node.level and node.module else (base if node.level else node.module)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in modules and m != name}


def _cycle(graph: dict) -> list:
    """One import circle of ``graph`` (module -> imported modules), or []."""
    state: dict = {}

    def visit(module, trail):
        state[module] = "open"
        for other in sorted(graph[module]):
            if state.get(other) == "open":
                return [*trail[trail.index(other) :], other]
            if other not in state and (found := visit(other, [*trail, other])):
                return found
        state[module] = "done"
        return []

    for module in sorted(graph):
        if module not in state and (found := visit(module, [module])):
            return found
    return []


def _graph(lazy: bool = True) -> dict:
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(path, set(files), lazy) for name, path in files.items()}


def test_the_archive_run_and_the_plain_run_share_a_module_instead_of_importing_each_other():
    graph = _graph()
    archive = {m for m in graph if m.startswith("calcification.logic.workflows.archive_run")}
    assert not any("calcification.logic.workflows.analysis_files" in graph[m] for m in archive)


def test_no_module_imports_itself_through_others_at_import_time():
    cycles = []
    graph = _graph(lazy=False)
    while cycle := _cycle(graph):  # list every circle, not just the first
        cycles.append(" -> ".join(cycle))
        graph[cycle[-2]] = graph[cycle[-2]] - {cycle[-1]}
    assert not cycles


def lazy_circles() -> list[str]:
    """Every import circle when imports inside functions count too (for a reader; no test asserts on it)."""
    cycles, graph = [], _graph()
    while cycle := _cycle(graph):
        cycles.append(" -> ".join(cycle))
        graph[cycle[-2]] = graph[cycle[-2]] - {cycle[-1]}
    return cycles
