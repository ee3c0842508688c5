"""Samples of a stage's sampling generator as uint8 pixels, always at the run's full image size."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from devface_core.gan.ema import StandingStatistics
from devface_core.gan.graphs import compiled


def to_pixels(images: tf.Tensor) -> np.ndarray:
    """Generator output in [-1, 1] to uint8 pixels."""
    scaled = tf.clip_by_value(tf.round((tf.cast(images, tf.float32) + 1.0) * 127.5), 0.0, 255.0)
    return tf.cast(scaled, tf.uint8).numpy()


class Sampling:
    """Draws one stage's samples; a stage below full size has its samples enlarged to `image_size`."""

    def __init__(self, models, image_size: int, full_size: bool, standing_noise: tf.Tensor):
        self._sampler, self._image_size, self._full_size = models.sampler, image_size, full_size
        self._standing = StandingStatistics(models.average, standing_noise) if models.average is not None else None
        # Compiled like the step: eagerly, one snapshot's two forward passes took longer than 100 steps
        # of a tiny model (the test suite's).
        self._compiled = compiled(self._pass, reduce_retracing=True)

    def standing_statistics(self) -> None:
        """Refresh the weight average's own batch-norm statistics (nothing without an average)."""
        if self._standing is not None:
            self._standing.refresh()

    def sample(self, noise: tf.Tensor) -> np.ndarray:
        """uint8 samples for a batch of noise vectors."""
        self.standing_statistics()
        return to_pixels(self._compiled(noise))

    def _pass(self, noise: tf.Tensor) -> tf.Tensor:
        images = self._sampler(noise, training=False)
        if self._full_size:
            return images
        size = self._image_size
        return tf.image.resize(tf.cast(images, tf.float32), (size, size), method="bilinear")
