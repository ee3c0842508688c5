"""Progressive growing: the schedule, weights carried from the smaller models, and runs that grow, resume
and fine-tune like any other."""

from __future__ import annotations

import itertools

import attrs
import numpy as np
import pytest
import tensorflow as tf

from devface_core.config_loading import load_config
from devface_core.errors import ConfigError
from devface_core.gan.growth import downsampled, growth_point, growth_sides
from devface_core.gan import trainer as trainer_module
from devface_core.gan.models import build_models, transfer_weights
from devface_core.gan.trainer import Trainer


@pytest.fixture
def tiny_config(tiny_config):
    """This file's checks are written for 32×32 (its images, sizes and stages), not conftest's 16×16."""
    return attrs.evolve(tiny_config, image_size=32)


@pytest.fixture
def growing(tiny_config, tmp_path):
    return attrs.evolve(tiny_config, architecture="fast", grow_from=16, epochs=6, sample_every=2,
                        checkpoint_every=2, ema=0.9)


@pytest.fixture
def images():
    return np.random.default_rng(2).integers(0, 255, (8, 32, 32, 3), dtype=np.uint8)


def test_sides_double_from_grow_from_to_the_image_size(tiny_config):
    assert growth_sides(attrs.evolve(tiny_config, image_size=128, grow_from=32)) == (32, 64, 128)
    assert growth_sides(tiny_config) == (32,)


@pytest.mark.parametrize("grow_from", [8, 24, 64])
def test_a_start_that_does_not_double_to_the_image_size_is_refused(grow_from):
    with pytest.raises(ConfigError, match="grow_from"):
        load_config(overrides={"image_size": 32, "grow_from": grow_from})


def test_stages_share_half_the_budget_and_each_new_block_fades_in():
    sides = (32, 64, 128)
    assert growth_point(sides, 0.5, 0.0) == growth_point(sides, 0.5, 0.24)
    assert growth_point(sides, 0.5, 0.24).stage == 0
    assert growth_point(sides, 0.5, 0.25).stage == 1 and growth_point(sides, 0.5, 0.25).alpha == 0.0
    assert growth_point(sides, 0.5, 0.3125).alpha == pytest.approx(0.5)
    assert growth_point(sides, 0.5, 0.4).alpha == 1.0
    assert growth_point(sides, 0.5, 0.5).stage == 2 and growth_point(sides, 0.5, 1.0).alpha == 1.0


def test_a_grown_model_carries_every_layer_of_the_smaller_one():
    small_g, small_d = build_models("fast", 16, 8, seed=1)
    big_g, big_d = build_models("fast", 32, 8, seed=2, fading=True)
    assert transfer_weights(small_g, big_g) == sum(1 for layer in small_g.layers if layer.weights)
    assert transfer_weights(small_d, big_d) == sum(1 for layer in small_d.layers if layer.weights)
    for name in ("g_dense", "g_conv_16", "g_to_rgb_16"):
        for old, new in zip(small_g.get_layer(name).get_weights(), big_g.get_layer(name).get_weights()):
            assert np.array_equal(old, new)
    assert np.array_equal(small_d.get_layer("d_logit").get_weights()[0], big_d.get_layer("d_logit").get_weights()[0])


@pytest.mark.parametrize("upsample", ["nearest", "bilinear"])
def test_fade_in_at_zero_shows_exactly_the_smaller_models_image_enlarged(upsample):
    small_g, _ = build_models("fast", 16, 8, seed=1, upsample=upsample)
    big_g, _ = build_models("fast", 32, 8, seed=2, fading=True, upsample=upsample)
    transfer_weights(small_g, big_g)
    noise = tf.random.stateless_normal([2, 8], seed=(1, 2))
    enlarged = tf.image.resize(small_g(noise, training=False), (32, 32), method=upsample)
    assert np.allclose(big_g(noise, training=False), enlarged, atol=1e-6)


