"""Stopping a long command gently: the first SIGINT or SIGTERM asks the run to finish its current steps and
save what it has (a pretraining saves its base); a second SIGINT interrupts at once."""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
from typing import Iterator

logger = logging.getLogger("devface")
SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def stop_on_signals() -> Iterator[threading.Event]:
    """An Event set by the first SIGINT/SIGTERM while the block runs; the signals' handlers restored after."""
    stop, wake, received = threading.Event(), threading.Event(), []

    def ask_to_stop(signum, frame):
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt  # asked twice: the operator wants out now
        received.append(signal.Signals(signum).name)
        stop.set()
        wake.set()

    def announce():
        # Said from a thread of its own: a handler that wrote to stderr could interrupt the main thread's own
        # write to it, and Python refuses such a reentrant write (it once ate this very line).
        wake.wait()
        if received:
            logger.warning("%s: stopping after the current steps and saving (SIGINT again to interrupt at once)",
                           received[0])

    if threading.current_thread() is not threading.main_thread():
        yield stop  # only the main thread may handle signals (an embedding caller keeps its own)
        return
    previous = {signum: signal.signal(signum, ask_to_stop) for signum in SIGNALS}
    announcer = threading.Thread(target=announce, name="devface-stop", daemon=True)
    announcer.start()
    try:
        yield stop
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        wake.set()
        announcer.join()
