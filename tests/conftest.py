"""Shared fixtures: a tiny training config, image factories, and the rule for tests that need a service."""

from __future__ import annotations

import os

import pytest

from devface_core import Config
from tests.helpers import images  # noqa: F401  (re-exported for tests)

IN_CI = bool(os.environ.get("CI"))


@pytest.fixture
def tiny_config() -> Config:
    """Trains in about a second: 32×32, tiny noise vector, two epochs, a snapshot per epoch."""
    return Config(epochs=2, batch_size=4, image_size=32, z_dim=8, sample_every=1, samples_per_snapshot=2)


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
