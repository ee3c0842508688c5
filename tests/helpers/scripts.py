"""Console scripts of the installed package, found beside the running interpreter (works without activating a venv)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path


def script(name: str) -> str:
    """Path of an installed console script such as `devface-run`."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else (shutil.which(name) or name)
