"""The adversarial losses by architecture, and R1. Losses are computed in float32 whatever the precision."""

from __future__ import annotations

import tensorflow as tf

from devface_core.choices import ARCHITECTURES


def hinge_d(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """The discriminator's hinge loss."""
    real_logits, fake_logits = tf.cast(real_logits, tf.float32), tf.cast(fake_logits, tf.float32)
    return tf.reduce_mean(tf.nn.relu(1.0 - real_logits)) + tf.reduce_mean(tf.nn.relu(1.0 + fake_logits))


def hinge_g(fake_logits: tf.Tensor) -> tf.Tensor:
    """The generator's hinge loss."""
    return -tf.reduce_mean(tf.cast(fake_logits, tf.float32))


def bce_d(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    """The original's discriminator loss: cross-entropy, reals as real and fakes as fake."""
    return 0.5 * (_bce(True, real_logits) + _bce(False, fake_logits))


def bce_g(fake_logits: tf.Tensor) -> tf.Tensor:
    """The original's generator loss: cross-entropy with fakes labelled real."""
    return _bce(True, fake_logits)


# (discriminator loss, generator loss) per architecture: the original's cross-entropy, hinge for `fast`.
LOSSES = {"seed": (bce_d, bce_g), "fast": (hinge_d, hinge_g)}
assert set(LOSSES) == set(ARCHITECTURES), "choices.ARCHITECTURES must list every loss pair"


def _bce(labels_are_real: bool, logits: tf.Tensor) -> tf.Tensor:
    """Binary cross-entropy against all-real or all-fake labels, from logits."""
    logits = tf.cast(logits, tf.float32)
    labels = tf.ones_like(logits) if labels_are_real else tf.zeros_like(logits)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


def r1_penalty(logits: tf.Tensor, images: tf.Tensor) -> tf.Tensor:
    """Mean over the batch of ‖∂D/∂image‖² (Mescheder et al. 2018's R1), for `logits` computed from `images`
    in a compiled function (tf.gradients: inside the step, a nested tape returned no gradient)."""
    gradient = tf.gradients(tf.reduce_sum(tf.cast(logits, tf.float32)), images)[0]
    return tf.reduce_mean(tf.reduce_sum(tf.square(tf.cast(gradient, tf.float32)), axis=[1, 2, 3]))
