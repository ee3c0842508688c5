"""Celery workers as real processes on the local Redis: three users' jobs all publish, and a job whose worker
is SIGKILLed mid-training is run to completion by a second worker, exactly once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.conftest import service_unavailable
from tests.helpers import images, pg
from tests.helpers.scripts import script

REDIS_URL = os.environ.get("DEVFACE_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
TINY = {"epochs": 1, "image_size": 16, "batch_size": 4, "z_dim": 8}
LIKE_COLOURS = [(200, 40, 40), (40, 200, 40), (40, 40, 200)]


@pytest.fixture
def broker(monkeypatch):
    """A dedicated Redis database, emptied before and after; the app the test sends tasks with."""
    try:
        import redis
    except ImportError as exc:
        service_unavailable(f"the queue extra (celery, redis) is not installed ({exc})")
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as exc:
        service_unavailable(f"Redis at {REDIS_URL}: {exc}")
    client.flushdb()
    monkeypatch.setenv("DEVFACE_BROKER_URL", REDIS_URL)
    # A dead worker's job comes back after 30 s. Longer than any test job (a few seconds, about 10 under load): Redis
    # hands out again a job still running past it, which once made the second worker run one twice.
    monkeypatch.setenv("DEVFACE_VISIBILITY_TIMEOUT", "30")
    from devface_adapters.tasks import make_app

    app = make_app()
    yield app
    client.flushdb()


@pytest.fixture
def likes(pg_dsn, pg_schema):
    """Three users with four liked images each in the deployed schema; the session DSN."""
    pg.create_deployed_tables(pg_dsn, pg_schema)
    for user_index, colour in enumerate(LIKE_COLOURS):
        for _ in range(4):
            pg.insert_like(pg_dsn, pg_schema, f"user{user_index}", pg_like(colour))
    return pg.dsn_with_search_path(pg_dsn, pg_schema)


def pg_like(colour) -> str:
    from devface_core.imaging import to_data_url

    return to_data_url(images.png(colour, (16, 16)))


class Worker:
    """`devface worker` in its own process group, its output in a file."""

    def __init__(self, name: str, dsn: str, log: Path):
        self.name, self.log = name, log
        env = {**os.environ, "DEVFACE_DATABASE_URL": dsn}
        with open(log, "w") as output:
            self.process = subprocess.Popen([script("devface"), "worker", "--hostname", name], env=env,
                                            stdout=output, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, app, seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if any(self.name in reply for reply in app.control.ping(timeout=0.5)):
                return  # the worker answered over the broker
            assert self.process.poll() is None, f"worker {self.name} exited:\n{self.log.read_text()}"
        raise AssertionError(f"worker {self.name} did not answer a ping:\n{self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL the worker and its pool processes: no chance to hand anything back."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        """Celery's warm shutdown: the main process finishes its pool's jobs and stops."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def succeeded(self, task_id: str) -> int:
        return sum(1 for line in self.log.read_text().splitlines() if f"[{task_id}] succeeded in" in line)


def send(app, user_id: str, sink: Path, config: dict, task_id: str | None = None):
    from devface_adapters.tasks import TASK_NAME

    return app.send_task(TASK_NAME, args=[user_id, "postgres", f"dir:{sink}", config], task_id=task_id)


def wait_for_state(channel, state: str, seconds: float, log: Path) -> None:
    """Block until the result backend publishes `state` on `channel` (a task's subscribed result channel)."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        message = channel.get_message(ignore_subscribe_messages=True, timeout=left)  # blocks; no polling sleep
        if message and json.loads(message["data"])["status"] == state:
            return
    raise AssertionError(f"the job never reached {state}:\n{log.read_text()}")


def test_a_worker_process_trains_three_users_and_each_face_is_published(broker, likes, tmp_path):
    worker = Worker("one@devface-test", likes, tmp_path / "one.log")
    try:
        worker.wait_ready(broker)
        results = [send(broker, f"user{i}", tmp_path / "faces", TINY) for i in range(3)]
        reports = [result.get(timeout=180) for result in results]
    finally:
        worker.stop()
    assert [report["user_id"] for report in reports] == ["user0", "user1", "user2"]
    assert all(report["images_used"] == 4 and report["worker"] == "one@devface-test" for report in reports)
    assert sorted(path.name for path in (tmp_path / "faces").glob("*.png")) == ["user0.png", "user1.png", "user2.png"]


def test_a_job_whose_worker_is_killed_completes_on_a_second_worker_exactly_once(broker, likes, tmp_path):
    first = Worker("first@devface-test", likes, tmp_path / "first.log")
    second = None
    try:
        first.wait_ready(broker)
        # Killed as soon as the job starts: the result backend publishes each state on the task's channel.
        # The worker imports TensorFlow only when the job trains (importing devface_core and the task module
        # does not), which takes seconds, so one second of training is enough to be sure the kill comes
        # first, and keeps the second worker's run short.
        import redis

        task_id = str(uuid.uuid4())
        with redis.Redis.from_url(REDIS_URL).pubsub() as channel:
            channel.subscribe(f"celery-task-meta-{task_id}")
            confirmed = channel.get_message(timeout=10)  # the server has subscribed us: no state can be missed
            assert confirmed and confirmed["type"] == "subscribe"
            result = send(broker, "user1", tmp_path / "faces", {**TINY, "epochs": 100_000, "max_seconds": 1},
                          task_id)
            wait_for_state(channel, "STARTED", 60, first.log)  # the first worker has taken the job
        first.kill()
        assert not (tmp_path / "faces" / "user1.png").exists()
        second = Worker("second@devface-test", likes, tmp_path / "second.log")
        report = result.get(timeout=180)
    finally:
        first.stop()
        if second is not None:
            second.stop()
    assert report["worker"] == "second@devface-test" and report["user_id"] == "user1"
    assert first.succeeded(result.id) == 0 and second.succeeded(result.id) == 1
    assert sorted(path.name for path in (tmp_path / "faces").glob("*.png")) == ["user1.png"]
