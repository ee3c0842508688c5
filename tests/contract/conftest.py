"""Every adapter under contract, as a parametrised fixture: add a harness here to join the tests."""

from __future__ import annotations

import pytest

from tests.contract.harness import DirectoryHarness, MemoryHarness, PostgresHarness, S3Harness

STORE_HARNESSES = ["memory", "dir", "postgres", "s3"]
SINK_HARNESSES = ["memory", "dir", "postgres", "s3"]


def _harness(name, request, tmp_path):
    if name == "postgres":
        return PostgresHarness(request.getfixturevalue("pg_dsn"), request.getfixturevalue("pg_schema"))
    if name == "s3":
        return S3Harness(request.getfixturevalue("s3_bucket"))
    return {"memory": MemoryHarness, "dir": lambda: DirectoryHarness(tmp_path)}[name]()


@pytest.fixture(params=STORE_HARNESSES)
def store_harness(request, tmp_path):
    """A harness whose adapter is a source and a store."""
    return _harness(request.param, request, tmp_path)


@pytest.fixture(params=SINK_HARNESSES)
def sink_harness(request, tmp_path):
    """A harness whose adapter is a sink."""
    return _harness(request.param, request, tmp_path)
