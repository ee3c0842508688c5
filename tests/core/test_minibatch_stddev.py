"""Minibatch standard deviation: the `fast` discriminator sees how alike a batch is."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from devface_adapters.memory import MemoryAdapter
from devface_core.pipeline import run_pretraining as pretrain
from devface_core.errors import ConfigError
from devface_core.gan.layers import MinibatchStddev
from devface_core.gan.models import build_models
from devface_core.gan.trainer import Trainer
from tests.helpers.bases import forget_saved_settings
from tests.helpers.images import face_like


def test_the_added_channel_is_the_batchs_mean_standard_deviation():
    features = np.random.default_rng(0).normal(size=(6, 4, 4, 5)).astype("float32")
    output = np.asarray(MinibatchStddev()(features))
    assert output.shape == (6, 4, 4, 6)
    np.testing.assert_array_equal(output[..., :5], features)
    np.testing.assert_allclose(output[..., 5], features.std(axis=0).mean(), rtol=1e-5)
    alike = np.asarray(MinibatchStddev()(np.repeat(features[:1], 6, axis=0)))
    assert np.abs(alike[..., 5]).max() < 1e-3  # identical images: no spread


@pytest.mark.parametrize("enabled", [True, False])
def test_with_it_an_images_score_depends_on_the_rest_of_its_batch(enabled):
    _, discriminator = build_models("fast", 32, 8, seed=0, minibatch_stddev=enabled)
    images = np.random.default_rng(1).uniform(-1, 1, (4, 32, 32, 3)).astype("float32")
    varied = np.asarray(discriminator(images))[0, 0]
    alike = np.asarray(discriminator(np.repeat(images[:1], 4, axis=0)))[0, 0]
    assert (abs(varied - alike) > 1e-6) == enabled


def test_the_original_seed_architecture_is_left_as_it_was():
    plain = build_models("seed", 32, 8, seed=0)[1]
    asked = build_models("seed", 32, 8, seed=0, minibatch_stddev=True)[1]
    assert [type(layer) for layer in asked.layers] == [type(layer) for layer in plain.layers]
    assert [w.shape for w in asked.weights] == [w.shape for w in plain.weights]


def test_on_auto_a_base_has_it_a_fine_tune_follows_its_base_and_a_run_from_scratch_does_not(tiny_config, tmp_path):
    store = MemoryAdapter(space="stddev-auto")
    for index in range(4):
        store.add("ann", face_like(index, 32), f"{index}.png")
    config = attrs.evolve(tiny_config, epochs=1)
    report = pretrain(store, ["ann"], config, tmp_path / "base")
    assert config.minibatch_stddev is None and report.config["minibatch_stddev"] is True
    assert Trainer(config).config.minibatch_stddev is False
    fine_tune = Trainer(attrs.evolve(config, init_from=str(tmp_path / "base")))
    assert fine_tune.config.minibatch_stddev is True
    assert "d_minibatch_stddev" in [layer.name for layer in fine_tune.discriminator.layers]
    with pytest.raises(ConfigError, match=r"minibatch_stddev True \(this run: False\)"):
        Trainer(attrs.evolve(config, minibatch_stddev=False, init_from=str(tmp_path / "base")))


def test_a_base_saved_before_the_setting_counts_as_without_it(tiny_config, tmp_path):
    Trainer(attrs.evolve(tiny_config, minibatch_stddev=False)).save_base(tmp_path / "base")
    forget_saved_settings(tmp_path / "base", "minibatch_stddev")
    with pytest.raises(ConfigError, match=r"minibatch_stddev False \(this run: True\)"):
        Trainer(attrs.evolve(tiny_config, minibatch_stddev=True, init_from=str(tmp_path / "base")))
    assert Trainer(attrs.evolve(tiny_config, init_from=str(tmp_path / "base"))).config.minibatch_stddev is False
