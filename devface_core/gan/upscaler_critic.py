"""The upscaler's patch critic (the setting `upscaler_critic`): detail that L1 alone averages away.

L1 against the full-size like rewards the mean of every detail the small face could hide, so an upscaler
trained by it alone draws soft faces (sharpness 0.17 of real faces'). A small critic that sees a face and
its finest octave (the face less its half-side copy enlarged again) scores patches of about 20 pixels as
real or upscaled, and the upscaler is also trained to pass it. Every judge gained, but part of the detail
is a speckle the eye sees, so it is off by default (docs/benchmarks.md, "Published detail: an upscaler
taught by a critic"). The critic has no R1 penalty: telling detail from its absence needs steep gradients
in the pixels, and R1 at 0.01 or 1 held it at chance in the runs measured.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

# (channels, kernel, stride) per convolution; the first keeps the full side, so a pattern one pixel wide is seen.
LAYERS = ((16, 3, 1), (32, 4, 2), (64, 4, 2), (64, 3, 1))
LEARNING_RATE = 1e-3
# The finest octave is faint beside the face; scaled up, the critic's first layer sees both at one scale.
OCTAVE_GAIN = 4.0


def finest_octave(images: tf.Tensor) -> tf.Tensor:
    """Images less their half-side average enlarged bilinearly: the detail only the full side holds."""
    half = tf.nn.avg_pool2d(images, 2, 2, "VALID")
    return images - tf.image.resize(half, tf.shape(images)[1:3], "bilinear")


def critic_view(images: tf.Tensor) -> tf.Tensor:
    """What the critic sees: the faces and their finest octave, as six channels."""
    return tf.concat([images, OCTAVE_GAIN * finest_octave(images)], axis=-1)


def build_critic(seed: int = 0) -> keras.Model:
    """Strided 3×3/4×4 convolutions to one logit per patch, for faces in [-1, 1] of any even side."""
    x = view = keras.Input((None, None, 6), name="view")
    for k, (channels, kernel, stride) in enumerate(LAYERS):
        init = keras.initializers.GlorotUniform(seed=seed * 1000 + 800 + k)
        x = layers.LeakyReLU(0.2)(layers.Conv2D(channels, kernel, stride, padding="same", kernel_initializer=init)(x))
    last = keras.initializers.GlorotUniform(seed=seed * 1000 + 899)
    logits = layers.Conv2D(1, 3, padding="same", kernel_initializer=last)(x)
    return keras.Model(view, logits, name="upscaler_critic")


class Critic:
    """The critic and its optimizer: `losses(real, upscaled)` inside a tape, then `update(tape, loss)`."""

    def __init__(self, seed: int = 0):
        self.model = build_critic(seed)
        self._optimizer = keras.optimizers.Adam(LEARNING_RATE, beta_1=0.5, beta_2=0.99)
        self._optimizer.build(self.model.trainable_variables)

    def losses(self, real: tf.Tensor, upscaled: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        """(the critic's loss, the upscaler's adversarial loss), non-saturating, averaged over patches."""
        real_logits = self.model(critic_view(real), training=True)
        upscaled_logits = self.model(critic_view(upscaled), training=True)
        critic = tf.reduce_mean(tf.nn.softplus(-real_logits)) + tf.reduce_mean(tf.nn.softplus(upscaled_logits))
        return critic, tf.reduce_mean(tf.nn.softplus(-upscaled_logits))

    def update(self, tape: tf.GradientTape, loss: tf.Tensor) -> None:
        """One optimizer step of the critic on `loss`, recorded by `tape`."""
        variables = self.model.trainable_variables
        self._optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
