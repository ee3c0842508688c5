"""Warm latent bases: a base lent run after run draws exactly what a fresh load draws, one run at a time."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pytest

from devface_core.config_loading import load_config
from devface_core.fields import BUILTIN_BASE
from devface_core.gan import latent_pool
from devface_core.gan.latent import LatentBase
from devface_core.idle_pool import IdlePool


def likes(seed: int) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (3, 64, 64, 3), dtype=np.uint8)


@pytest.fixture
def config():
    # A few faces and tuning steps: enough for the tuning to move the sampler away from the base.
    return load_config(environ={}, overrides={"init_from": "builtin", "latent_faces": 4, "latent_pivot_steps": 3})


def test_a_lent_base_draws_byte_for_byte_what_a_fresh_load_draws_after_another_users_run(config):
    fresh = LatentBase.load(config).faces_for(config, likes(1))
    with latent_pool.lent(config) as first:
        other = first.faces_for(config, likes(2))  # another user's tuning moves the sampler's weights
    with latent_pool.lent(config) as again:
        assert again is first  # warm: neither loaded nor traced again
        assert np.array_equal(again.faces_for(config, likes(1)), fresh)
    assert not np.array_equal(other, fresh)


def test_runs_at_the_same_time_get_bases_of_their_own_and_the_idle_ones_are_bounded(config):
    with latent_pool.lent(config) as first, latent_pool.lent(config) as second, latent_pool.lent(config) as third:
        assert len({id(first), id(second), id(third)}) == 3
    assert len(latent_pool.IDLE) == latent_pool.IDLE.limit


def test_a_base_folder_rewritten_in_place_is_loaded_again(config, tmp_path):
    folder = tmp_path / "base"
    shutil.copytree(BUILTIN_BASE, folder)
    config = load_config(environ={}, overrides={"init_from": str(folder), "latent_faces": 4, "latent_pivot_steps": 3})
    with latent_pool.lent(config) as before:
        pass
    part = next(path for path in folder.iterdir() if path.is_file())
    stamp = part.stat().st_mtime_ns + 1_000_000_000
    os.utime(part, ns=(stamp, stamp))  # what a new `devface pretrain` into the folder does to its files
    with latent_pool.lent(config) as after:
        assert after is not before


def test_the_pipeline_loads_a_base_once_for_user_after_user_and_publishes_what_it_did_cold(config, monkeypatch):
    from devface_adapters.memory import MemoryAdapter
    from devface_core import run_pipeline
    from tests.helpers import images

    store = MemoryAdapter(space="latent-pool-pipeline")
    store.space.clear()
    for user, first in (("ann", 0), ("bob", 3)):
        for index in range(first, first + 3):
            store.add(user, images.face_like(index), f"{index}.png")
    loads, load = [], LatentBase.load.__func__
    monkeypatch.setattr(LatentBase, "load", classmethod(lambda cls, *a: loads.append(1) or load(cls, *a)))
    monkeypatch.setattr(latent_pool, "IDLE", IdlePool(limit=2))  # no base warm from another test
    run_pipeline(store, store, "ann", config)
    cold = store.space.published("ann").png
    run_pipeline(store, store, "bob", config)
    run_pipeline(store, store, "ann", config)
    assert len(loads) == 1 and store.space.published("ann").png == cold
