"""Trains a GAN on one user's images with a single compiled step that updates D then G.

The dataset stays resident as a uint8 tensor; batches are drawn, scaled and trained inside the
`tf.function`, so Python only loops over steps. Every random draw comes from seeded generators, so a
given `Config.seed` gives the same snapshots on CPU.
"""

from __future__ import annotations

import logging
import math
import time
from pathlib import Path
from typing import Callable, Iterator

import keras
import numpy as np
import tensorflow as tf

from devface_core.base_model import load_base
from devface_core.config import Config
from devface_core.gan.augment import adapted_probability, diff_augment, random_flip
from devface_core.gan.checkpoints import TrainingCheckpoints
from devface_core.gan.models import build_models
from devface_core.types import Progress, Snapshot

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], None]
# ADA's speed: p may go from 0 to 1 within this many real images. StyleGAN2-ADA uses 500k; a CPU run
# sees about 100k images in ten minutes, so this is scaled down for p to matter within a run.
ADA_IMAGES_TO_SATURATE = 20_000


def to_pixels(images: tf.Tensor) -> np.ndarray:
    """Generator output in [-1, 1] to uint8 pixels."""
    scaled = tf.clip_by_value(tf.round((tf.cast(images, tf.float32) + 1.0) * 127.5), 0.0, 255.0)
    return tf.cast(scaled, tf.uint8).numpy()


def resident_images(images: np.ndarray) -> tf.Tensor:
    """The uint8 dataset as a tensor; on CPU it shares the array's memory when the array allows it."""
    aligned = images.flags.c_contiguous and images.ctypes.data % 64 == 0
    if aligned and len(images) and not tf.config.list_physical_devices("GPU"):
        # DLPack hands TensorFlow the same buffer: the dataset is not held twice during training.
        return tf.experimental.dlpack.from_dlpack(images.__dlpack__())
    return tf.constant(images, dtype=tf.uint8)


def _hinge_d(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    real_logits, fake_logits = tf.cast(real_logits, tf.float32), tf.cast(fake_logits, tf.float32)
    return tf.reduce_mean(tf.nn.relu(1.0 - real_logits)) + tf.reduce_mean(tf.nn.relu(1.0 + fake_logits))


def _hinge_g(fake_logits: tf.Tensor) -> tf.Tensor:
    return -tf.reduce_mean(tf.cast(fake_logits, tf.float32))


def _bce_d(real_logits: tf.Tensor, fake_logits: tf.Tensor) -> tf.Tensor:
    return 0.5 * (_bce(True, real_logits) + _bce(False, fake_logits))


def _bce_g(fake_logits: tf.Tensor) -> tf.Tensor:
    return _bce(True, fake_logits)


# (discriminator loss, generator loss) per architecture: the original's cross-entropy, hinge for `fast`.
LOSSES = {"seed": (_bce_d, _bce_g), "fast": (_hinge_d, _hinge_g)}


def _bce(labels_are_real: bool, logits: tf.Tensor) -> tf.Tensor:
    """Binary cross-entropy against all-real or all-fake labels, from logits."""
    logits = tf.cast(logits, tf.float32)  # losses in float32 whatever the compute precision
    labels = tf.ones_like(logits) if labels_are_real else tf.zeros_like(logits)
    return tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))


