"""One training step, compiled: draw a batch and noise, update D, then G, then the weight average and ADA.

The whole batch and its noise are drawn outside any replica, so a mirrored run (the batch split over
devices) trains on exactly the images and noise a single-device run would.
"""

from __future__ import annotations

import contextlib
import logging

import attrs
import keras
import tensorflow as tf

from devface_core.fields import strategy_error
from devface_core.errors import ConfigError
from devface_core.gan.augment import AdaptiveAugment, random_flip
from devface_core.gan.ema import average_copy, average_decay, update_average
from devface_core.gan.graphs import compiled
from devface_core.gan.growth import faded_reals
from devface_core.gan.layers import set_sampling_noise
from devface_core.gan.lecam import lecam_anchors, lecam_penalty
from devface_core.gan.losses import LOSSES, r1_penalty
from devface_core.gan.models import build_models, transfer_weights
from devface_core.gan.recipe import TrainingPlan, model_options
from devface_core.gan.self_supervision import RECONSTRUCTION_WEIGHT, logits_of, reconstruction_loss

logger = logging.getLogger(__name__)


@attrs.define
class GanModels:
    """The models of one stage and their optimizers; `average` is the generator's weight average or None;
    `anchors` LeCam's averages of D's logits (lecam.py), or None without the setting."""

    generator: keras.Model
    discriminator: keras.Model
    average: keras.Model | None
    g_optimizer: keras.optimizers.Optimizer
    d_optimizer: keras.optimizers.Optimizer
    anchors: tf.Variable | None = None

    @property
    def sampler(self) -> keras.Model:
        """What snapshots and the published face come from: the weight average when there is one."""
        return self.average or self.generator

    def all(self) -> tuple[keras.Model | None, ...]:
        """Generator, discriminator and average (None when there is none)."""
        return self.generator, self.discriminator, self.average


def distribution_strategy(plan: TrainingPlan) -> tf.distribute.Strategy | None:
    """None for `default` (one device); for `mirrored`, a MirroredStrategy over every GPU, or, without
    GPUs, over every logical CPU device (tests split the CPU in two to exercise it)."""
    config = plan.config
    if config.strategy != "mirrored":
        return None
    refused = strategy_error(config)
    if refused:
        raise ConfigError(refused)
    devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
    if config.batch_size % len(devices):
        raise ConfigError(f"batch_size {config.batch_size} does not split evenly over {len(devices)} devices")
    logger.info("mirrored training over %s", ", ".join(device.name for device in devices))
    return tf.distribute.MirroredStrategy([device.name for device in devices])


def build_stage_models(plan: TrainingPlan, side: int, fading: bool, strategy, previous: GanModels | None) -> GanModels:
    """Models and optimizers at one side; a grown model takes every layer the smaller one (`previous`) had."""
    config = plan.config
    with strategy.scope() if strategy else contextlib.nullcontext():
        generator, discriminator = build_models(
            config.architecture, side, config.z_dim, config.seed, config.precision, fading=fading,
            synchronized=strategy is not None, **model_options(config))
        g_optimizer = keras.optimizers.Adam(config.g_learning_rate * plan.learning_rate_scale, beta_1=config.beta_1)
        d_optimizer = keras.optimizers.Adam(config.d_learning_rate * plan.learning_rate_scale, beta_1=config.beta_1)
        g_optimizer.build(generator.trainable_variables)
        d_optimizer.build(discriminator.trainable_variables)
        average = average_copy(generator) if config.ema else None
        if average is not None:
            set_sampling_noise(average)  # the average only samples; the generator trains at full noise
        anchors = lecam_anchors() if config.lecam else None
    models = GanModels(generator, discriminator, average, g_optimizer, d_optimizer, anchors)
    if previous:
        if anchors is not None:
            anchors.assign(previous.anchors)
        for old, new in zip(previous.all(), models.all()):
            if old is not None and new is not None:
                transfer_weights(old, new)
    return models


