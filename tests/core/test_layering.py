"""The core stays pure: no storage, CLI or plugin library is imported by any devface_core module."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import devface_core

FORBIDDEN = {"psycopg2", "boto3", "botocore", "click", "pluggy", "devface_adapters"}
CORE = Path(devface_core.__file__).parent


def imported_modules(path: Path) -> set[str]:
    """Top-level names of every module a file imports."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_no_core_module_imports_an_io_library():
    offenders = {
        str(path.relative_to(CORE)): sorted(imported_modules(path) & FORBIDDEN) for path in CORE.rglob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_importing_the_core_loads_no_io_library_nor_tensorflow():
    code = "import sys, devface_core; print(' '.join(sorted(sys.modules)))"
    loaded = set(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split())
    assert not {name for name in loaded if name.split(".")[0] in FORBIDDEN | {"tensorflow"}}


def test_the_checker_would_catch_a_forbidden_import(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from psycopg2 import sql\nimport click\n")
    assert imported_modules(bad) & FORBIDDEN == {"psycopg2", "click"}
