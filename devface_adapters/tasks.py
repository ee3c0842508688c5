"""The Celery application: `devface.train_user` runs the pipeline for one user on whichever worker takes it.

Needs the `queue` extra (celery, redis). The broker (and result backend) is DEVFACE_BROKER_URL, default
redis://127.0.0.1:6379/0. A job is acknowledged only after it finishes (`acks_late`), and a job whose
worker process dies is handed back to the broker (`reject_on_worker_lost`), so another worker runs it.
With Redis, a message taken by a worker that died entirely comes back after the visibility timeout
(DEVFACE_VISIBILITY_TIMEOUT seconds, default 7200): it must be longer than the longest job, or a job still
running would be handed to a second worker too.
"""

from __future__ import annotations

import functools
import os

from celery import Celery

from devface_core import load_config, run_pipeline

BROKER_VARIABLE = "DEVFACE_BROKER_URL"
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
VISIBILITY_VARIABLE = "DEVFACE_VISIBILITY_TIMEOUT"
TASK_NAME = "devface.train_user"


def broker_url() -> str:
    """The broker URL from the environment, or the local Redis."""
    return os.environ.get(BROKER_VARIABLE) or DEFAULT_BROKER


def make_app() -> Celery:
    """A Celery app on the configured broker, with the delivery guarantees devface relies on."""
    visibility = int(float(os.environ.get(VISIBILITY_VARIABLE) or 7200))
    app = Celery("devface", broker=broker_url(), backend=broker_url())
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        task_track_started=True,  # the watcher and tests can tell queued from running
        worker_prefetch_multiplier=1,  # a training job fills a machine: take one at a time
        task_serializer="json", result_serializer="json", accept_content=["json"],
        result_expires=7 * 24 * 3600,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": visibility,
            # look for messages of dead workers every few seconds, not every 100 s (kombu's default)
            "unacked_restore_interval": max(1, min(10, visibility // 4)),
            "unacked_restore_throttle": 1,
        },
    )
    app.task(name=TASK_NAME, bind=True)(train_user)
    return app


def train_user(task, user_id: str, source_spec: str, sink_spec: str, config: dict | None = None,
               source_options: dict | None = None, sink_options: dict | None = None) -> dict:
    """Train one user's face from `source_spec` and publish it to `sink_spec`; the RunReport as a dict."""
    from devface_adapters.registry import get_registry

    registry = get_registry()
    source = registry.resolve(source_spec, dict(source_options or {}), role="source")
    sink = registry.resolve(sink_spec, dict(sink_options or {}), role="sink")
    report = run_pipeline(source, sink, user_id, load_config(overrides=config or {}))
    return {**report.to_dict(), "worker": task.request.hostname}


@functools.cache
def get_app() -> Celery:
    """The process's Celery app, built on first use (importing this module connects to nothing)."""
    return make_app()


def __getattr__(name: str):
    # `celery -A devface_adapters.tasks` looks up the module's `app`: built then, not at import.
    if name == "app":
        return get_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class CeleryQueue:
    """The watcher's `--queue celery`: each job is a `devface.train_user` task for any worker to take."""

    def __init__(self, source_spec: str, sink_spec: str, config: dict, source_options: dict | None = None,
                 sink_options: dict | None = None):
        self._arguments = (source_spec, sink_spec, config, source_options or {}, sink_options or {})
        self._results: dict = {}

    def submit(self, user_id: str) -> None:
        """Send the user's job to the broker."""
        self._results[user_id] = get_app().send_task(TASK_NAME, args=[user_id, *self._arguments])

    def busy(self, user_id: str) -> bool:
        """Whether the user's last job has neither succeeded nor failed yet."""
        result = self._results.get(user_id)
        return result is not None and not result.ready()
