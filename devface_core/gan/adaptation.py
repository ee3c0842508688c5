"""Teach a base to draw at its encoder's codes: the last stage of pretraining, after the encoder.

`personalize latent` draws a user's faces at their likes' codes plus a random step, codes the base never
trained on. This stage trains the base's sampler on exactly those: each step it draws from half a batch of
the prior's noise and half a batch of crowd faces' codes stepped as a user's are (latent.SPREAD), both judged
by the base's discriminator, and it redraws the crowd faces from their codes (the encoder's pyramid L1). The
discriminator keeps learning beside it. The sampler's weight average, at a short decay, becomes the base's.
Batch-norm statistics stay the base's standing ones: the generator runs in inference mode throughout.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from devface_core.config import Config
from devface_core.gan.augment import AdaptiveAugment, random_flip
from devface_core.gan.ema import average_copy, update_average
from devface_core.gan.encoder import pyramid_l1
from devface_core.gan.graphs import compiled, run_steps
from devface_core.gan.latent import SPREAD
from devface_core.gan.losses import hinge_d, hinge_g, r1_penalty
from devface_core.gan.recipe import R1_FOR_BASES
from devface_core.gan.self_supervision import logits_of

# Measured on the shipped base and on a crowd-only one (docs/benchmarks.md, "Teaching a base its codes"):
# half the base's learning rates, a weight average of 0.99 (the base's 0.999 would barely move in 1 000
# steps) and pretraining's R1.
RATE_SCALE, AVERAGE_DECAY = 0.5, 0.99
# What the discriminator sees of every image: pretraining's policy (PRETRAIN_DEFAULTS), whatever a user's
# runs augment with, as `devface adapt` loads a run's settings.
AUGMENT = "color"
# The redraw weighs as much as the adversarial loss: the redraw alone blurs, the adversarial loss alone
# does not keep a code's face.
REDRAW_WEIGHT = 1.0


class CodeAdaptation:
    """Trains float32 copies of a base's sampler and discriminator at its encoder's codes of uint8 `images`;
    `run(steps)` does the steps, `adapted()` gives the sampler's new weight average."""

    def __init__(self, sampler: keras.Model, discriminator: keras.Model, encoder: keras.Model, images: np.ndarray,
                 config: Config):
        from devface_core.gan.layers import set_sampling_noise
        from devface_core.gan.models import build_models
        from devface_core.gan.recipe import model_options

        self.generator, self.discriminator = build_models(config.architecture, config.image_size, config.z_dim,
                                                          config.seed, "float32", **model_options(config))
        set_sampling_noise(self.generator)  # it runs in inference mode, as the sampler it copies
        self.generator.set_weights(sampler.get_weights())
        self.discriminator.set_weights(discriminator.get_weights())
        self.average, self.encoder = average_copy(self.generator), encoder
        self._images, self._batch, self._z_dim = tf.constant(images, tf.uint8), config.batch_size, config.z_dim
        self._rng = tf.random.Generator.from_seed(config.seed + 11)
        self._augment = AdaptiveAugment(AUGMENT, 0, config.batch_size)
        self._g_optimizer, self._d_optimizer = (
            _adam(config.g_learning_rate, config.beta_1, self.generator),
            _adam(config.d_learning_rate, config.beta_1, self.discriminator))
        self._compiled = compiled(self._step)

    def run(self, steps: int) -> dict[str, float]:
        """Train `steps` steps; the last step's losses."""
        return run_steps(self._compiled, steps)

    def _batch_of_faces(self) -> tf.Tensor:
        index = self._rng.uniform([self._batch], 0, tf.shape(self._images)[0], dtype=tf.int32)
        return random_flip(tf.cast(tf.gather(self._images, index), tf.float32) / 127.5 - 1.0, self._rng)

    def _drawn_codes(self, codes: tf.Tensor) -> tf.Tensor:
        """Prior noise and the codes stepped as personalize latent steps a like's code."""
        direction = self._rng.normal(tf.shape(codes))
        direction /= tf.norm(direction, axis=1, keepdims=True)
        stepped = codes + SPREAD * tf.norm(codes, axis=1, keepdims=True) * direction
        return tf.concat([self._rng.normal([self._batch, self._z_dim]), stepped], 0)

    def _step(self) -> dict[str, tf.Tensor]:
        real, liked = self._batch_of_faces(), self._batch_of_faces()
        codes = tf.cast(self.encoder(liked), tf.float32)
        with tf.GradientTape() as tape:
            fake = self.generator(self._drawn_codes(codes), training=False)
            with tape.stop_recording():
                d_loss = self._discriminator_step(real, tf.stop_gradient(fake))
            adversarial = hinge_g(logits_of(self.discriminator(self._augment(fake, self._rng), training=True)))
            redraw = pyramid_l1(self.generator(codes, training=False), liked)
            loss = adversarial + REDRAW_WEIGHT * redraw
        variables = self.generator.trainable_variables
        self._g_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        update_average(self.average, self.generator, tf.constant(AVERAGE_DECAY))
        return {"d_loss": d_loss, "g_loss": adversarial, "redraw": redraw}

    def _discriminator_step(self, real: tf.Tensor, fake: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            real = self._augment(real, self._rng)
            real_logits = logits_of(self.discriminator(real, training=True))
            fake_logits = logits_of(self.discriminator(self._augment(fake, self._rng), training=True))
            loss = hinge_d(real_logits, fake_logits) + 0.5 * R1_FOR_BASES * r1_penalty(real_logits, real)
        variables = self.discriminator.trainable_variables
        self._d_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss


def _adam(rate: float, beta_1: float, model: keras.Model) -> keras.optimizers.Optimizer:
    optimizer = keras.optimizers.Adam(rate * RATE_SCALE, beta_1=beta_1)
    optimizer.build(model.trainable_variables)
    return optimizer
