"""The layers of ARCHITECTURE.md hold (import-linter, contracts in .importlinter): the frame imports
nothing of security, the workflow engine or the modules; the engine and security import no module;
modules reach each other only through a module's api.py. And the parts do not import each other in
a circle: the import graph squashed to its parts (core, security, workflow, each module) has no cycle."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("app.core", "app.security", "app.workflow")


def test_the_import_contracts_are_kept():
    lint = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([str(lint), "--config", str(ROOT / ".importlinter"), "--no-cache"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout and "3 kept" in result.stdout


def _part(module: str) -> str:
    for part in PARTS:
        if module == part or module.startswith(part + "."):
            return part
    pieces = module.split(".")
    if pieces[:2] == ["app", "modules"] and len(pieces) > 2:
        return ".".join(pieces[:3])
    return module


def test_the_parts_do_not_import_each_other_in_a_circle():
    graph = grimp.build_graph("app")
    edges: dict[str, set] = {}
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            a, b = _part(module), _part(imported)
            if a != b and a.startswith("app.") and b.startswith("app."):
                edges.setdefault(a, set()).add(b)
    # Depth-first search for a back edge: any one found is a cycle between two parts.
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " → ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert "app.core" in edges and "app.modules.contracts" in edges      # the graph was read


def test_no_module_of_the_engine_security_or_a_business_module_imports_itself_back():
    """Inside the approval engine, security and each business module no two files import each
    other, directly or through others (the frame's own files are not held to this yet)."""
    graph = grimp.build_graph("app")
    checked = {m for m in graph.modules if m.startswith(("app.workflow", "app.security", "app.modules"))}
    for module in sorted(checked):
        for imported in graph.find_modules_directly_imported_by(module):
            if imported in checked and graph.chain_exists(importer=imported, imported=module):
                chain = graph.find_shortest_chain(importer=imported, imported=module)
                raise AssertionError(f"import cycle: {module} → " + " → ".join(chain))
