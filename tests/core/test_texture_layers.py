"""Noise inputs in the generator and anti-aliased downsampling in the discriminator (settings noise_inputs
and antialias): what each layer does, and that a base keeps them."""

from __future__ import annotations

import attrs
import keras
import numpy as np
import pytest

from devface_core.config_loading import load_config
from devface_core.errors import ConfigError
from devface_core.gan.latent import build_sampler
from devface_core.gan.layers import SAMPLING_NOISE, Blur, NoiseInput, set_sampling_noise
from devface_core.gan.models import build_models
from devface_core.gan.trainer import Trainer
from tests.helpers.bases import forget_saved_settings
from tests.helpers.images import demo_faces

NOISE = np.random.default_rng(0).normal(size=(3, 8)).astype("float32")


def _strengthen(generator, value: float = 1.0) -> None:
    for layer in generator.layers:
        if isinstance(layer, NoiseInput):
            layer.strength.assign(np.full(layer.strength.shape, value, "float32"))


def _redraw_fixed_noise(generator) -> None:
    """Fixed noise no seed reproduces, so only saving it can carry it into a base."""
    rng = np.random.default_rng(99)
    for layer in generator.layers:
        if isinstance(layer, NoiseInput):
            layer.fixed.assign(rng.standard_normal(layer.fixed.shape).astype("float32"))


def test_noise_starts_silent_then_varies_training_draws_but_never_a_sampled_face():
    plain, _ = build_models("fast", 32, 8, seed=0)
    noisy, _ = build_models("fast", 32, 8, seed=0, noise_inputs=True)
    assert [layer.name for layer in noisy.layers if isinstance(layer, NoiseInput)] == ["g_noise_16", "g_noise_32"]
    silent = np.asarray(noisy(NOISE, training=True))
    assert np.array_equal(silent, np.asarray(noisy(NOISE, training=True)))  # strength 0: the noise adds nothing
    _strengthen(noisy)
    first, second = np.asarray(noisy(NOISE, training=True)), np.asarray(noisy(NOISE, training=True))
    assert np.abs(first - second).max() > 1e-3
    assert np.array_equal(np.asarray(noisy(NOISE)), np.asarray(noisy(NOISE)))
    assert len(noisy.weights) == len(plain.weights) + 4  # a strength and a fixed noise image per block
    fixed = np.asarray(noisy.get_layer("g_noise_32").fixed)
    assert 0.9 < fixed.std() < 1.1  # sampling adds noise as strong as training's, N(0, 1)


def test_a_sampler_adds_its_share_of_the_trained_noise_when_sampling_and_measuring_statistics():
    inputs = keras.Input((4, 4, 2))
    layer = NoiseInput(seed=3)
    model = keras.Model(inputs, layer(inputs))
    layer.strength.assign(np.array([1.0, 2.0], "float32"))
    zeros = np.zeros((512, 4, 4, 2), "float32")
    trained_sample = np.asarray(model(zeros[:1]))
    trained_spread = np.asarray(model(zeros, training=True)).std((0, 1, 2))
    set_sampling_noise(model)
    assert 0 < SAMPLING_NOISE < 1
    np.testing.assert_allclose(np.asarray(model(zeros[:1])), SAMPLING_NOISE * trained_sample, rtol=1e-6)
    spread = np.asarray(model(zeros, training=True)).std((0, 1, 2))  # the pass standing statistics are measured on
    np.testing.assert_allclose(spread / trained_spread, SAMPLING_NOISE, rtol=0.1)
    assert keras.models.clone_model(model).layers[1].sampling_scale == SAMPLING_NOISE  # a saved sampler keeps it


def test_only_the_models_that_sample_get_the_sampling_noise(tiny_config):
    trainer = Trainer(attrs.evolve(tiny_config, noise_inputs=True))
    scales = {name: {layer.sampling_scale for layer in model.layers if isinstance(layer, NoiseInput)}
              for name, model in (("generator", trainer.models.generator), ("average", trainer.models.average),
                                  ("loaded sampler", build_sampler(attrs.evolve(tiny_config, noise_inputs=True))))}
    assert scales == {"generator": {1.0}, "average": {SAMPLING_NOISE}, "loaded sampler": {SAMPLING_NOISE}}


def test_the_blur_silences_the_finest_checkerboard_away_from_the_border():
    rows, cols = np.indices((8, 8))
    checkerboard = np.where((rows + cols) % 2, 1.0, -1.0).astype("float32")[None, :, :, None]
    blurred = np.asarray(Blur()(checkerboard))[0, 1:-1, 1:-1, 0]
    np.testing.assert_allclose(blurred, 0.0, atol=1e-6)
    flat = np.full((1, 8, 8, 1), 0.5, "float32")
    np.testing.assert_allclose(np.asarray(Blur()(flat)), flat, atol=1e-6)


def test_an_antialiased_discriminator_blurs_before_each_strided_conv():
    _, plain = build_models("fast", 32, 8, seed=0)
    _, smooth = build_models("fast", 32, 8, seed=0, antialias=True)
    assert [layer.name for layer in smooth.layers if isinstance(layer, Blur)] == ["d_blur_32", "d_blur_16"]
    assert [w.shape for w in smooth.weights] == [w.shape for w in plain.weights]  # the same weights load


def test_a_base_keeps_its_noise_and_its_fine_tunes_follow_it(tiny_config, tmp_path):
    config = attrs.evolve(tiny_config, noise_inputs=True, antialias=True)
    trainer = Trainer(config)
    _strengthen(trainer.models.sampler, 0.5)
    _redraw_fixed_noise(trainer.models.sampler)
    trainer.save_base(tmp_path / "base")
    base = str(tmp_path / "base")
    assert load_config(environ={}, overrides={"init_from": base}).noise_inputs  # the base's shape stands in
    fine_tune = Trainer(attrs.evolve(config, init_from=base))
    np.testing.assert_array_equal(np.asarray(fine_tune.models.sampler(NOISE)), np.asarray(trainer.models.sampler(NOISE)))
    with pytest.raises(ConfigError, match=r"noise_inputs True \(this run: False\)"):
        Trainer(attrs.evolve(config, noise_inputs=False, init_from=base))


def test_a_base_saved_before_the_settings_has_neither(tiny_config, tmp_path):
    Trainer(tiny_config).save_base(tmp_path / "base")
    forget_saved_settings(tmp_path / "base", "noise_inputs", "antialias")
    Trainer(attrs.evolve(tiny_config, init_from=str(tmp_path / "base")))  # fits: neither counts as off
    with pytest.raises(ConfigError, match=r"antialias False \(this run: True\)"):
        Trainer(attrs.evolve(tiny_config, antialias=True, init_from=str(tmp_path / "base")))


def test_pretraining_with_both_trains_and_draws_faces(tiny_config, tmp_path):
    config = attrs.evolve(tiny_config, noise_inputs=True, antialias=True, epochs=1)
    images = demo_faces(6, 16)
    snapshots = list(Trainer(config).train(images))
    assert snapshots and snapshots[-1].images.shape[1:] == (16, 16, 3)
