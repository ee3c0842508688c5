"""The mapping network and style modulation (setting g_mapping): the layers it adds, that the code steers every
block, that a base keeps it, and that the generator without it is the one every earlier base was trained as."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from devface_core.config_loading import load_config
from devface_core.errors import ConfigError
from devface_core.gan.bases import load_model_weights
from devface_core.gan.latent import build_sampler, code_reading_weights
from devface_core.gan.models import build_models
from devface_core.gan.styles import MAPPING_RATE, SlowDense, StyleModulation
from devface_core.gan.trainer import Trainer
from tests.helpers.bases import forget_saved_settings

NOISE = np.random.default_rng(0).normal(size=(2, 8)).astype("float32")


def _names(model, prefix: str) -> set[str]:
    return {layer.name for layer in model.layers if layer.name.startswith(prefix)}


def test_g_mapping_adds_its_dense_layers_and_a_modulation_at_every_generator_side():
    styled, _ = build_models("fast", 64, 8, seed=0, g_mapping=3)
    assert _names(styled, "g_mapping_") == {"g_mapping_0", "g_mapping_1", "g_mapping_2"}
    assert _names(styled, "g_style_") == {"g_style_16", "g_style_32", "g_style_64"}
    assert styled(NOISE).shape == (2, 64, 64, 3)
    # Pivotal tuning moves the layers that read the code: with a mapping network, those are its layers too.
    tuned = {id(weight) for weight in code_reading_weights(styled)}
    assert {id(weight) for weight in styled.get_layer("g_mapping_0").trainable_weights} <= tuned
    assert not {id(weight) for weight in styled.get_layer("g_style_16").trainable_weights} & tuned


def test_without_mapping_the_generator_is_the_one_earlier_bases_were_trained_as():
    import keras

    plain, _ = build_models("fast", 32, 8, seed=3, g_mapping=0)
    assert not _names(plain, "g_mapping_") | _names(plain, "g_style_")
    # The first dense layer still takes the seed sequence's first seed (seed × 1000), as before g_mapping
    # existed: had the mapping drawn a seed even at 0, every later layer's starting weights would have moved.
    kernel = plain.get_layer("g_dense").kernel
    expected = keras.initializers.GlorotUniform(seed=3000)(tuple(kernel.shape))
    np.testing.assert_array_equal(np.asarray(kernel), np.asarray(expected))


def test_style_modulation_starts_as_no_change_and_then_steers_each_channel_by_the_code():
    features = np.random.default_rng(1).normal(size=(2, 4, 4, 3)).astype("float32")
    codes = np.array([[1.0, 0.0], [0.0, 1.0]], "float32")
    modulation = StyleModulation()
    np.testing.assert_allclose(np.asarray(modulation([features, codes])), features)
    kernel = np.zeros((2, 6), "float32")
    kernel[0, 0], kernel[1, 3 + 1] = 1.0, 0.5  # code 0 doubles channel 0; code 1 shifts channel 1 by 0.5
    modulation.kernel.assign(kernel)
    out = np.asarray(modulation([features, codes]))
    np.testing.assert_allclose(out[0, ..., 0], 2 * features[0, ..., 0], rtol=1e-6)
    np.testing.assert_allclose(out[0, ..., 1:], features[0, ..., 1:], rtol=1e-6)
    np.testing.assert_allclose(out[1, ..., 1], features[1, ..., 1] + 0.5, rtol=1e-6)
    np.testing.assert_allclose(out[1, ..., [0, 2]], features[1, ..., [0, 2]], rtol=1e-6)


def test_a_base_keeps_its_mapping_and_one_saved_before_it_has_none(tiny_config, tmp_path):
    styled = Trainer(attrs.evolve(tiny_config, g_mapping=2))
    for _ in styled.train(np.random.default_rng(3).integers(0, 256, (10, 16, 16, 3), np.uint8)):
        pass  # trained, so that its weights are not the ones a freshly built sampler starts with
    styled.save_base(tmp_path / "styled")
    loaded = load_config(environ={}, overrides={"init_from": str(tmp_path / "styled")})
    assert loaded.g_mapping == 2
    sampler = load_model_weights(build_sampler(loaded), tmp_path / "styled", "sampler")  # what latent loads
    assert sampler.count_params() == styled.models.sampler.count_params() > build_sampler(tiny_config).count_params()
    np.testing.assert_allclose(np.asarray(sampler(NOISE)), np.asarray(styled.models.sampler(NOISE)), atol=1e-5)
    Trainer(tiny_config).save_base(tmp_path / "old")
    forget_saved_settings(tmp_path / "old", "g_mapping")
    with pytest.raises(ConfigError, match=r"g_mapping 0 \(this run: 2\)"):
        Trainer(attrs.evolve(tiny_config, g_mapping=2, init_from=str(tmp_path / "old")))


def test_the_mapping_layers_weights_move_at_a_hundredth_of_the_optimisers_rate():
    import keras
    import tensorflow as tf

    dense = SlowDense(3, MAPPING_RATE, seed=0)
    inputs = tf.constant(np.random.default_rng(2).normal(size=(5, 4)), tf.float32)
    dense(inputs)

    def used():  # the weights the layer multiplies by
        return np.asarray(dense.kernel) * dense.scale

    before = used()
    assert 0.3 < before.std() * np.sqrt(4) < 3  # they start as N(0, 1/fan_in), not 100× that
    optimizer = keras.optimizers.Adam(0.1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(dense(inputs))
    optimizer.apply_gradients(zip(tape.gradient(loss, dense.trainable_weights), dense.trainable_weights))
    # Adam's first step moves every stored weight by the rate (its gradient's sign), so the weights used move
    # by rate × MAPPING_RATE / sqrt(fan_in).
    np.testing.assert_allclose(np.abs(used() - before), 0.1 * MAPPING_RATE / np.sqrt(4), rtol=1e-3)