class Trainer:
    """A GAN for one user: build from a Config, `train()` on uint8 images, receive Snapshots."""

    def __init__(self, config: Config, checkpoint_dir: str | Path | None = None):
        self.config = config
        keras.utils.set_random_seed(config.seed)
        self.generator, self.discriminator = build_models(
            config.architecture, config.image_size, config.z_dim, config.seed, config.precision
        )
        self.g_optimizer = keras.optimizers.Adam(config.g_learning_rate, beta_1=config.beta_1)
        self.d_optimizer = keras.optimizers.Adam(config.d_learning_rate, beta_1=config.beta_1)
        self.g_optimizer.build(self.generator.trainable_variables)
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self._d_loss, self._g_loss = LOSSES[config.architecture]
        # Adaptive augmentation starts at p = 0 and earns its strength from the discriminator's overfitting.
        self.augment_probability = tf.Variable(0.0 if config.ada_target else 1.0, trainable=False)
        self.ema_generator = self._ema_copy() if config.ema else None
        # What snapshots and the published face come from: the weight average when there is one.
        self.sampler = self.ema_generator or self.generator
        if config.init_from:
            load_base(self, config.init_from)  # fine-tuning: a resumed checkpoint still overrides it
        self._rng = tf.random.Generator.from_seed(config.seed)
        # Fixed noise: every snapshot shows the same latent points, so progress is comparable.
        self._fixed_noise = self._rng.normal([config.samples_per_snapshot, config.z_dim])
        self._compiled_step = tf.function(self._train_step)
        self.steps_done = 0
        self.resumed_from_epoch: int | None = None
        self._checkpoints = TrainingCheckpoints(checkpoint_dir, self._state(), config) if checkpoint_dir else None

    def _ema_copy(self) -> keras.Model:
        copy = keras.models.clone_model(self.generator)
        copy.set_weights(self.generator.get_weights())
        return copy

    def _state(self) -> tf.train.Checkpoint:
        """Everything a resumed run needs to continue exactly (variable lists, so seed states are included)."""
        self._progress = tf.Variable([0, 0], dtype=tf.int64, trainable=False)  # [epoch, steps done]
        return tf.train.Checkpoint(
            generator=[v.value for v in self.generator.variables],
            discriminator=[v.value for v in self.discriminator.variables],
            g_optimizer=[v.value for v in self.g_optimizer.variables],
            d_optimizer=[v.value for v in self.d_optimizer.variables],
            ema_generator=[v.value for v in self.ema_generator.variables] if self.ema_generator else [],
            augment_probability=self.augment_probability,
            rng=self._rng,
            progress=self._progress,
        )

    def steps_per_epoch(self, image_count: int) -> int:
        """One epoch is one pass over the images: ceil(N / batch_size) steps."""
        return max(1, math.ceil(image_count / self.config.batch_size))

    def train(self, images: np.ndarray, progress: ProgressCallback | None = None) -> Iterator[Snapshot]:
        """Train for `config.epochs` on (N, S, S, 3) uint8 images, yielding a Snapshot every `sample_every`."""
        self._check_images(images)
        real_images = resident_images(images)
        steps = self.steps_per_epoch(len(images))
        first_epoch, history = self._start()
        yield from history
        started = time.perf_counter()
        for epoch in range(first_epoch, self.config.epochs + 1):
            if self._steps_left(steps) == 0:
                return
            scalar_losses = self.run_steps(real_images, self._steps_left(steps))
            logger.debug("epoch %d/%d trained (step %d)", epoch, self.config.epochs, self.steps_done)
            if progress is not None:
                elapsed = time.perf_counter() - started
                progress(Progress(epoch, self.config.epochs, self.steps_done, scalar_losses, elapsed))
            out_of_time = self.config.max_seconds and time.perf_counter() - started >= self.config.max_seconds
            last = epoch == self.config.epochs or self._steps_left(steps) == 0 or bool(out_of_time)
            if epoch % self.config.sample_every == 0 or last:
                history.append(self.snapshot(epoch, scalar_losses))
                yield history[-1]
            if self._checkpoints and (epoch % self.config.checkpoint_every == 0 or last):
                self._progress.assign([epoch, self.steps_done])
                self._checkpoints.save(epoch, history)
            if last:
                return

    def _start(self) -> tuple[int, list[Snapshot]]:
        """(first epoch to train, snapshots so far): from the last checkpoint when resuming, else fresh."""
        if self._checkpoints is None:
            return 1, []
        if not self.config.resume:
            self._checkpoints.clear()
            return 1, []
        restored = self._checkpoints.restore()
        if restored is None:
            logger.info("no checkpoint in %s yet: training from the start", self._checkpoints.directory)
            return 1, []
        epoch, history = restored
        self.steps_done = int(self._progress[1])
        self.resumed_from_epoch = epoch
        return epoch + 1, history

    def run_steps(self, real_images: tf.Tensor, count: int) -> dict[str, float]:
        """Run `count` compiled training steps on a resident uint8 tensor; return the last step's losses."""
        losses: dict[str, tf.Tensor] = {}
        for _ in range(count):
            losses = self._compiled_step(real_images)
        self.steps_done += count
        return {name: float(value) for name, value in losses.items()}

    def _steps_left(self, steps_per_epoch: int) -> int:
        """Steps for the next epoch: a full epoch, or fewer where `max_steps` stops training early."""
        if not self.config.max_steps:
            return steps_per_epoch
        return max(0, min(steps_per_epoch, self.config.max_steps - self.steps_done))

    def _check_images(self, images: np.ndarray) -> None:
        size = self.config.image_size
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (size, size, 3):
            raise ValueError(f"expected (N, {size}, {size}, 3) uint8 images, got {images.shape} {images.dtype}")

    def snapshot(self, epoch: int, losses: dict[str, float] | None = None) -> Snapshot:
        """Sample the generator on the fixed noise: individual uint8 images for this epoch."""
        images = to_pixels(self.sampler(self._fixed_noise, training=False))
        return Snapshot(epoch=epoch, images=images, losses=dict(losses or {}))

    def generate(self, count: int, seed: int = 12345) -> np.ndarray:
        """`count` uint8 samples from the sampling generator on noise of its own seed (for measuring)."""
        noise = tf.random.stateless_normal([count, self.config.z_dim], seed=(seed, 0))
        return to_pixels(self.sampler(noise, training=False))

    def save_generator(self, path: str) -> None:
        """Save the generator that samples (the weight average when there is one) as a `.keras` file."""
        self.sampler.save(path)

    def _train_step(self, real_images: tf.Tensor) -> dict[str, tf.Tensor]:
        batch = self.config.batch_size
        index = self._rng.uniform([batch], 0, tf.shape(real_images)[0], dtype=tf.int32)
        real = tf.cast(tf.gather(real_images, index), tf.float32) / 127.5 - 1.0
        if self.config.mirror:
            real = random_flip(real, self._rng)
        noise = self._rng.normal([batch, self.config.z_dim])
        # One generator forward pass serves both updates (as PyTorch's DCGAN example does): D learns from
        # it detached, then G's loss runs it through the updated D. The original ran G forward twice.
        with tf.GradientTape() as tape:
            fake = self.generator(noise, training=True)
            with tape.stop_recording():
                d_loss, real_logits = self._discriminator_step(real, tf.stop_gradient(fake))
            g_loss = self._g_loss(self.discriminator(self._augmented(fake), training=True))
        variables = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, variables), variables))
        if self.ema_generator is not None:
            self._update_ema()
        real_sign = tf.reduce_mean(tf.sign(tf.cast(real_logits, tf.float32)))
        if self.config.ada_target:
            self.augment_probability.assign(adapted_probability(
                self.augment_probability, real_sign, self.config.ada_target, batch, ADA_IMAGES_TO_SATURATE))
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": real_sign, "augment_p": self.augment_probability + 0.0}

    def _augmented(self, images: tf.Tensor) -> tf.Tensor:
        if not self.config.augment:
            return images
        probability = self.augment_probability if self.config.ada_target else None
        return diff_augment(images, self.config.augment, self._rng, probability)

    def _discriminator_step(self, real: tf.Tensor, fake: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            # Real and fake pass separately, as in the original, so batch norm sees each batch alone.
            real_logits = self.discriminator(self._augmented(real), training=True)
            fake_logits = self.discriminator(self._augmented(fake), training=True)
            loss = self._d_loss(real_logits, fake_logits)
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss, real_logits

    def _update_ema(self) -> None:
        """Move the average toward the new weights; the warm-up lets it leave its random start quickly."""
        step = tf.cast(self.g_optimizer.iterations, tf.float32)
        decay = tf.minimum(self.config.ema, (1.0 + step) / (10.0 + step))
        for average, weight in zip(self.ema_generator.trainable_variables, self.generator.trainable_variables):
            average.assign(decay * average + (1.0 - decay) * weight)
        for average, weight in zip(self.ema_generator.non_trainable_variables,
                                   self.generator.non_trainable_variables):
            average.assign(weight)  # batch-norm statistics are copied, not averaged
