"""UpConv2D is UpSampling2D + Conv2D computed at the small side: same values, gradients and weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers

from devface_core.gan.upconv import UpConv2D, blur_121


def _pair(side: int, channels: int, filters: int, use_bias: bool = True) -> tuple[keras.Model, keras.Model]:
    """(literal upsample + conv, UpConv2D), built from the same seeded initialiser."""
    image = keras.Input((side, side, channels))
    literal = layers.Conv2D(filters, 3, padding="same", use_bias=use_bias, bias_initializer="random_normal",
                            kernel_initializer=keras.initializers.GlorotUniform(seed=7))(layers.UpSampling2D()(image))
    fused = UpConv2D(filters, use_bias=use_bias, kernel_initializer=keras.initializers.GlorotUniform(seed=7))(image)
    literal_model, fused_model = keras.Model(image, literal), keras.Model(image, fused)
    fused_model.set_weights(literal_model.get_weights())
    return literal_model, fused_model


@pytest.mark.parametrize("side", [1, 8, 11])
def test_outputs_and_gradients_equal_upsampling_then_convolution(side):
    literal, fused = _pair(side, 5, 6)
    images = tf.random.stateless_normal([2, side, side, 5], seed=(1, side))
    target = tf.random.stateless_normal([2, 2 * side, 2 * side, 6], seed=(2, side))
    results = []
    for model in (literal, fused):
        with tf.GradientTape() as tape:
            tape.watch(images)
            output = model(images)
            loss = tf.reduce_sum(output * target)
        results.append((output, *tape.gradient(loss, [images, *model.trainable_variables])))
    assert results[1][0].shape == (2, 2 * side, 2 * side, 6)
    for expected, got in zip(*results):
        np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-4, atol=1e-4)


def test_starts_from_the_same_weights_as_the_conv_it_replaces_and_saves_its_settings():
    literal, fused = _pair(8, 3, 4, use_bias=False)
    fresh = UpConv2D(4, use_bias=False, kernel_initializer=keras.initializers.GlorotUniform(seed=7))
    fresh.build((None, 8, 8, 3))
    np.testing.assert_array_equal(fresh.kernel.numpy(), literal.layers[-1].kernel.numpy())
    restored = UpConv2D.from_config(fused.layers[-1].get_config())
    assert (restored.filters, restored.use_bias) == (4, False)


@pytest.mark.parametrize("side", [1, 6])
def test_blurring_a_nearest_upsample_is_the_bilinear_upsample(side):
    images = tf.random.stateless_normal([2, side, side, 3], seed=(3, side))
    nearest = tf.image.resize(images, [2 * side, 2 * side], method="nearest")
    bilinear = tf.image.resize(images, [2 * side, 2 * side], method="bilinear")
    np.testing.assert_allclose(blur_121(nearest).numpy(), bilinear.numpy(), rtol=1e-5, atol=1e-5)


def test_smooth_equals_bilinear_upsampling_then_convolution_away_from_the_border():
    image = keras.Input((9, 9, 4))
    initializer = keras.initializers.GlorotUniform(seed=5)
    upsampled = layers.UpSampling2D(interpolation="bilinear")(image)
    literal = keras.Model(image, layers.Conv2D(6, 3, padding="same", kernel_initializer=initializer)(upsampled))
    smooth = keras.Model(image, UpConv2D(6, smooth=True, kernel_initializer=initializer)(image))
    smooth.set_weights(literal.get_weights())
    images = tf.random.stateless_normal([2, 9, 9, 4], seed=(4, 4))
    expected, got = literal(images).numpy(), smooth(images).numpy()
    np.testing.assert_allclose(got[:, 2:-2, 2:-2], expected[:, 2:-2, 2:-2], rtol=1e-4, atol=1e-4)
    sharp = UpConv2D(6, kernel_initializer=initializer)
    sharp_model = keras.Model(image, sharp(image))
    sharp_model.set_weights(literal.get_weights())
    assert np.abs(sharp_model(images).numpy() - expected)[:, 2:-2, 2:-2].max() > 0.05  # the blur is what matches
    assert UpConv2D.from_config(smooth.layers[-1].get_config()).smooth
