"""File helpers for the file-based adapters: atomic writes with adapter errors, and names that overwrite nothing."""

from __future__ import annotations

from pathlib import Path

from devface_core.atomic import write_atomically
from devface_core.errors import AdapterError


def atomic_write(path: Path, data: bytes, where: str) -> None:
    """Write bytes so readers see the old file or the new one, never a partial one; `where` names the adapter."""
    try:
        write_atomically(path, data)
    except OSError as exc:
        raise AdapterError(f"{where}: cannot write {path} ({exc.strerror})") from None


def unique_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/stem-N.suffix` with the first N that is free, so nothing is overwritten."""
    candidate = folder / name
    stem, suffix = candidate.stem, candidate.suffix
    number = 1
    while candidate.exists():
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
    return candidate
