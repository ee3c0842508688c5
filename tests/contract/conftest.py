"""Every adapter under contract, as a parametrised fixture: add a harness here to join the tests."""

from __future__ import annotations

import pytest

from tests.contract.harness import DirectoryHarness, MemoryHarness

STORE_HARNESSES = ["memory", "dir"]
SINK_HARNESSES = ["memory", "dir"]


def _harness(name, tmp_path):
    factories = {"memory": lambda: MemoryHarness(), "dir": lambda: DirectoryHarness(tmp_path)}
    return factories[name]()


@pytest.fixture(params=STORE_HARNESSES)
def store_harness(request, tmp_path):
    """A harness whose adapter is a source and a store."""
    return _harness(request.param, tmp_path)


@pytest.fixture(params=SINK_HARNESSES)
def sink_harness(request, tmp_path):
    """A harness whose adapter is a sink."""
    return _harness(request.param, tmp_path)
