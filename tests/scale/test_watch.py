"""`devface watch` against a real PostgreSQL: the trigger, debouncing into one job per user, never two jobs at
once for a user, and a dropped LISTEN connection whose lost notifications the catch-up scan recovers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading

import attrs
import pytest
from click.testing import CliRunner
from psycopg2 import sql

from devface_adapters.cli import main
from devface_adapters.memory import MemoryAdapter
from devface_adapters.postgres import PostgresAdapter
from devface_adapters.watch import LocalQueue, WatchSettings, Watcher
from devface_core.imaging import to_data_url
from devface_core.pipeline import run_pretraining
from tests.helpers import images, pg
from tests.helpers.scripts import script

LIKE = to_data_url(images.png((200, 40, 40), (16, 16)))


class ManualClock:
    """The watcher's clock, moved by the test: quiet periods pass without waiting for them."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def database(pg_dsn, pg_schema):
    """The deployed tables with the notify trigger (installed twice: it must be idempotent)."""
    pg.create_deployed_tables(pg_dsn, pg_schema)
    dsn = pg.dsn_with_search_path(pg_dsn, pg_schema)
    for _ in range(2):
        result = CliRunner().invoke(main, ["db", "init", "--with-trigger"], env={"DEVFACE_DATABASE_URL": dsn})
        assert result.exit_code == 0, result.output
    return dsn


def insert(dsn: str, user_id: str, count: int) -> None:
    for _ in range(count):  # one transaction each, as the swipe app inserts
        pg.execute(dsn, "INSERT INTO tbl_save_image (user_id, image) VALUES (%s, %s)", (user_id, LIKE))


def insert_at_once(dsn: str, user_id: str, count: int) -> None:
    """`count` likes in one transaction: a burst whose likes all arrive within any quiet period, however
    slowly a loaded machine opens connections."""
    pg.execute(dsn, "INSERT INTO tbl_save_image (user_id, image) SELECT %s, %s FROM generate_series(1, %s)",
               (user_id, LIKE, count))


def watcher_with(dsn: str, run_job, quiet: float = 5.0) -> tuple[Watcher, LocalQueue, ManualClock]:
    clock, queue = ManualClock(), LocalQueue(run_job)
    watcher = Watcher(PostgresAdapter(dsn=dsn), queue, WatchSettings(quiet_seconds=quiet, scan_seconds=3600), clock)
    watcher.start()
    return watcher, queue, clock


def receive(watcher: Watcher, notifications: int) -> None:
    for _ in range(50):
        if watcher.notifications_received >= notifications:
            return
        watcher.step(2.0)  # returns as soon as a notification arrives
    raise AssertionError(f"only {watcher.notifications_received} of {notifications} notifications arrived")


def test_the_trigger_notifies_the_user_id_once_per_insert_and_init_is_idempotent(database):
    triggers = pg.execute(database, "SELECT count(*) FROM pg_trigger WHERE tgname = 'tbl_save_image_devface_notify' "
                          "AND tgrelid = 'tbl_save_image'::regclass", fetch=True)
    assert triggers == [(1,)]
    listener = PostgresAdapter(dsn=database).listen()
    try:
        insert(database, "ann", 2)
        received = []
        for _ in range(20):
            if len(received) >= 2:
                break
            received += listener.wait(2.0)  # returns as soon as a notification arrives
        assert received == ["ann", "ann"]
    finally:
        listener.close()


def test_five_likes_in_a_burst_become_exactly_one_job(database):
    trained = []
    watcher, queue, clock = watcher_with(database, trained.append)
    insert(database, "bob", 5)
    receive(watcher, 5)
    assert watcher.submitted == []  # still inside the quiet period
    clock.now += 6
    watcher.step(0.0)
    queue.wait("bob", timeout=30)
    for _ in range(3):
        clock.now += 60
        watcher.step(0.1)
    watcher.close()
    assert trained == ["bob"]
    assert [(job.user_id, job.new_likes) for job in watcher.submitted] == [("bob", 5)]


def test_likes_during_a_running_job_wait_for_it_and_then_get_their_own_job(database):
    release, trained = threading.Event(), []
    watcher, queue, clock = watcher_with(database, lambda user: (trained.append(user), release.wait(30)))
    insert(database, "cid", 1)
    receive(watcher, 1)
    clock.now += 6
    watcher.step(0.0)
    insert(database, "cid", 2)
    receive(watcher, 3)
    clock.now += 6
    watcher.step(0.0)
    assert len(watcher.submitted) == 1  # the first job still runs: no second one beside it
    release.set()
    queue.wait("cid", timeout=30)
    watcher.step(0.0)
    queue.close()
    watcher.close()
    assert [(job.user_id, job.new_likes) for job in watcher.submitted] == [("cid", 1), ("cid", 2)]
    assert trained == ["cid", "cid"]


def test_likes_sent_while_the_listen_connection_is_down_are_found_by_the_catch_up_scan(database):
    trained = []
    watcher, queue, clock = watcher_with(database, trained.append, quiet=1.0)
    terminated = pg.execute(database, sql.SQL(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE 'LISTEN%' "
        "AND pid <> pg_backend_pid() AND datname = current_database()"), fetch=True)
    assert terminated and all(ok for (ok,) in terminated)
    for _ in range(20):  # until the watcher notices the connection is gone
        watcher.step(1.0)
        if watcher._listener is None:
            break
    assert watcher._listener is None
    insert(database, "dee", 2)  # notified to nobody: the listener is disconnected
    watcher.step(0.0)  # reconnects and scans
    clock.now += 2
    watcher.step(0.0)
    queue.close()
    watcher.close()
    assert watcher.notifications_received == 0
    assert [(job.user_id, job.new_likes) for job in watcher.submitted] == [("dee", 2)]
    assert trained == ["dee"]


def test_devface_watch_command_draws_from_the_likes_codes_and_publishes_once_for_a_burst(database, tiny_config,
                                                                                          tmp_path):
    crowd = MemoryAdapter(space="watch-latent-base")
    for index in range(4):
        crowd.add("crowd", images.face_like(index, 16), f"{index}.png")
    run_pretraining(crowd, ["crowd"], attrs.evolve(tiny_config, epochs=1, encoder_steps=4, adapt_steps=2), tmp_path / "base")
    env = {**os.environ, "DEVFACE_DATABASE_URL": database}
    command = [script("devface"), "watch", "--sink", f"dir:{tmp_path}", "--quiet-seconds", "1", "--json",
               "--init-from", str(tmp_path / "base"), "--latent-refine-steps", "3", "--batch-size", "4"]
    watch = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        for line in watch.stderr:  # ready once it says it is watching
            if "watching" in line:
                break
        insert_at_once(database, "eve", 5)
        report = json.loads(watch.stdout.readline())  # the local queue prints each run's report
        assert report["user_id"] == "eve" and report["images_used"] == 5
        # The base has an encoder, so the job is personalize latent's draw: no GAN trained for the user.
        assert report["personalization"] == "latent" and report["steps"] == 0
        watch.send_signal(signal.SIGTERM)
        summary = json.loads(watch.stdout.readline())
        assert watch.wait(timeout=60) == 0
    finally:
        watch.kill()
    assert [(job["user_id"], job["new_likes"]) for job in summary["jobs"]] == [("eve", 5)]
    assert (tmp_path / "eve.png").exists()
