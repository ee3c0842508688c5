"""TensorFlow's native log lines (C++ writing straight to fd 2) kept off the caller's stderr, not lost.

TensorFlow 2.2x prints start-up and optimizer lines through absl before any setting can silence them
(`TF_CPP_MIN_LOG_LEVEL=3` still lets "All log messages before absl::InitializeLog()…" and its I0000 lines
through). While devface trains, fd 2 points at a temporary file and Python's `sys.stderr` at a copy of the
real stderr, so Python's own messages still show. What native code wrote is replayed on the real stderr
when the work fails unexpectedly (not on a DevfaceError, which says what went wrong in one line), logged
at DEBUG on `devface_core.native` otherwise (a hard abort of the process still loses it: use -vv), and shown as it happens when
`show_native_output(True)` was called (the commands' `-vv`). Nested and concurrent uses (users trained in
threads) share one capture: the first to enter starts it, the last to leave ends it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import tempfile
import threading
from typing import Iterator

from devface_core.errors import DevfaceError

logger = logging.getLogger("devface_core.native")
_lock = threading.Lock()
_capture: dict = {"depth": 0, "failed": False}
_settings = {"show": False}


def show_native_output(show: bool) -> None:
    """Let native output through as it is written (True) instead of capturing it (the default)."""
    _settings["show"] = show


@contextlib.contextmanager
def native_output_captured() -> Iterator[None]:
    """Capture fd 2 while the block runs (see the module's docstring); a no-op when stderr is not fd 2."""
    with _lock:
        if _capture["depth"] == 0 and (_settings["show"] or not _is_process_stderr(sys.stderr)):
            active = False
        else:
            active = True
            if _capture["depth"] == 0:
                _start()
            _capture["depth"] += 1
    if not active:
        yield
        return
    try:
        yield
    except DevfaceError:
        raise  # an expected failure has its own one-line message; TensorFlow's chatter would only bury it
    except Exception:
        _capture["failed"] = True
        raise
    finally:
        with _lock:
            _capture["depth"] -= 1
            if _capture["depth"] == 0:
                _stop()


def _start() -> None:
    sys.stderr.flush()
    _capture["saved_fd"] = os.dup(2)
    _capture["python_stderr"] = sys.stderr
    sys.stderr = os.fdopen(os.dup(_capture["saved_fd"]), "w", buffering=1, encoding=sys.stderr.encoding,
                           errors="replace")
    _capture["file"] = tempfile.TemporaryFile()
    os.dup2(_capture["file"].fileno(), 2)
    _capture["failed"] = False


def _stop() -> None:
    sys.stderr.flush()
    sys.stderr.close()
    sys.stderr = _capture.pop("python_stderr")
    os.dup2(_capture["saved_fd"], 2)
    os.close(_capture.pop("saved_fd"))
    captured = _capture.pop("file")
    captured.seek(0)
    text = captured.read().decode("utf-8", "replace")
    captured.close()
    if text and _capture["failed"]:
        sys.stderr.write(text)  # the run failed: what native code said may be why
    elif text:
        logger.debug("TensorFlow's native output:\n%s", text.rstrip())


def _is_process_stderr(stream) -> bool:
    """Only the real fd 2 needs the swap; a captured stream (tests, an embedding app's) is left alone."""
    try:
        return stream.fileno() == 2
    except (AttributeError, OSError, ValueError):
        return False