def test_downsampling_averages_blocks_of_pixels():
    images = tf.constant(np.arange(4 * 4 * 3, dtype=np.uint8).reshape(1, 4, 4, 3) * 4)
    small = downsampled(images, 2).numpy()
    assert small.shape == (1, 2, 2, 3) and small.dtype == np.uint8
    assert small[0, 0, 0, 0] == round(np.mean(images.numpy()[0, :2, :2, 0]))


def test_a_growing_run_ends_at_full_size_with_full_size_snapshots(growing, images):
    trainer = Trainer(growing)
    snapshots = list(trainer.train(images))
    assert trainer.stage == 1 and trainer.generator.output_shape[1:3] == (32, 32)
    assert all(s.images.shape == (2, 32, 32, 3) for s in snapshots)
    assert trainer.generator.get_layer("g_fade").alpha.numpy() == 1.0


def test_a_run_of_one_long_epoch_still_grows_on_schedule(growing, images, monkeypatch):
    # Pretraining on thousands of likes: one epoch can hold the whole budget, so the schedule is looked at
    # within epochs (every GROWTH_CHECK_STEPS; 2 here, so that 2 of an 8-image epoch's 4 steps are at 16×16).
    monkeypatch.setattr(trainer_module, "GROWTH_CHECK_STEPS", 2)
    trainer = Trainer(attrs.evolve(growing, epochs=1, batch_size=2))
    list(trainer.train(images))
    assert trainer.steps_done == 4 and trainer.stage == 1
    assert trainer.generator.output_shape[1:3] == (32, 32)


def test_a_base_saved_before_growing_finished_is_full_size(growing, images, tmp_path):
    unfinished = Trainer(growing)
    assert unfinished.stage == 0
    unfinished.save_base(tmp_path / "base")
    tuned = Trainer(attrs.evolve(growing, init_from=str(tmp_path / "base")))
    assert tuned.generator.output_shape[1:3] == (32, 32)
    assert tuned.generator.get_layer("g_fade").alpha.numpy() == 1.0


def test_a_growing_run_resumed_at_full_size_matches_the_uninterrupted_run(growing, images, tmp_path):
    config = attrs.evolve(growing, checkpoint_dir=str(tmp_path))
    straight = list(Trainer(config, tmp_path / "straight").train(images))
    # "Killed" once snapshot 5 (step 10) is out: the schedule depends on the whole run's budget, so the
    # interrupted run must have the same settings (a shorter run would have grown earlier); the checkpoint
    # of step 8 is the last.
    list(itertools.islice(Trainer(config, tmp_path / "split").train(images), 5))
    resumed_trainer = Trainer(attrs.evolve(config, resume=True), tmp_path / "split")
    resumed = list(resumed_trainer.train(images))
    assert resumed_trainer.resumed_from_step == 8
    assert [s.step for s in resumed] == [s.step for s in straight]
    assert np.array_equal(resumed[-1].images, straight[-1].images)


def test_a_grown_base_fine_tunes_at_full_size(growing, images, tmp_path):
    base = Trainer(growing)
    list(base.train(images))
    base.save_base(tmp_path / "base")
    tuned = Trainer(attrs.evolve(growing, init_from=str(tmp_path / "base"), epochs=1))
    assert tuned.stage == 1
    for loaded, saved in zip(tuned.sampler.get_weights(), base.sampler.get_weights()):
        assert np.array_equal(loaded, saved)
    assert list(tuned.train(images))[-1].images.shape == (2, 32, 32, 3)


def test_a_grown_stage_starts_from_lecams_averages_of_the_smaller_one(growing, images, monkeypatch):
    from devface_core.gan import stages as stages_module

    build, carried = stages_module.build_stage_models, []

    def recording(plan, side, fading, strategy, previous):
        models = build(plan, side, fading, strategy, previous)
        if previous is not None:
            carried.append((previous.anchors.numpy(), models.anchors.numpy()))
        return models

    monkeypatch.setattr(stages_module, "build_stage_models", recording)
    list(Trainer(attrs.evolve(growing, lecam=0.3, epochs=2)).train(images))
    (smaller, grown), = carried
    assert np.abs(smaller).min() > 0 and np.array_equal(grown, smaller)
