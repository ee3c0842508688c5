"""The GAN trainer: snapshots of individual images, determinism, the original's shapes, saving."""

from __future__ import annotations

import os
import platform

import attrs
import keras
import numpy as np
import pytest

from devface_core.gan.models import build_models, build_original_seed
from devface_core.gan.upconv import UpConv2D
from devface_core.dataset import ImageBuffer
from devface_core.gan.growth import resident_images
from devface_core import Config
from devface_core.config_loading import load_config
from devface_core.gan import recipe
from devface_core.gan.recipe import cpu_has_bf16, plan_training
from devface_core.gan.trainer import Trainer


@pytest.fixture
def dataset():
    return np.random.default_rng(0).integers(0, 255, (10, 16, 16, 3), dtype=np.uint8)


def test_snapshots_come_every_sample_every_steps_plus_the_last(tiny_config, dataset):
    config = attrs.evolve(tiny_config, epochs=5, sample_every=4)  # 15 steps of 3 per epoch
    snapshots = list(Trainer(config).train(dataset))
    assert [(s.step, s.epoch) for s in snapshots] == [(4, 2), (8, 3), (12, 4), (15, 5)]
    for snapshot in snapshots:
        assert snapshot.images.shape == (2, 16, 16, 3) and snapshot.images.dtype == np.uint8
        assert set(snapshot.losses) == {"d_loss", "g_loss", "d_real", "augment_p"}


def test_an_epoch_is_one_pass_over_the_images(tiny_config, dataset):
    trainer = Trainer(tiny_config)
    list(trainer.train(dataset))
    assert trainer.steps_done == tiny_config.epochs * 3  # ceil(10 / 4)


@pytest.mark.parametrize("likes", [10, 1000])
def test_snapshots_come_at_the_step_interval_whatever_the_number_of_likes(tiny_config, likes):
    # 1 000 likes make an epoch of 250 steps: counted in epochs, this run had one snapshot, at its end.
    images = np.random.default_rng(0).integers(0, 255, (likes, 16, 16, 3), dtype=np.uint8)
    trainer = Trainer(attrs.evolve(tiny_config, epochs=100_000, max_steps=12, sample_every=4))
    assert [s.step for s in trainer.train(images)] == [4, 8, 12]


def test_progress_is_reported_every_25_steps_and_at_each_snapshot(tiny_config, dataset):
    ticks = []
    list(Trainer(attrs.evolve(tiny_config, epochs=20, sample_every=30)).train(dataset, progress=ticks.append))
    assert [t.step for t in ticks] == [25, 30, 55, 60]
    assert ticks[-1].epoch == ticks[-1].epochs == 20 and ticks[-1].total_steps == 60


def test_same_seed_gives_identical_snapshots(tiny_config, dataset):
    first = list(Trainer(tiny_config).train(dataset))[-1]
    second = list(Trainer(tiny_config).train(dataset))[-1]
    other = list(Trainer(attrs.evolve(tiny_config, seed=1)).train(dataset))[-1]
    assert np.array_equal(first.images, second.images)
    assert not np.array_equal(first.images, other.images)


def test_training_changes_the_generator(tiny_config, dataset):
    trainer = Trainer(tiny_config)
    before = trainer.snapshot().images
    list(trainer.train(dataset))
    assert not np.array_equal(before, trainer.snapshot().images)


def test_seed_architecture_has_the_original_shapes():
    generator, discriminator = build_models("seed", 128, 100, seed=0)
    conv_filters = [layer.filters for layer in generator.layers if isinstance(layer, (keras.layers.Conv2D, UpConv2D))]
    assert conv_filters == [128, 64, 3]
    # Upsample + conv runs fused, but the weights are the original's, shape for shape and value for value.
    original, _ = build_original_seed(128, 100, seed=0)
    assert [w.shape for w in generator.weights] == [w.shape for w in original.weights]
    assert all(np.array_equal(a, b) for a, b in zip(generator.get_weights(), original.get_weights()))
    assert generator.output_shape == (None, 128, 128, 3)
    d_filters = [layer.filters for layer in discriminator.layers if isinstance(layer, keras.layers.Conv2D)]
    assert d_filters == [32, 64, 128, 256]
    assert sum(isinstance(layer, keras.layers.Dropout) for layer in discriminator.layers) == 4
    assert discriminator.output_shape == (None, 1)


def test_wrong_image_shape_is_refused(tiny_config):
    with pytest.raises(ValueError, match="uint8"):
        list(Trainer(tiny_config).train(np.zeros((3, 64, 64, 3), np.uint8)))


