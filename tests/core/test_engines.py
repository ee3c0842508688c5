"""Warm engines: a run on an engine lent from an earlier run trains byte for byte as on a new one, never
shares an engine with a live run, and loads its base afresh."""

from __future__ import annotations

import gc
import threading

import attrs
import numpy as np
import pytest

from devface_core.gan import engines
from devface_core.gan.recipe import as_plan
from devface_core.gan.trainer import Trainer


@pytest.fixture
def likes():
    return np.random.default_rng(4).integers(0, 255, (6, 16, 16, 3), dtype=np.uint8)


def trained(config, likes) -> tuple[Trainer, list]:
    trainer = Trainer(config)
    return trainer, list(trainer.train(likes))


@pytest.mark.parametrize("options", [{}, {"lecam": 0.3}], ids=["plain", "lecam"])  # LeCam: its averages reset too
def test_a_lent_engine_trains_exactly_as_a_new_one(tiny_config, likes, options):
    longer, longer_snapshots = trained(attrs.evolve(tiny_config, epochs=4, seed=7, **options), likes)
    config = attrs.evolve(tiny_config, seed=7, **options)  # differs only in loop settings: the same engine fits
    new, new_snapshots = trained(config, likes)  # built anew: `longer` still holds its engine
    assert new.models.generator is not longer.models.generator
    generator = longer.models.generator
    del longer
    gc.collect()
    lent, lent_snapshots = trained(config, likes)
    assert lent.models.generator is generator  # the engine the longer run trained came back
    assert [s.step for s in lent_snapshots] == [s.step for s in new_snapshots] == [3, 4]
    for lent_snapshot, new_snapshot in zip(lent_snapshots, new_snapshots):
        assert np.array_equal(lent_snapshot.images, new_snapshot.images)
        assert lent_snapshot.losses == new_snapshot.losses
    for lent_variable, new_variable in zip(lent.models.discriminator.variables, new.models.discriminator.variables):
        assert np.array_equal(lent_variable.numpy(), new_variable.numpy())


def test_runs_with_other_shaping_settings_never_share_an_engine(tiny_config):
    base = as_plan(attrs.evolve(tiny_config, seed=3))
    assert engines.engine_key(base) == engines.engine_key(as_plan(attrs.evolve(base.config, max_steps=9, epochs=3)))
    for change in ({"seed": 4}, {"z_dim": 16}, {"ema": 0.0}, {"augment": "none"}, {"batch_size": 2}):
        assert engines.engine_key(as_plan(attrs.evolve(base.config, **change))) != engines.engine_key(base)
    assert engines.engine_key(as_plan(attrs.evolve(base.config, image_size=32, grow_from=16))) is None


def test_engines_built_at_once_in_threads_start_as_one_built_alone(tiny_config):
    # Keras seeds spectral normalisation's vectors from a process-wide counter: threads used to interleave it.
    config = attrs.evolve(tiny_config, seed=11)
    alone = Trainer(config)
    built: list[Trainer] = []
    threads = [threading.Thread(target=lambda: built.append(Trainer(config))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for trainer in built:
        for mine, theirs in zip(alone.discriminator.weights, trainer.discriminator.weights):
            assert np.array_equal(mine.numpy(), theirs.numpy()), mine.path


def test_a_lent_engine_loads_the_base_as_it_is_now(tiny_config, tmp_path):
    config = attrs.evolve(tiny_config, image_size=32)
    Trainer(attrs.evolve(config, seed=1)).save_base(tmp_path / "base")
    tuned = attrs.evolve(config, init_from=str(tmp_path / "base"))
    first = Trainer(tuned)
    generator = first.models.generator
    del first
    gc.collect()
    Trainer(attrs.evolve(config, seed=2)).save_base(tmp_path / "base")  # the base is pretrained again
    again = Trainer(tuned)
    assert again.models.generator is generator
    fresh = Trainer(attrs.evolve(config, seed=2))
    assert all(np.array_equal(a.numpy(), b.numpy()) for a, b in zip(again.generator.weights, fresh.generator.weights))
