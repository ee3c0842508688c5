"""`devface watch`: new likes in PostgreSQL become one training job per user, once the user goes quiet.

The trigger that `devface db init --with-trigger` installs sends `pg_notify('devface_likes', user_id)` for
every insert; the watcher LISTENs for those to react at once. Notifications are not stored: any sent while
the connection is down are gone, so a catch-up scan (each user's newest like id against the newest one
already trained) runs every `scan_seconds` and right after every reconnect. A user is submitted once no new
like has arrived for `quiet_seconds` and at least `min_likes` are untrained, and never while a job for that
user is still queued or running: likes that arrive meanwhile wait for the next job.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from typing import Callable, Protocol

import attrs

from devface_core.errors import DevfaceError

logger = logging.getLogger(__name__)


@attrs.frozen
class WatchSettings:
    """How long a user must be quiet, how many new likes a job needs, how often to catch up."""

    quiet_seconds: float = 10.0
    min_likes: int = 1
    scan_seconds: float = 60.0
    reconnect_seconds: float = 2.0


class JobQueue(Protocol):
    """Where the watcher sends a user's training job."""

    def submit(self, user_id: str) -> None:
        """Queue one training job for the user."""

    def busy(self, user_id: str) -> bool:
        """Whether a job for the user is still queued or running."""


class LikesListener(Protocol):
    """A live subscription to new likes."""

    def wait(self, timeout: float) -> list[str]:
        """The user ids of likes notified within `timeout` s; DevfaceError when the subscription is lost."""

    def close(self) -> None:
        """End the subscription."""


class LikesFeed(Protocol):
    """What the watcher needs from a likes store (the postgres adapter provides it: pgwatch.py)."""

    def listen(self) -> LikesListener:
        """Subscribe to new likes."""

    def latest_like_ids(self) -> dict[str, int]:
        """Each user's newest like id."""

    def likes_after(self, user_id: str, after_id: int) -> tuple[int, int]:
        """(count of the user's likes with id > after_id, the newest id)."""


@attrs.frozen
class SubmittedJob:
    """One job the watcher queued: the user, how many new likes it covers, the newest like id in it."""

    user_id: str
    new_likes: int
    up_to_id: int


class Watcher:
    """Turns notifications and catch-up scans into debounced per-user jobs (drive it with `step` or `run`)."""

    def __init__(self, feed: LikesFeed, queue: JobQueue, settings: WatchSettings,
                 clock: Callable[[], float] = time.monotonic):
        self.feed, self.queue, self.settings, self.clock = feed, queue, settings, clock
        self.trained_up_to: dict[str, int] = {}  # per user, the newest like id some job already covers
        self.pending: dict[str, float] = {}  # users with untrained likes → when their last like was seen
        self.submitted: list[SubmittedJob] = []
        self.notifications_received = 0
        self._listener = None
        self._next_scan = 0.0
        self._stop = threading.Event()

    def start(self) -> None:
        """Start listening, then treat every like already stored as handled."""
        # LISTEN first: a like stored after the snapshot below is then always notified, never taken as handled.
        self._connect()
        self.trained_up_to = self.feed.latest_like_ids()
        self._next_scan = self.clock() + self.settings.scan_seconds

    def run(self) -> None:
        """Start, then step until `stop()` is called."""
        self.start()
        self.serve()

    def serve(self) -> None:
        """Step until `stop()` is called (after `start`)."""
        wait = min(1.0, self.settings.quiet_seconds or 1.0, self.settings.scan_seconds)
        while not self._stop.is_set():
            self.step(wait)
        self.close()

    def stop(self) -> None:
        """Make `run` or `serve` return after its current step (safe from a signal handler or another thread)."""
        self._stop.set()

    def close(self) -> None:
        """End the subscription to new likes."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    def step(self, timeout: float) -> None:
        """Wait up to `timeout` s for notifications, catch up if due, then submit the users that are ready."""
        self._receive(timeout)
        if self.clock() >= self._next_scan:
            self.catch_up()
        self._submit_ready()

    def catch_up(self) -> None:
        """Find users with likes newer than their last job, whether or not a notification said so."""
        now = self.clock()
        for user_id, newest in self.feed.latest_like_ids().items():
            if newest > self.trained_up_to.get(user_id, 0) and user_id not in self.pending:
                logger.info("catch-up scan: user %r has untrained likes", user_id)
                self.pending[user_id] = now
        self._next_scan = now + self.settings.scan_seconds

    def _connect(self) -> bool:
        try:
            self._listener = self.feed.listen()
            return True
        except DevfaceError as exc:
            logger.warning("cannot listen for likes (%s); retrying in %.0f s", exc, self.settings.reconnect_seconds)
            self._stop.wait(self.settings.reconnect_seconds)
            return False

    def _receive(self, timeout: float) -> None:
        if self._listener is None:
            if not self._connect():
                return
            self._next_scan = 0.0  # whatever was notified while disconnected is found by a scan now
        try:
            for user_id in self._listener.wait(timeout):
                self._saw(user_id)
        except DevfaceError as exc:
            logger.warning("lost the LISTEN connection (%s); reconnecting and catching up", exc)
            self.close()

    def _saw(self, user_id: str) -> None:
        self.notifications_received += 1
        self.pending[user_id] = self.clock()  # debounce: the quiet period counts from the latest like

    def _submit_ready(self) -> None:
        now = self.clock()
        for user_id, last_seen in list(self.pending.items()):
            if now - last_seen < self.settings.quiet_seconds or self.queue.busy(user_id):
                continue
            count, newest = self.feed.likes_after(user_id, self.trained_up_to.get(user_id, 0))
            if count == 0:
                del self.pending[user_id]  # a notification for likes a job already covered
            elif count < self.settings.min_likes:
                self.pending[user_id] = now  # look again after another quiet period
            else:
                self.queue.submit(user_id)
                self.trained_up_to[user_id] = newest
                del self.pending[user_id]
                self.submitted.append(SubmittedJob(user_id, count, newest))
                logger.info("queued training for user %r (%d new likes, up to id %d)", user_id, count, newest)


class LocalQueue:
    """Jobs run one at a time on a thread of this process (`--queue local`): no broker needed."""

    def __init__(self, run_job: Callable[[str], object]):
        self._run_job = run_job
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="devface-job")
        self._jobs: dict[str, Future] = {}

    def submit(self, user_id: str) -> None:
        """Queue the user's job behind any others."""
        self._jobs[user_id] = self._pool.submit(self._logged, user_id)

    def busy(self, user_id: str) -> bool:
        """Whether the user's last job has not finished."""
        job = self._jobs.get(user_id)
        return job is not None and not job.done()

    def wait(self, user_id: str, timeout: float | None = None) -> None:
        """Block until the user's last job has finished (or `timeout` seconds pass)."""
        job = self._jobs.get(user_id)
        if job is not None:
            futures_wait([job], timeout)

    def close(self) -> None:
        """Wait for queued jobs to finish."""
        self._pool.shutdown(wait=True)

    def _logged(self, user_id: str) -> None:
        try:
            self._run_job(user_id)
        except DevfaceError as exc:  # one user's bad data must not stop the watcher
            logger.error("training user %r failed: %s", user_id, exc)
        except Exception:
            logger.exception("training user %r failed unexpectedly", user_id)
