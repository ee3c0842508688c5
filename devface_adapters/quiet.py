"""Keep TensorFlow's native start-up chatter (written by C++ straight to fd 2) off the user's terminal.

TensorFlow 2.2x logs through absl before any setting can silence it, so the CLI points fd 2 at
/dev/null while it works and gives Python's `sys.stderr` a private copy of the real stderr.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator


@contextlib.contextmanager
def native_stderr_silenced(enabled: bool = True) -> Iterator[None]:
    """Silence writes to fd 2 from native code; Python's sys.stderr keeps reaching the real stderr."""
    if not enabled or not _is_process_stderr(sys.stderr):
        yield
        return
    sys.stderr.flush()
    saved_fd = os.dup(2)
    python_stderr = sys.stderr
    sys.stderr = os.fdopen(os.dup(saved_fd), "w", buffering=1, encoding=python_stderr.encoding, errors="replace")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        sys.stderr.flush()
        sys.stderr.close()
        sys.stderr = python_stderr
        os.dup2(saved_fd, 2)
        os.close(saved_fd)


def _is_process_stderr(stream) -> bool:
    """Only the real fd 2 needs the swap; a captured stream (tests, embedding) is left alone."""
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False