def test_generator_saves_as_keras_file(tiny_config, dataset, tmp_path):
    trainer = Trainer(tiny_config)
    list(trainer.train(dataset))
    path = tmp_path / "generator.keras"
    trainer.save_generator(str(path))
    restored = keras.models.load_model(path)
    noise = np.zeros((1, tiny_config.z_dim), np.float32)
    # what is saved is the generator that samples: the weight average (on by default)
    assert trainer.sampler is trainer.ema_generator
    assert np.allclose(restored(noise, training=False), trainer.sampler(noise, training=False), atol=1e-6)


def test_max_steps_stops_training_early_with_a_final_snapshot(tiny_config):
    config = attrs.evolve(tiny_config, epochs=50, max_steps=5, sample_every=100)
    trainer = Trainer(config)
    snapshots = list(trainer.train(np.zeros((8, 16, 16, 3), np.uint8)))
    assert trainer.steps_done == 5
    assert [(snapshot.step, snapshot.epoch) for snapshot in snapshots] == [(5, 3)]


def test_aligned_dataset_is_shared_with_tensorflow_not_copied():
    buffer = ImageBuffer(16, capacity=4)
    buffer.append(np.full((16, 16, 3), 9, np.uint8))
    tensor = resident_images(buffer.images())
    buffer.images()[0, 0, 0, 0] = 200  # visible through the tensor only if the memory is shared
    assert int(tensor[0, 0, 0, 0]) == 200
    assert tensor.shape == (1, 16, 16, 3)


def test_mixed_bfloat16_computes_in_bf16_and_still_yields_uint8_snapshots(tiny_config, dataset):
    trainer = Trainer(attrs.evolve(tiny_config, precision="mixed_bfloat16", epochs=1))
    snapshot = list(trainer.train(dataset))[-1]
    assert trainer.generator.layers[-1].compute_dtype == "bfloat16"
    assert trainer.generator.layers[-1].kernel.dtype == "float32"
    assert snapshot.images.dtype == np.uint8 and snapshot.images.shape == (2, 16, 16, 3)
    assert keras.config.dtype_policy().name == "float32"  # the policy did not leak out of the build


def test_precision_auto_is_bf16_exactly_where_the_cpu_reports_bf16_units(tmp_path):
    with_units, without = tmp_path / "amx", tmp_path / "plain"
    with_units.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f amx_bf16 amx_tile\n")
    without.write_text("processor\t: 0\nflags\t\t: fpu sse2 avx2 avx512f avx512bw\n")
    assert cpu_has_bf16(str(with_units)) and not cpu_has_bf16(str(without))
    assert not cpu_has_bf16(str(tmp_path / "missing"))  # not Linux: float32
    expected = "mixed_bfloat16" if cpu_has_bf16() else "float32"
    assert plan_training(Config(precision="auto")).config.precision == expected
    assert plan_training(Config(precision="float32")).config.precision == "float32"


def test_precision_auto_stays_float32_where_the_user_turned_onednn_kernels_off(monkeypatch):
    monkeypatch.setattr(recipe, "cpu_has_bf16", lambda: True)
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    assert recipe.precision_choice(Config(precision="auto")) == "mixed_bfloat16"
    for off in ("0", "false", "False"):
        monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", off)
        assert recipe.precision_choice(Config(precision="auto")) == "float32"
    assert recipe.precision_choice(Config(precision="mixed_bfloat16")) == "mixed_bfloat16"  # asked for: kept


def test_devface_asks_for_onednn_kernels_on_x86_and_keeps_a_setting_of_the_users(monkeypatch):
    from devface_core import gan

    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
    monkeypatch.setattr(platform, "machine", lambda: "aarch64")
    gan.use_onednn_kernels()
    assert "TF_ENABLE_ONEDNN_OPTS" not in os.environ  # elsewhere TensorFlow's own choice stands
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    gan.use_onednn_kernels()
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "1"
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    gan.use_onednn_kernels()
    assert os.environ["TF_ENABLE_ONEDNN_OPTS"] == "0"


def test_a_bf16_base_fine_tunes_in_float32_from_the_same_weights(tiny_config, dataset, tmp_path):
    base = Trainer(attrs.evolve(tiny_config, precision="mixed_bfloat16", epochs=1))
    list(base.train(dataset))
    base.save_base(tmp_path / "base")
    tuned = Trainer(load_config(overrides={"init_from": str(tmp_path / "base"), "precision": "float32"}))
    assert tuned.generator.layers[-1].compute_dtype == "float32"
    for loaded, saved in zip(tuned.generator.get_weights(), base.generator.get_weights()):
        assert np.array_equal(loaded, saved)
