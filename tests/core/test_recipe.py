"""The few-image recipe: the `fast` architecture, DiffAugment, flips, the weight average, contact sheets."""

from __future__ import annotations

import attrs
import keras
import numpy as np
import pytest
import tensorflow as tf

from devface_core.config_loading import load_config
from devface_core.contact_sheet import contact_sheet
from devface_core.errors import ConfigError
from devface_core.gan import augment
from devface_core.gan.ema import averaged_pairs
from devface_core.gan.losses import LOSSES, r1_penalty
from devface_core.gan.trainer import Trainer
from devface_core.types import Snapshot


@pytest.fixture
def tiny_config(tiny_config):
    """This file's checks are written for 32×32 (its images, sizes and stages), not conftest's 16×16."""
    return attrs.evolve(tiny_config, image_size=32)


@pytest.fixture
def images():
    return np.random.default_rng(0).integers(0, 255, (8, 32, 32, 3), dtype=np.uint8)


def test_translation_moves_content_and_fills_with_zeros():
    image = tf.ones((64, 16, 16, 3))
    shifted = augment.translation(image, tf.random.Generator.from_seed(1)).numpy()
    zero_rows = (shifted == 0).all(axis=(2, 3)).sum(axis=1)
    assert shifted.shape == (64, 16, 16, 3)
    assert 0 < zero_rows.max() <= 2 and (zero_rows == 0).any()  # up to 1/8 of 16 px, sometimes no shift


def test_cutout_zeroes_a_square_of_half_the_side():
    cut = augment.cutout(tf.ones((16, 16, 16, 3)), tf.random.Generator.from_seed(2)).numpy()
    zeroed = (cut[..., 0] == 0).sum(axis=(1, 2))
    assert zeroed.max() <= 8 * 8 and zeroed.max() >= 7 * 7


def test_augmentation_is_differentiable_and_seeded():
    images = tf.Variable(tf.random.stateless_uniform((4, 16, 16, 3), (1, 2), -1, 1))
    policy = "color,translation,cutout"
    with tf.GradientTape() as tape:
        out = augment.diff_augment(images, policy, tf.random.Generator.from_seed(3))
        total = tf.reduce_sum(out)
    assert np.abs(tape.gradient(total, images).numpy()).sum() > 0
    again = augment.diff_augment(images, policy, tf.random.Generator.from_seed(3))
    assert np.array_equal(out.numpy(), again.numpy())


@pytest.mark.parametrize("policy", ["color", "translation", "cutout", "color,translation,cutout"])
def test_diff_augment_keeps_shapes_and_passes_the_discriminators_gradient_to_every_generator_weight(
        tiny_config, policy):
    trainer = Trainer(tiny_config)
    noise = tf.random.stateless_normal((4, tiny_config.z_dim), (5, 6))
    with tf.GradientTape() as tape:
        fake = trainer.generator(noise, training=True)
        augmented = augment.diff_augment(fake, policy, tf.random.Generator.from_seed(7))
        loss = LOSSES[trainer.config.architecture][1](trainer.discriminator(augmented, training=True))
    gradients = tape.gradient(loss, trainer.generator.trainable_variables)
    assert augmented.shape == fake.shape and augmented.dtype == fake.dtype
    assert all(g is not None and float(tf.reduce_max(tf.abs(g))) > 0 for g in gradients)
    halfway = augment.diff_augment(fake, policy, tf.random.Generator.from_seed(7), tf.constant(0.5))
    assert halfway.shape == fake.shape


def test_unknown_augmentation_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown augmentation zoom"):
        load_config(overrides={"augment": "color,zoom"})
    assert load_config(overrides={"augment": "none"}).augment == ""


def test_ema_with_warm_up_leaves_its_random_start_at_once(tiny_config, images):
    trainer = Trainer(attrs.evolve(tiny_config, ema=0.999, epochs=1))
    start = [w.copy() for w in trainer.ema_generator.get_weights()]
    list(trainer.train(images))  # 2 steps: decay (1+t)/(10+t) is about 0.2, not 0.999
    moved = [np.abs(a - b).max() for a, b in zip(start, trainer.ema_generator.get_weights())]
    weights_moved = [np.abs(a - b).max() for a, b in zip(start, trainer.generator.get_weights())]
    assert max(moved) > 0.3 * max(weights_moved)
    assert trainer.sampler is trainer.ema_generator


