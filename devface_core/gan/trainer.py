"""Trains a GAN on one user's images with a single compiled step that updates D then G.

The dataset stays resident as a uint8 tensor; batches are drawn, scaled and trained inside the
`tf.function`, so Python only loops over steps. Every random draw comes from seeded generators, so a
given `Config.seed` gives the same snapshots on CPU.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Callable, Iterator

import keras
import numpy as np
import tensorflow as tf

from devface_core.config import Config
from devface_core.gan.models import build_models
from devface_core.types import Progress, Snapshot

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], None]


def to_pixels(images: tf.Tensor) -> np.ndarray:
    """Generator output in [-1, 1] to uint8 pixels."""
    scaled = tf.clip_by_value(tf.round((images + 1.0) * 127.5), 0.0, 255.0)
    return tf.cast(scaled, tf.uint8).numpy()


def _bce(labels_are_real: bool, logits: tf.Tensor) -> tf.Tensor:
    """Binary cross-entropy against all-real or all-fake labels, from logits."""
    labels = tf.ones_like(logits) if labels_are_real else tf.zeros_like(logits)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


class Trainer:
    """A GAN for one user: build from a Config, `train()` on uint8 images, receive Snapshots."""

    def __init__(self, config: Config):
        self.config = config
        keras.utils.set_random_seed(config.seed)
        self.generator, self.discriminator = build_models(
            config.architecture, config.image_size, config.z_dim, config.seed
        )
        self.g_optimizer = keras.optimizers.Adam(config.g_learning_rate, beta_1=config.beta_1)
        self.d_optimizer = keras.optimizers.Adam(config.d_learning_rate, beta_1=config.beta_1)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self._rng = tf.random.Generator.from_seed(config.seed)
        # Fixed noise: every snapshot shows the same latent points, so progress is comparable.
        self._fixed_noise = self._rng.normal([config.samples_per_snapshot, config.z_dim])
        self._compiled_step = tf.function(self._train_step)
        self.steps_done = 0

    def steps_per_epoch(self, image_count: int) -> int:
        """One epoch is one pass over the images: ceil(N / batch_size) steps."""
        return max(1, math.ceil(image_count / self.config.batch_size))

    def train(self, images: np.ndarray, progress: ProgressCallback | None = None) -> Iterator[Snapshot]:
        """Train for `config.epochs` on (N, S, S, 3) uint8 images, yielding a Snapshot every `sample_every`."""
        self._check_images(images)
        real_images = tf.constant(images, dtype=tf.uint8)
        steps = self.steps_per_epoch(len(images))
        started = time.perf_counter()
        for epoch in range(1, self.config.epochs + 1):
            for _ in range(steps):
                losses = self._compiled_step(real_images)
            self.steps_done += steps
            scalar_losses = {name: float(value) for name, value in losses.items()}
            if progress is not None:
                elapsed = time.perf_counter() - started
                progress(Progress(epoch, self.config.epochs, self.steps_done, scalar_losses, elapsed))
            if epoch % self.config.sample_every == 0 or epoch == self.config.epochs:
                yield self.snapshot(epoch, scalar_losses)

    def _check_images(self, images: np.ndarray) -> None:
        size = self.config.image_size
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (size, size, 3):
            raise ValueError(f"expected (N, {size}, {size}, 3) uint8 images, got {images.shape} {images.dtype}")

    def snapshot(self, epoch: int, losses: dict[str, float] | None = None) -> Snapshot:
        """Sample the generator on the fixed noise: individual uint8 images for this epoch."""
        images = to_pixels(self.generator(self._fixed_noise, training=False))
        return Snapshot(epoch=epoch, images=images, losses=dict(losses or {}))

    def save_generator(self, path: str) -> None:
        """Save the generator as a `.keras` file."""
        self.generator.save(path)

    def _train_step(self, real_images: tf.Tensor) -> dict[str, tf.Tensor]:
        batch = self.config.batch_size
        index = self._rng.uniform([batch], 0, tf.shape(real_images)[0], dtype=tf.int32)
        real = tf.cast(tf.gather(real_images, index), tf.float32) / 127.5 - 1.0
        d_loss, real_logits = self._discriminator_step(real, self._rng.normal([batch, self.config.z_dim]))
        g_loss = self._generator_step(self._rng.normal([batch, self.config.z_dim]))
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": tf.reduce_mean(tf.sigmoid(real_logits))}

    def _discriminator_step(self, real: tf.Tensor, noise: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        fake = self.generator(noise, training=True)
        with tf.GradientTape() as tape:
            # Real and fake pass separately, as in the original, so batch norm sees each batch alone.
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(fake, training=True)
            loss = 0.5 * (_bce(True, real_logits) + _bce(False, fake_logits))
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss, real_logits

    def _generator_step(self, noise: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = _bce(True, self.discriminator(self.generator(noise, training=True), training=True))
        variables = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss
