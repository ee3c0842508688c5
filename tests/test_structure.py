"""The layout stays navigable: no import cycle in the core, no module over 250 lines, no function over 40."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("devface_core", "devface_adapters", "benchmarks", "examples", "scripts", "tests")
MAX_MODULE_LINES = 250
MAX_FUNCTION_LINES = 40


def module_name(path: Path, root: Path) -> str:
    """Dotted module name of a file under root (a package's __init__ is the package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    """Module → the package's modules it imports anywhere in its code (at the top or inside a function)."""
    files = {module_name(path, root): path for path in (root / package).rglob("*.py")}
    graph = {}
    for name, path in files.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:  # `from pkg import submodule` imports the submodule
                    submodule = f"{node.module}.{alias.name}"
                    targets.add(submodule if submodule in files else node.module)
        graph[name] = {target for target in targets if target in files and target != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first repeated last), or None."""
    state: dict[str, str] = {}

    def visit(module: str, trail: list[str]) -> list[str] | None:
        state[module] = "open"
        for target in sorted(graph[module]):
            if state.get(target) == "open":
                return trail[trail.index(target):] + [target]
            if target not in state and (cycle := visit(target, trail + [target])):
                return cycle
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state and (cycle := visit(module, [module])):
            return cycle
    return None


def python_files():
    """Every Python file of the project's own packages."""
    return [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def long_functions(path: Path, root: Path = ROOT) -> list[str]:
    """`file:function (N lines)` for each function longer than MAX_FUNCTION_LINES."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{path.relative_to(root)}:{node.name} ({length} lines)")
    return found


def test_the_core_has_no_import_cycle():
    assert find_cycle(import_graph(ROOT, "devface_core")) is None


def test_the_adapters_have_no_import_cycle():
    assert find_cycle(import_graph(ROOT, "devface_adapters")) is None


def test_the_cycle_finder_finds_a_cycle_through_a_function_level_import(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from pkg import b\n")
    (package / "b.py").write_text("def late():\n    from pkg.c import thing\n")
    (package / "c.py").write_text("import pkg.a\nthing = 1\n")
    assert find_cycle(import_graph(tmp_path, "pkg")) == ["pkg.a", "pkg.b", "pkg.c", "pkg.a"]


def test_no_module_is_over_250_lines():
    lengths = {str(path.relative_to(ROOT)): len(path.read_text().splitlines()) for path in python_files()}
    assert {name: length for name, length in lengths.items() if length > MAX_MODULE_LINES} == {}


def test_no_function_is_over_40_lines():
    assert [found for path in python_files() for found in long_functions(path)] == []


def test_the_length_check_would_catch_a_long_function(tmp_path):
    long_one = tmp_path / "long.py"
    long_one.write_text("def short():\n    pass\n\n\ndef long():\n" + "    x = 1\n" * 45)
    assert long_functions(long_one, tmp_path) == ["long.py:long (46 lines)"]