class TrainingStep:
    """The compiled D-then-G update of one stage's models; calling it runs one step on resident uint8 images."""

    def __init__(self, plan: TrainingPlan, models: GanModels, rng: tf.random.Generator, augment: AdaptiveAugment,
                 fade_alpha: tf.Variable | None, strategy, side: int):
        self._plan, self._models, self._rng, self._augment = plan, models, rng, augment
        self._fade_alpha, self._strategy = fade_alpha, strategy
        self._d_loss, self._g_loss = LOSSES[plan.config.architecture]
        # Any number of images at this side: one trace serves every user's likes (engines.py lends it on).
        resident = tf.TensorSpec([None, side, side, 3], tf.uint8)
        self._compiled = compiled(self._step, input_signature=[resident])

    def __call__(self, real_images: tf.Tensor) -> dict[str, tf.Tensor]:
        """One step; its losses, D's mean sign on the reals and the augmentation probability, as tensors."""
        return self._compiled(real_images)

    def _step(self, real_images: tf.Tensor) -> dict[str, tf.Tensor]:
        config = self._plan.config
        index = self._rng.uniform([config.batch_size], 0, tf.shape(real_images)[0], dtype=tf.int32)
        real = tf.cast(tf.gather(real_images, index), tf.float32) / 127.5 - 1.0
        if config.mirror:
            real = random_flip(real, self._rng)
        if self._fade_alpha is not None:
            real = faded_reals(real, self._fade_alpha)
        noise = self._rng.normal([config.batch_size, config.z_dim])
        if self._strategy is None:
            d_loss, g_loss, real_sign = self._update_both(real, noise)
        else:
            shares = self._strategy.run(self._replica_update, args=(real, noise))
            d_loss, g_loss, real_sign = (self._strategy.reduce(tf.distribute.ReduceOp.SUM, share, axis=None)
                                         for share in shares)
        models = self._models
        if models.average is not None:
            decay = average_decay(config.ema, self._plan.fine_tuning, models.g_optimizer.iterations)
            update_average(models.average, models.generator, decay)
        self._augment.adapt(real_sign)
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": real_sign,
                "augment_p": self._augment.probability + 0.0}

    def _replica_update(self, real: tf.Tensor, noise: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """One replica's slice of the batch. Its losses are divided by the number of replicas because the
        optimizers sum the replicas' gradients: the sum is then the whole batch's mean, as on one device."""
        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync
        share = self._plan.config.batch_size // replicas
        start = context.replica_id_in_sync_group * share
        return self._update_both(real[start : start + share], noise[start : start + share], 1.0 / replicas)

    def _update_both(self, real: tf.Tensor, noise: tf.Tensor, scale: float = 1.0):
        """Update D, then G, on one batch; (D loss, G loss, mean sign of D on reals), each times `scale`."""
        # One generator forward pass serves both updates (as PyTorch's DCGAN example does): D learns from
        # it detached, then G's loss runs it through the updated D. The original ran G forward twice.
        generator, discriminator = self._models.generator, self._models.discriminator
        with tf.GradientTape() as tape:
            fake = generator(noise, training=True)
            with tape.stop_recording():
                d_loss, real_logits = self._discriminator_step(real, tf.stop_gradient(fake), scale)
            g_loss = self._g_loss(logits_of(discriminator(self._augment(fake, self._rng), training=True))) * scale
        variables = generator.trainable_variables
        self._models.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, variables), variables))
        return d_loss, g_loss, tf.reduce_mean(tf.sign(tf.cast(real_logits, tf.float32))) * scale

    def _discriminator_step(self, real: tf.Tensor, fake: tf.Tensor, scale: float) -> tuple[tf.Tensor, tf.Tensor]:
        discriminator, r1_gamma = self._models.discriminator, self._plan.config.r1_gamma
        with tf.GradientTape() as tape:
            # Real and fake pass separately, as in the original, so batch norm sees each batch alone.
            real = self._augment(real, self._rng)
            real_outputs = discriminator(real, training=True)
            real_logits = logits_of(real_outputs)
            fake_logits = logits_of(discriminator(self._augment(fake, self._rng), training=True))
            loss = self._d_loss(real_logits, fake_logits)
            loss += RECONSTRUCTION_WEIGHT * reconstruction_loss(real_outputs, real)
            if r1_gamma:
                loss += 0.5 * r1_gamma * r1_penalty(real_logits, real)
            if self._models.anchors is not None:
                loss += self._plan.config.lecam * lecam_penalty(real_logits, fake_logits, self._models.anchors)
            loss *= scale
        variables = discriminator.trainable_variables
        self._models.d_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss, real_logits
