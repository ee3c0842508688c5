"""An encoder into a base's noise space: faces → noise vectors, so a user's likes cost one forward pass.

It is trained after the base, against the frozen sampler, on two losses: noise vectors it must recover
from the sampler's own faces (which keeps its codes where the sampler was trained), and the crowd's real
likes, which the sampler must redraw from their codes at several scales (which makes the codes carry what
a real face shows: hair, glasses, the shape of a face). See latent.py for how a user's codes are used.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from devface_core.gan.augment import random_flip
from devface_core.gan.graphs import compiled, run_steps

# Scales at which a redrawn like is compared with the like (full side, then halves): the coarse ones
# carry a face's layout and colours, which a blurry redraw can still match.
PYRAMID_LEVELS = 4
# The codes of the sampler's own faces weigh as much as the likes' redraws: with the redraws alone, codes
# wandered far outside the noise the sampler was trained on, and faces drawn from them came out smeared.
LATENT_WEIGHT = 1.0


def build_encoder(image_size: int, z_dim: int, seed: int = 0) -> keras.Model:
    """Strided 4×4 convolutions halving the side down to 4×4 (32 to 128 channels, each followed by a 3×3),
    then one dense layer to a noise vector. No batch norm, so a face's code never depends on its batch."""
    image = keras.Input((image_size, image_size, 3), name="image")
    x, side, filters, counter = image, image_size, 32, seed * 1000 + 500
    while side > 4:
        for kernel, strides in ((4, 2), (3, 1)):
            counter += 1
            x = layers.Conv2D(filters, kernel, strides=strides, padding="same",
                              kernel_initializer=keras.initializers.GlorotUniform(seed=counter))(x)
            x = layers.LeakyReLU(negative_slope=0.2)(x)
        side, filters = side // 2, min(128, filters * 2)
    x = layers.Flatten()(x)
    code = layers.Dense(z_dim, kernel_initializer=keras.initializers.GlorotUniform(seed=counter + 1), name="code")(x)
    return keras.Model(image, code, name="encoder")


def pyramid_l1(first: tf.Tensor, second: tf.Tensor, levels: int = PYRAMID_LEVELS) -> tf.Tensor:
    """Mean absolute difference of two image batches at the full side and each halving below it, summed."""
    total = tf.constant(0.0)
    for level in range(levels):
        if level:
            first, second = (tf.nn.avg_pool2d(x, 2, 2, "VALID") for x in (first, second))
        total += tf.reduce_mean(tf.abs(first - second))
    return total


class EncoderTraining:
    """Trains an encoder against a frozen sampler on resident uint8 likes; `run(steps)` does the steps."""

    def __init__(self, sampler: keras.Model, encoder: keras.Model, images: np.ndarray, batch_size: int,
                 seed: int = 0, learning_rate: float = 1e-3):
        self.sampler, self.encoder = sampler, encoder
        self._images = tf.constant(images, tf.uint8)
        self._batch, self._z_dim = batch_size, int(sampler.inputs[0].shape[-1])
        self._rng = tf.random.Generator.from_seed(seed + 7)
        self._optimizer = keras.optimizers.Adam(learning_rate)
        self._optimizer.build(encoder.trainable_variables)
        self._compiled = compiled(self._step)

    def run(self, steps: int) -> dict[str, float]:
        """Train `steps` steps; the last step's losses."""
        return run_steps(self._compiled, steps)

    def _step(self) -> dict[str, tf.Tensor]:
        noise = self._rng.normal([self._batch, self._z_dim])
        drawn = tf.cast(self.sampler(noise, training=False), tf.float32)
        index = self._rng.uniform([self._batch], 0, tf.shape(self._images)[0], dtype=tf.int32)
        liked = random_flip(tf.cast(tf.gather(self._images, index), tf.float32) / 127.5 - 1.0, self._rng)
        with tf.GradientTape() as tape:
            latent = tf.reduce_mean(tf.square(tf.cast(self.encoder(drawn), tf.float32) - noise))
            redrawn = tf.cast(self.sampler(self.encoder(liked), training=False), tf.float32)
            redraw = pyramid_l1(redrawn, liked)
            loss = LATENT_WEIGHT * latent + redraw
        variables = self.encoder.trainable_variables
        self._optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return {"latent": latent, "redraw": redraw}


def encode(encoder: keras.Model, images: np.ndarray) -> np.ndarray:
    """Noise vectors for uint8 faces at the encoder's side, as float32 (N, z_dim)."""
    scaled = tf.cast(images, tf.float32) / 127.5 - 1.0
    return np.asarray(encoder(scaled, training=False), dtype=np.float32)
