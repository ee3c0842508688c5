"""Atomic file writes for the file-based adapters: a temporary file in the same folder, then os.replace."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from devface_core.errors import AdapterError


def atomic_write(path: Path, data: bytes, where: str) -> None:
    """Write bytes so readers see the old file or the new one, never a partial one; `where` names the adapter."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise AdapterError(f"{where}: cannot write {path} ({exc.strerror})") from None
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, 0o644)
        os.replace(temp_name, path)
    except OSError as exc:
        _discard(temp_name)
        raise AdapterError(f"{where}: cannot write {path} ({exc.strerror})") from None
    except BaseException:
        _discard(temp_name)
        raise


def _discard(temp_name: str) -> None:
    try:
        os.unlink(temp_name)
    except FileNotFoundError:
        pass


def unique_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/stem-N.suffix` with the first N that is free, so nothing is overwritten."""
    candidate = folder / name
    stem, suffix = candidate.stem, candidate.suffix
    number = 1
    while candidate.exists():
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
    return candidate