def test_the_weight_average_differs_from_the_raw_weights_after_training_and_equals_them_at_decay_zero(
        tiny_config, images):
    def gaps_after_training(decay: float) -> list[float]:
        trainer = Trainer(attrs.evolve(tiny_config, ema=decay, epochs=3))
        list(trainer.train(images))
        return [float(np.abs(average.numpy() - weight.numpy()).max())
                for average, weight in averaged_pairs(trainer.ema_generator, trainer.generator)]

    assert min(gaps_after_training(0.999)) > 1e-4  # every weight: the average lags its generator
    assert max(gaps_after_training(1e-12)) < 1e-6  # decay 0 (ema=0 is "off"): the average is the generator
    off = Trainer(attrs.evolve(tiny_config, ema=0.0))
    assert off.ema_generator is None and off.sampler is off.generator


def test_weight_average_follows_each_weight_by_name_when_a_layer_is_frozen(tiny_config, images):
    trainer = Trainer(attrs.evolve(tiny_config, ema=1e-9, epochs=1))  # decay ≈ 0: the average copies
    trainer.generator.get_layer("g_bn_16").trainable = False  # in the generator only
    list(trainer.train(images))
    average = {variable.path: variable.numpy() for variable in trainer.ema_generator.variables}
    for weight in trainer.generator.trainable_variables:  # paired by position, g_conv_32 took g_bn_16's
        np.testing.assert_allclose(average[weight.path], weight.numpy(), atol=1e-6, err_msg=weight.path)


def test_weight_average_missing_a_variable_is_an_error(tiny_config):
    trainer = Trainer(attrs.evolve(tiny_config, ema=0.99))
    smaller = Trainer(attrs.evolve(tiny_config, ema=0.99, image_size=16))
    with pytest.raises(ConfigError, match="weight average has no variable g_conv_32/kernel"):
        averaged_pairs(smaller.generator, trainer.generator)


@pytest.mark.parametrize("architecture", ["fast", "seed"])
def test_every_architecture_trains_with_the_full_recipe_and_resumes_exactly(
        tiny_config, images, tmp_path, architecture):
    config = attrs.evolve(tiny_config, architecture=architecture, augment="color,translation,cutout",
                          mirror=True, ema=0.99, epochs=2, checkpoint_dir=str(tmp_path))
    straight = list(Trainer(config, tmp_path / "a").train(images))
    list(Trainer(attrs.evolve(config, epochs=1), tmp_path / "b").train(images))
    resumed = list(Trainer(attrs.evolve(config, resume=True), tmp_path / "b").train(images))
    assert straight[-1].images.shape == (2, 32, 32, 3)
    assert np.array_equal(straight[-1].images, resumed[-1].images)


def test_fast_generator_has_no_transposed_convolutions_and_the_discriminator_no_batch_norm(tiny_config):
    trainer = Trainer(attrs.evolve(tiny_config, architecture="fast"))
    assert not [layer for layer in trainer.generator.layers if "transpose" in type(layer).__name__.lower()]
    assert not [layer for layer in trainer.discriminator.layers if "BatchNormalization" in type(layer).__name__]
    assert any(type(layer).__name__ == "SpectralNormalization" for layer in trainer.discriminator.layers)


def test_contact_sheet_has_a_row_per_snapshot_and_a_column_per_sample():
    snapshots = [Snapshot(step=e, images=np.full((3, 8, 8, 3), e, np.uint8)) for e in (20, 10)]
    sheet = np.asarray(contact_sheet(snapshots))
    assert sheet.shape == (2 + 2 * 10, 56 + 3 * 10 + 2, 3)
    assert sheet[2 + 4, 56 + 2 + 4].tolist() == [10, 10, 10]  # oldest step first
    assert sheet[12 + 4, 56 + 2 + 4].tolist() == [20, 20, 20]


def test_adaptive_augmentation_rises_only_while_the_discriminator_overfits():
    p = tf.constant(0.5)
    assert float(augment.adapted_probability(p, tf.constant(0.9), 0.6, 16, 1600)) == pytest.approx(0.51)
    assert float(augment.adapted_probability(p, tf.constant(0.2), 0.6, 16, 1600)) == pytest.approx(0.49)
    assert float(augment.adapted_probability(tf.constant(0.0), tf.constant(-1.0), 0.6, 16, 1600)) == 0.0


