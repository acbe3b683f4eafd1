"""The import contracts in pyproject.toml ([tool.importlinter]) hold: the layers, decisions pure, db free of
features, the simulator apart from the server's views; and no module imports in a circle or inside a function."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = str(Path(sys.executable).with_name("lint-imports"))
PACKAGES = ("ivr", "routing", "callbacks", "contacts", "db", "schools", "simulator", "staff", "trials")


def test_every_import_contract_is_kept():
    result = subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_the_decisions_load_without_the_orm():
    code = "import sys, routing.menu, routing.transfer, routing.identify; print('sqlmodel' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False", result.stderr


def import_cycles(graph) -> list[list[str]]:
    """Groups of modules that import each other, directly or round a circle (Tarjan's components)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 5000))
    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_two_modules_import_each_other_even_round_a_circle():
    graph = grimp.build_graph(*PACKAGES, cache_dir=None, exclude_type_checking_imports=True)
    assert import_cycles(graph) == []


def test_the_cycle_finder_sees_a_circle():
    class Graph:
        modules = {"a", "b", "c"}
        edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}}

        def find_modules_directly_imported_by(self, module):
            return self.edges[module]

    assert import_cycles(Graph()) == [["a", "b", "c"]]


def function_level_imports(path: Path) -> list[str]:
    """Imports written inside a function or method: each could hide a circle."""
    tree = ast.parse(path.read_text(), str(path))
    hidden = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            hidden += [f"{path.relative_to(ROOT)}:{inner.lineno}" for inner in ast.walk(node)
                       if isinstance(inner, (ast.Import, ast.ImportFrom))]
    return hidden


def test_no_module_hides_an_import_inside_a_function():
    hidden = [where for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))
              if "migrations" not in path.parts for where in function_level_imports(path)]
    assert hidden == []
