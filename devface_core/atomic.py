"""Write files so that readers, and a process killed mid-write, see the old file or the new one, never half.

Temporary files are hidden beside their target and carry the writer's process id, so a later writer can
tell one left by a killed process (removed) from one a live process is still writing (kept).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, data: bytes) -> None:
    """Write `data` to a hidden temporary file beside `path`, fsync it, then rename it over `path`."""
    write_all_atomically([(path, data)])


def write_all_atomically(files: list[tuple[Path, bytes]]) -> None:
    """Write every file to its temporary first (so a full disk changes nothing), then rename them in the
    order given: the last one named is the one that makes the set current (a published face goes last)."""
    temporaries: list[str] = []
    try:
        for path, data in files:
            temporaries.append(_written_temporary(path, data))
        for (path, _), temporary in zip(files, temporaries):
            os.replace(temporary, path)
    except BaseException:
        for temporary in temporaries:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
        raise


def _written_temporary(path: Path, data: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as temp:
            temp.write(data)
            temp.flush()
            os.fsync(temp.fileno())
        os.chmod(temp_name, 0o644)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp_name)
        raise
    return temp_name


def remove_abandoned_temporaries(path: Path) -> list[Path]:
    """Remove the temporaries beside `path` whose writing process no longer exists; return them."""
    removed = []
    for temporary in path.parent.glob(f".{glob_escape(path.name)}.*.tmp"):
        writer = temporary.name[len(path.name) + 2:].split(".", 1)[0]
        if not writer.isdigit() or not _alive(int(writer)):
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
                removed.append(temporary)
    return removed


def glob_escape(name: str) -> str:
    """A file name with glob's special characters taken literally."""
    return "".join(f"[{char}]" if char in "*?[" else char for char in name)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