def test_probability_zero_leaves_images_alone_and_one_augments_every_image():
    images = tf.ones((8, 16, 16, 3))
    untouched = augment.diff_augment(images, "cutout", tf.random.Generator.from_seed(4), tf.constant(0.0))
    every = augment.diff_augment(images, "cutout", tf.random.Generator.from_seed(4), tf.constant(1.0))
    assert np.array_equal(untouched.numpy(), images.numpy())
    assert ((every.numpy() == 0).reshape(8, -1).any(axis=1)).all()


def test_ada_probability_starts_at_zero_moves_during_training_and_is_checkpointed(tiny_config, images, tmp_path):
    config = attrs.evolve(tiny_config, augment="color,translation,cutout", ada_target=0.6, epochs=10,
                          sample_every=5, checkpoint_dir=str(tmp_path))
    trainer = Trainer(config, tmp_path / "u")
    assert float(trainer.augment_probability) == 0.0
    snapshots = list(trainer.train(images))
    assert float(trainer.augment_probability) == snapshots[-1].losses["augment_p"]
    assert float(trainer.augment_probability) > 0.0  # D soon tells 8 un-augmented images from fakes
    resumed = Trainer(attrs.evolve(config, resume=True), tmp_path / "u")
    list(resumed.train(images))
    assert float(resumed.augment_probability) == float(trainer.augment_probability)


def test_the_weight_average_samples_with_batch_norm_statistics_of_its_own(tiny_config, images):
    trainer = Trainer(attrs.evolve(tiny_config, ema=0.999, epochs=3))
    list(trainer.train(images))
    average = trainer.ema_generator
    before = trainer.generate(4)
    dense = keras.Model(average.input, average.get_layer("g_dense_bn").input)
    own_mean = dense(trainer._standing_noise).numpy().mean(axis=(0, 1, 2))
    np.testing.assert_allclose(average.get_layer("g_dense_bn").moving_mean.numpy(), own_mean, rtol=1e-4, atol=1e-5)
    raw_mean = trainer.generator.get_layer("g_dense_bn").moving_mean.numpy()
    assert np.abs(raw_mean - own_mean).max() > 1e-3  # not the raw generator's statistics
    assert np.array_equal(trainer.generate(4), before)  # measured on fixed noise: sampling is repeatable


def test_r1_penalty_of_a_linear_discriminator_is_its_squared_weight_norm():
    discriminator = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Flatten(), keras.layers.Dense(1)])
    weights = discriminator.layers[-1].kernel.numpy()
    images = tf.random.stateless_normal((5, 4, 4, 3), (3, 4))
    penalty = tf.function(lambda x: r1_penalty(discriminator(x), x))(images)
    assert np.isclose(float(penalty), float(np.sum(weights**2)), rtol=1e-5)


def test_r1_gamma_changes_the_discriminators_update(tiny_config, images):
    def discriminator_after_an_epoch(gamma: float) -> list[np.ndarray]:
        trainer = Trainer(attrs.evolve(tiny_config, epochs=1, r1_gamma=gamma))
        list(trainer.train(images))
        return trainer.discriminator.get_weights()

    plain, penalised, again = (discriminator_after_an_epoch(gamma) for gamma in (0.0, 10.0, 10.0))
    assert any(not np.allclose(a, b) for a, b in zip(plain, penalised))
    assert all(np.array_equal(a, b) for a, b in zip(penalised, again))  # and stays reproducible


def test_r1_adds_half_gamma_times_the_penalty_to_the_discriminators_loss(tiny_config, images):
    # One image and no augmentation or flips: the step's real batch is that image repeated, known here.
    config = attrs.evolve(tiny_config, augment="", mirror=False, ada_target=0.0, r1_gamma=3.0)
    one = images[:1]
    penalised = Trainer(config).run_steps(tf.constant(one), 1)["d_loss"]
    # Its own trainer: D's first training call moves spectral norm's power-iteration vector, so the step
    # below needs a D that has not been called yet.
    plain_trainer = Trainer(attrs.evolve(config, r1_gamma=0.0))
    real = tf.constant(np.repeat(one, config.batch_size, axis=0), tf.float32) / 127.5 - 1.0
    with tf.GradientTape() as tape:
        tape.watch(real)
        logits = plain_trainer.discriminator(real, training=True)  # D's first call, as in the step
    expected = float(tf.reduce_mean(tf.reduce_sum(tape.gradient(logits, real) ** 2, axis=[1, 2, 3])))
    plain = Trainer(attrs.evolve(config, r1_gamma=0.0)).run_steps(tf.constant(one), 1)["d_loss"]
    assert expected > 0
    assert np.isclose(penalised - plain, 0.5 * 3.0 * expected, rtol=1e-4)
