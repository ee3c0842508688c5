"""Shared fixtures: a tiny training config, image factories, and the rule for tests that need a service."""

from __future__ import annotations

import os

import pytest

from devface_core import Config
from devface_core.gan import use_onednn_kernels

IN_CI = bool(os.environ.get("CI"))

# pytest-xdist runs one worker per core, and TensorFlow gives each process thread pools as wide as the
# machine, so on 2 cores 2 workers ran 4+ busy threads: one thread each took a set of training tests from
# 152 s to 119 s. Set before any test imports TensorFlow; the commands tests start inherit it.
for _pool in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(_pool, "1")
use_onednn_kernels()  # TensorFlow's CPU kernels as the product picks them, before a test file loads TensorFlow


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `long` go first, so their files are handed out first (pyproject's loadfile in collection
    order): a process that picks up the minutes-long crash test last would finish alone, minutes late."""
    items.sort(key=lambda item: item.get_closest_marker("long") is None)


@pytest.fixture
def tiny_config() -> Config:
    """Trains in seconds: 16×16 (a third less tracing than 32×32), a tiny noise vector, two epochs, a
    snapshot every 3 steps (an epoch of 9 to 12 images), and no encoder after pretraining."""
    return Config(epochs=2, batch_size=4, image_size=16, z_dim=8, sample_every=3, samples_per_snapshot=2, encoder_steps=0,
                  upscaler_steps=0)


@pytest.fixture
def environment():
    """os.environ, restored after the test: the commands apply a .env file to it, as they must."""
    saved = dict(os.environ)
    yield os.environ
    os.environ.clear()
    os.environ.update(saved)


def service_unavailable(reason: str) -> None:
    """In CI a missing service fails the test; elsewhere it skips, saying why."""
    if IN_CI:
        pytest.fail(f"required service unavailable in CI: {reason}")
    print(f"skipping: {reason}")
    pytest.skip(reason)


TEST_DSN = os.environ.get("DEVFACE_TEST_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.fixture(scope="session")
def pg_dsn() -> str:
    """A reachable PostgreSQL server (DEVFACE_TEST_DSN); missing is a failure in CI, a skip elsewhere."""
    import psycopg2

    from devface_adapters.pgconnect import connection_target

    try:
        psycopg2.connect(TEST_DSN, connect_timeout=5).close()
    except psycopg2.Error as exc:
        service_unavailable(f"PostgreSQL at {connection_target(TEST_DSN)}: {str(exc).strip()}")
    return TEST_DSN


@pytest.fixture
def pg_schema(pg_dsn):
    """A fresh schema for one test, dropped afterwards."""
    from tests.helpers import pg

    name = pg.create_schema(pg_dsn)
    yield name
    pg.drop_schema(pg_dsn, name)


@pytest.fixture(scope="session")
def s3_endpoint():
    """moto's S3 server over real HTTP on 127.0.0.1 (a free port), with throwaway credentials."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        service_unavailable(f"moto (with flask and flask-cors) is not installed ({exc})")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint, monkeypatch):
    """A fresh bucket for one test; boto3 pointed at the local endpoint through the standard variables."""
    import uuid

    import boto3

    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing-secret-Key9",
                        "AWS_DEFAULT_REGION": "us-east-1", "AWS_ENDPOINT_URL": s3_endpoint}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    bucket = f"devface-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    return bucket
