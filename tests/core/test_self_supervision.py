"""The discriminator's self-supervision (setting d_reconstruct): its decoder's output and loss, that training
teaches it to redraw the likes, and that a base keeps the setting."""

from __future__ import annotations

import attrs
import numpy as np
import pytest
import tensorflow as tf

from devface_core.config_loading import load_config
from devface_core.errors import ConfigError
from devface_core.gan.models import build_models
from devface_core.gan.self_supervision import has_decoder, logits_of, reconstruction_loss
from devface_core.gan.trainer import Trainer
from tests.helpers.bases import forget_saved_settings

# Eight flat colours: what the decoder must redraw is plain, so what it learns shows in few steps.
IMAGES = np.broadcast_to(np.random.default_rng(3).integers(0, 255, (8, 1, 1, 3)), (8, 16, 16, 3)).astype(np.uint8)


def _scaled(images: np.ndarray) -> tf.Tensor:
    return tf.constant(images.astype("float32") / 127.5 - 1.0)


def test_the_decoder_redraws_the_image_at_half_its_side_beside_the_logit():
    _, discriminator = build_models("fast", 64, 8, seed=0, d_reconstruct=True)
    _, plain = build_models("fast", 64, 8, seed=0)
    outputs = discriminator(tf.zeros([2, 64, 64, 3]))
    assert has_decoder(discriminator) and not has_decoder(plain)
    assert logits_of(outputs).shape == (2, 1) and outputs[1].shape == (2, 32, 32, 3)
    # The decoder is added after every other layer, so the discriminator's own layers start as the plain one's.
    for layer in plain.layers:
        if layer.weights:
            np.testing.assert_array_equal(layer.get_weights()[0], discriminator.get_layer(layer.name).get_weights()[0])


def test_the_loss_compares_with_the_image_shrunk_to_the_decoders_side():
    image = tf.constant(np.random.default_rng(0).uniform(-1, 1, (2, 8, 8, 3)), tf.float32)
    shrunk = tf.nn.avg_pool2d(image, 2, 2, "VALID")
    assert float(reconstruction_loss([None, shrunk], image)) == 0.0
    assert float(reconstruction_loss([None, shrunk + 0.5], image)) == pytest.approx(0.5)
    assert float(reconstruction_loss(tf.zeros([1, 1]), image)) == 0.0  # no decoder: nothing added


def test_training_teaches_the_decoder_to_redraw_the_likes(tiny_config):
    trainer = Trainer(attrs.evolve(tiny_config, d_reconstruct=True, augment="none", mirror=False, epochs=1000,
                                   max_steps=60))
    images = _scaled(IMAGES)
    before = float(reconstruction_loss(trainer.discriminator(images), images))
    list(trainer.train(IMAGES))
    after = float(reconstruction_loss(trainer.discriminator(images), images))
    assert trainer.steps_done == 60
    assert after < 0.5 * before, (before, after)


def test_a_base_keeps_the_setting_and_its_fine_tunes_must_match_it(tiny_config, tmp_path):
    Trainer(attrs.evolve(tiny_config, d_reconstruct=True)).save_base(tmp_path / "base")
    base = str(tmp_path / "base")
    assert load_config(environ={}, overrides={"init_from": base}).d_reconstruct
    tuned = Trainer(attrs.evolve(tiny_config, d_reconstruct=True, init_from=base))
    assert has_decoder(tuned.discriminator)
    with pytest.raises(ConfigError, match=r"d_reconstruct True \(this run: False\)"):
        Trainer(attrs.evolve(tiny_config, init_from=base))


def test_a_base_saved_before_the_setting_has_it_off(tiny_config, tmp_path):
    Trainer(tiny_config).save_base(tmp_path / "base")
    forget_saved_settings(tmp_path / "base", "d_reconstruct")
    Trainer(attrs.evolve(tiny_config, init_from=str(tmp_path / "base")))  # fits: off, as it was trained
    with pytest.raises(ConfigError, match=r"d_reconstruct False \(this run: True\)"):
        Trainer(attrs.evolve(tiny_config, d_reconstruct=True, init_from=str(tmp_path / "base")))


def test_the_setting_is_off_unless_asked_for_even_when_pretraining():
    assert not load_config(environ={}, pretraining=True).d_reconstruct
    assert load_config(environ={}, overrides={"d_reconstruct": True}, pretraining=True).d_reconstruct
    assert not load_config(environ={}).d_reconstruct
