"""Self-attention at 16×16 (setting attention): where it sits, that it starts as no change and then mixes every
position into every other, that a base keeps it, and that without it the networks are those earlier bases had."""

from __future__ import annotations

import attrs
import keras
import numpy as np
import pytest

from devface_core.config_loading import load_config
from devface_core.errors import ConfigError
from devface_core.gan.attention import GAMMA_RATE, SelfAttention
from devface_core.gan.bases import load_model_weights
from devface_core.gan.latent import build_sampler
from devface_core.gan.models import build_models
from devface_core.gan.trainer import Trainer
from tests.helpers.bases import forget_saved_settings

NOISE = np.random.default_rng(0).normal(size=(2, 8)).astype("float32")


def _attention_layers(model) -> list[str]:
    return [layer.name for layer in model.layers if isinstance(layer, SelfAttention)]


def test_attention_sits_at_16_in_both_networks_and_nowhere_without_the_setting():
    generator, discriminator = build_models("fast", 64, 8, seed=0, attention=True)
    assert _attention_layers(generator) == ["g_attention_16"] and _attention_layers(discriminator) == ["d_attention_16"]
    assert generator(NOISE).shape == (2, 64, 64, 3) and discriminator(np.zeros((2, 64, 64, 3))).shape == (2, 1)
    plain = build_models("fast", 64, 8, seed=0)
    assert not [name for model in plain for name in _attention_layers(model)]


def test_without_attention_the_discriminator_starts_from_the_seeds_it_always_did():
    _, discriminator = build_models("fast", 32, 8, seed=3)
    # The generator of a 32² base draws 4 seeds (dense, two blocks, to-RGB); the discriminator's first layer
    # takes the next. Had the setting drawn seeds while off, every starting weight after it would have moved.
    kernel = discriminator.get_layer("d_from_rgb_32").layer.kernel
    expected = keras.initializers.GlorotUniform(seed=3004)(tuple(kernel.shape))
    np.testing.assert_array_equal(np.asarray(kernel), np.asarray(expected))


def test_the_block_starts_as_no_change_and_then_mixes_in_every_position():
    features = np.random.default_rng(1).normal(size=(1, 16, 16, 8)).astype("float32")
    block = SelfAttention(seeds=[1, 2, 3, 4])
    np.testing.assert_allclose(np.asarray(block(features)), features)
    block.gamma.assign(1.0 / GAMMA_RATE)
    moved_far = features.copy()
    moved_far[0, 15, 15] += 5.0  # one position in the far corner
    before, after = np.asarray(block(features)), np.asarray(block(moved_far))
    # The opposite corner changes too: a stack of 3×3 convolutions this shallow could not reach it.
    assert np.abs(after[0, 0, 0] - before[0, 0, 0]).max() > 1e-3


def test_the_discriminators_block_is_spectrally_normalised_and_runs_in_bfloat16():
    _, discriminator = build_models("fast", 32, 8, seed=0, precision="mixed_bfloat16", attention=True)
    block = discriminator.get_layer("d_attention_16")
    assert all(isinstance(projection, keras.layers.SpectralNormalization) for projection in block.projections)
    logits = discriminator(np.random.default_rng(2).uniform(-1, 1, (2, 32, 32, 3)), training=True)
    assert np.isfinite(np.asarray(logits, "float32")).all()



def test_under_bfloat16_the_attention_map_is_computed_in_float32(monkeypatch):
    _, discriminator = build_models("fast", 32, 8, seed=0, precision="mixed_bfloat16", attention=True)
    softmax, seen = keras.ops.softmax, []

    def recording_softmax(x, axis=-1):
        seen.append(keras.backend.standardize_dtype(x.dtype))
        return softmax(x, axis=axis)

    # Eager, so the block's call runs here and its softmax is looked up on keras.ops at each call.
    monkeypatch.setattr(keras.ops, "softmax", recording_softmax)
    discriminator(np.zeros((1, 32, 32, 3), "float32"))
    assert discriminator.get_layer("d_attention_16").compute_dtype == "bfloat16" and seen == ["float32"]

def test_a_base_keeps_its_attention_and_one_saved_before_it_has_none(tiny_config, tmp_path):
    config = attrs.evolve(tiny_config, image_size=32, attention=True)
    attending = Trainer(config)
    for _ in attending.train(np.random.default_rng(3).integers(0, 256, (10, 32, 32, 3), np.uint8)):
        pass  # trained, so that its weights (γ included) are not the ones a freshly built sampler starts with
    assert float(attending.models.sampler.get_layer("g_attention_16").gamma.numpy()) != 0.0
    attending.save_base(tmp_path / "attending")
    loaded = load_config(environ={}, overrides={"init_from": str(tmp_path / "attending")})
    assert loaded.attention
    sampler = load_model_weights(build_sampler(loaded), tmp_path / "attending", "sampler")  # what latent loads
    np.testing.assert_allclose(np.asarray(sampler(NOISE)), np.asarray(attending.models.sampler(NOISE)), atol=1e-5)
    Trainer(tiny_config).save_base(tmp_path / "old")
    forget_saved_settings(tmp_path / "old", "attention")
    with pytest.raises(ConfigError, match=r"attention False \(this run: True\)"):
        Trainer(attrs.evolve(tiny_config, attention=True, init_from=str(tmp_path / "old")))


def _attended_branch(block: SelfAttention, features: np.ndarray) -> np.ndarray:
    """out(softmax(query·keyᵀ)·value), computed here from the block's own projections."""
    query, key, value = (np.asarray(projection(features)).reshape(256, -1) for projection in block.projections[:3])
    logits = query @ key.T
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    weights /= weights.sum(axis=1, keepdims=True)
    return np.asarray(block.projections[3]((weights @ value).reshape(1, 16, 16, -1)))


def test_gamma_learns_at_gamma_rate_times_the_optimisers_rate():
    import tensorflow as tf

    features = np.random.default_rng(4).normal(size=(1, 16, 16, 8)).astype("float32")
    block = SelfAttention(seeds=[1, 2, 3, 4])
    block(features)
    optimizer = keras.optimizers.Adam(1e-3)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(block(features) * features)
    optimizer.apply_gradients([(tape.gradient(loss, block.gamma), block.gamma)])
    # Adam's first step moves a weight by its rate whatever the gradient's size; γ as the block uses it moves
    # GAMMA_RATE times as far.
    change, branch = np.asarray(block(features)) - features, _attended_branch(block, features)
    used = float((change * branch).sum() / (branch * branch).sum())  # least squares: change = γ · branch
    assert abs(used) == pytest.approx(GAMMA_RATE * 1e-3, rel=1e-3)


def _accepted(**overrides) -> bool:
    try:
        load_config(environ={}, overrides={"attention": True, **overrides})
    except ConfigError as error:
        assert "attention" in str(error)
        return False
    return True


@pytest.mark.parametrize("image_size", [16, 24, 32, 48, 96, 128])
def test_a_size_is_refused_exactly_when_a_network_would_lack_the_block(image_size):
    generator, discriminator = build_models("fast", image_size, 8, seed=0, attention=True)
    both = bool(_attention_layers(generator)) and bool(_attention_layers(discriminator))
    assert _accepted(image_size=image_size) == both


def test_growth_from_a_side_without_the_block_and_the_seed_architecture_are_refused():
    assert _accepted(image_size=64, grow_from=32)
    assert not _accepted(image_size=64, grow_from=16)
    assert not _accepted(architecture="seed")
