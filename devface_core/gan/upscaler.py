"""A learned ×2 upscaler: faces drawn at a base's side, published with detail from twice that side.

It is trained with the base, on the crowd's likes read at twice the base's side (the front end posts
128² likes, so a 64² base has real detail to learn): each like is shrunk to the base's side, and most of the
time blurred too (a base draws softer faces than shrunk photos), and the upscaler learns, by L1, to redraw the
like at full side; with `upscaler_critic` above 0, also to pass a patch critic (upscaler_critic.py), as L1
alone averages every detail away. The critic judges enlarged likes, or, given faces the base drew, their
enlargements: what a run publishes (benchmarks/sharpness.py --critic-on samples). It is fully convolutional:
one model, any side.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from devface_core.gan.graphs import compiled, run_steps
from devface_core.gan.upscaler_critic import Critic
from devface_core.imaging import resized_faces

FACTOR = 2
CHANNELS, BLOCKS = 32, 3
# The blur a shrunk like gets, in pixels of the base's side: uniform up to the most, none below the least.
# Up to 0.9 or 1.2, the upscaler drew twice the detail of 0.6's, but a cross-hatched grid over the
# backgrounds, and MTCNN found fewer faces (benchmarks/sharpness.py; docs/benchmarks.md, "Published detail").
MIN_BLUR_SIGMA, MAX_BLUR_SIGMA = 0.3, 0.6


@keras.saving.register_keras_serializable(package="devface")
class PixelShuffle(layers.Layer):
    """(H, W, C·f²) → (H·f, W·f, C): each group of f² channels becomes an f×f block of pixels."""

    def call(self, inputs):
        return tf.nn.depth_to_space(inputs, FACTOR)

    def compute_output_shape(self, input_shape):
        height, width = (None if side is None else side * FACTOR for side in input_shape[1:3])
        return (input_shape[0], height, width, input_shape[3] // FACTOR ** 2)


def build_upscaler(seed: int = 0) -> keras.Model:
    """Residual 3×3 blocks at the small side, then a pixel shuffle to twice the side, added to the faces
    enlarged bilinearly; the last convolution starts at zero, so an untrained upscaler draws that plain
    enlargement."""
    image = keras.Input((None, None, 3), name="face")
    init = iter(keras.initializers.GlorotUniform(seed=seed * 1000 + 700 + k) for k in range(1 + 2 * BLOCKS))
    trunk = x = layers.Conv2D(CHANNELS, 3, padding="same", kernel_initializer=next(init))(image)
    for _ in range(BLOCKS):
        y = layers.Conv2D(CHANNELS, 3, padding="same", activation="relu", kernel_initializer=next(init))(x)
        x = x + 0.5 * layers.Conv2D(CHANNELS, 3, padding="same", kernel_initializer=next(init))(y)
    x = layers.Conv2D(3 * FACTOR ** 2, 3, padding="same", kernel_initializer="zeros")(x + trunk)
    enlarged = layers.UpSampling2D(FACTOR, interpolation="bilinear")(image)
    return keras.Model(image, enlarged + PixelShuffle()(x), name="upscaler")


def shrunk(images: np.ndarray, factor: int = FACTOR) -> np.ndarray:
    """uint8 faces shrunk by `factor` with the filter a run fits likes with (Lanczos)."""
    return resized_faces(images, images.shape[1] // factor)


def blurred(images: tf.Tensor, sigma: tf.Tensor) -> tf.Tensor:
    """Images blurred by a separable 5-tap Gaussian of width `sigma` (pixels)."""
    taps = tf.exp(-tf.square(tf.range(-2.0, 3.0)) / (2.0 * tf.square(tf.maximum(sigma, 1e-3))))
    taps = taps / tf.reduce_sum(taps)
    across = tf.tile(tf.reshape(taps, [1, 5, 1, 1]), [1, 1, 3, 1])
    down = tf.tile(tf.reshape(taps, [5, 1, 1, 1]), [1, 1, 3, 1])
    padded = tf.pad(images, [[0, 0], [2, 2], [2, 2], [0, 0]], "REFLECT")  # zeros would darken the borders
    return tf.nn.depthwise_conv2d(tf.nn.depthwise_conv2d(padded, across, [1] * 4, "VALID"), down, [1] * 4, "VALID")


class UpscalerTraining:
    """Trains an upscaler on resident uint8 likes at full side, by L1 and, unless `critic_weight` is 0, a
    patch critic; `run(steps)` does the steps. Given `drawn` (uint8 faces a base drew at the small side),
    the critic judges their enlargements instead of the likes', and `consistency` × L1 holds each enlargement's
    2×2 averages to the drawn face, so that detail is added and the face kept."""

    def __init__(self, upscaler: keras.Model, likes: np.ndarray, batch_size: int, seed: int = 0,
                 learning_rate: float = 4e-4, max_blur: float = MAX_BLUR_SIGMA, critic_weight: float = 0.0,
                 drawn: np.ndarray | None = None, consistency: float = 1.0):
        self.upscaler, self._max_blur = upscaler, max_blur
        self.critic, self._critic_weight = (Critic(seed) if critic_weight else None), critic_weight
        self._full, self._small = tf.constant(likes, tf.uint8), tf.constant(shrunk(likes), tf.uint8)
        self._drawn = None if drawn is None or not critic_weight else tf.constant(drawn, tf.uint8)
        self._consistency = consistency
        self._batch, self._rng = batch_size, tf.random.Generator.from_seed(seed + 11)
        self._optimizer = keras.optimizers.Adam(learning_rate)
        self._optimizer.build(upscaler.trainable_variables)
        self._compiled = compiled(self._step)

    def run(self, steps: int) -> dict[str, float]:
        """Train `steps` steps; the last step's losses."""
        return run_steps(self._compiled, steps)

    def _batch_of(self, *resident: tf.Tensor) -> list[tf.Tensor]:
        """The same random batch of each resident uint8 set of faces, in [-1, 1], mirrored together."""
        index = self._rng.uniform([self._batch], 0, tf.shape(resident[0])[0], dtype=tf.int32)
        mirrored = self._rng.uniform([self._batch, 1, 1, 1]) < 0.5
        faces = (tf.cast(tf.gather(images, index), tf.float32) / 127.5 - 1.0 for images in resident)
        return [tf.where(mirrored, x[:, :, ::-1], x) for x in faces]

    def _pairs(self) -> tuple[tf.Tensor, tf.Tensor]:
        """A batch of (small, full) likes, the small ones blurred by a random width."""
        small, full = self._batch_of(self._small, self._full)
        sigma = self._rng.uniform([], 0.0, self._max_blur)
        return tf.cond(sigma > MIN_BLUR_SIGMA, lambda: blurred(small, sigma), lambda: small), full

    def _step(self) -> dict[str, tf.Tensor]:
        small, full = self._pairs()
        with tf.GradientTape() as tape, tf.GradientTape() as critic_tape:
            upscaled = self.upscaler(small, training=True)
            l1 = tf.reduce_mean(tf.abs(upscaled - full))
            losses, loss = {"l1": l1}, l1
            if self.critic is not None:
                judged = upscaled
                if self._drawn is not None:
                    (drawn,) = self._batch_of(self._drawn)
                    judged = self.upscaler(drawn, training=True)
                    averages = tf.nn.avg_pool2d(judged, FACTOR, FACTOR, "VALID")
                    losses["consistency"] = tf.reduce_mean(tf.abs(averages - drawn))
                    loss += self._consistency * losses["consistency"]
                losses["critic"], losses["adversarial"] = self.critic.losses(full, judged)
                loss += self._critic_weight * losses["adversarial"]
        variables = self.upscaler.trainable_variables
        self._optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        if self.critic is not None:
            self.critic.update(critic_tape, losses["critic"])
        return losses


def upscale(upscaler: keras.Model, faces: np.ndarray) -> np.ndarray:
    """uint8 faces at twice their side."""
    drawn = upscaler(tf.cast(faces, tf.float32) / 127.5 - 1.0, training=False)
    return np.asarray(tf.clip_by_value(tf.round(drawn * 127.5 + 127.5), 0, 255), dtype=np.uint8)
