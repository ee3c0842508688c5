"""File helpers for the file-based adapters: atomic writes with adapter errors, and names that overwrite nothing."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from devface_core.atomic import remove_abandoned_temporaries, write_all_atomically, write_atomically
from devface_core.errors import AdapterError


def check_writable_folder(folder: Path, where: str) -> None:
    """AdapterError unless `folder` is writable, or could be created in a writable folder: asked before
    training, so a face is never drawn for a place it cannot be written to. Leaves nothing: a run that fails
    later (an unknown user, a corrupt like) finds no empty folder behind; publishing makes it."""
    existing = folder
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise AdapterError(f"{where}: cannot create the folder ({existing} is not a folder)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise AdapterError(f"{where}: {existing} is not writable")
    _probe_writing(existing, where)


def _probe_writing(folder: Path, where: str) -> None:
    """Create and remove a file in `folder`: permission bits let root pass everywhere, also where no file can
    be created (/proc, /sys)."""
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=f".devface-probe.{os.getpid()}.", suffix=".tmp")
    except OSError as exc:
        failure = f"creating a file there failed: {exc.strerror}"
        raise AdapterError(f"{where}: {folder} is not writable ({failure})") from None
    os.close(handle)
    os.unlink(name)


def atomic_write(path: Path, data: bytes, where: str) -> None:
    """Write bytes so readers see the old file or the new one, never a partial one; `where` names the adapter.
    Temporaries a killed writer left beside the file are removed first."""
    remove_abandoned_temporaries(path)
    try:
        write_atomically(path, data)
    except OSError as exc:
        raise AdapterError(f"{where}: cannot write {path} ({exc.strerror})") from None


def atomic_write_all(files: list[tuple[Path, bytes]], where: str) -> None:
    """Write several files so a failure changes none of them; renamed in order, the last makes them current.
    Temporaries a killed writer left beside them are removed first."""
    for path, _ in files:
        remove_abandoned_temporaries(path)
    try:
        write_all_atomically(files)
    except OSError as exc:
        raise AdapterError(f"{where}: cannot write {files[-1][0]} ({exc.strerror})") from None


def unique_path(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/stem-N.suffix` with the first N that is free, so nothing is overwritten."""
    candidate = folder / name
    stem, suffix = candidate.stem, candidate.suffix
    number = 1
    while candidate.exists():
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
    return candidate
