"""Trains a GAN on one user's images with a single compiled step that updates D then G.

The dataset stays resident as a uint8 tensor; batches are drawn, scaled and trained inside the
`tf.function`, so Python only loops over steps. Every random draw comes from seeded generators, so a
given `Config.seed` gives the same snapshots on the same CPU machine.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from pathlib import Path
from typing import Callable, Iterator

import attrs
import keras
import numpy as np
import tensorflow as tf

from devface_core.base_model import load_base, stddev_choice
from devface_core.config import Config, r1_strength, step_limit, strategy_error
from devface_core.errors import ConfigError
from devface_core.gan.augment import adapted_probability, diff_augment, random_flip
from devface_core.gan.checkpoints import TrainingCheckpoints, clear_checkpoints, has_checkpoint
from devface_core.gan.growth import downsampled, faded_reals, growth_point, growth_sides
from devface_core.gan.models import FadeIn, build_models, transfer_weights
from devface_core.types import Progress, Snapshot

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], None]
# ADA's speed: p may go from 0 to 1 within this many real images. StyleGAN2-ADA uses 500k; a CPU run
# sees about 100k images in ten minutes, so this is scaled down for p to matter within a run.
ADA_IMAGES_TO_SATURATE = 20_000
# A growing run looks at its schedule this often within an epoch (a pretraining epoch over thousands of
# likes can be longer than a whole stage).
GROWTH_CHECK_STEPS = 25
STANDING_SAMPLES = 64  # noise vectors the weight average's batch-norm statistics are measured on


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


def r1_penalty(logits: tf.Tensor, images: tf.Tensor) -> tf.Tensor:
    """Mean over the batch of ‖∂D/∂image‖² (Mescheder et al. 2018's R1), for `logits` computed from `images`
    in a compiled function (tf.gradients: inside the step, a nested tape returned no gradient)."""
    gradient = tf.gradients(tf.reduce_sum(tf.cast(logits, tf.float32)), images)[0]
    return tf.reduce_mean(tf.reduce_sum(tf.square(tf.cast(gradient, tf.float32)), axis=[1, 2, 3]))


def averaged_pairs(average: keras.Model, model: keras.Model) -> list[tuple[keras.Variable, keras.Variable]]:
    """(average's variable, model's trainable variable) pairs matched by path; a mismatch raises ConfigError."""
    by_path = {variable.path: variable for variable in average.variables}
    pairs = []
    for weight in model.trainable_variables:
        twin = by_path.get(weight.path)
        # Paired by position, a layer frozen in one model shifted its neighbours onto the wrong averages,
        # silently where the shapes broadcast.
        if twin is None or tuple(twin.shape) != tuple(weight.shape):
            raise ConfigError(f"weight average has no variable {weight.path} shaped {tuple(weight.shape)}")
        pairs.append((twin, weight))
    return pairs


def distribution_strategy(config: Config) -> tf.distribute.Strategy | None:
    """None for `default` (one device); for `mirrored`, a MirroredStrategy over every GPU, or, without
    GPUs, over every logical CPU device (tests split the CPU in two to exercise it)."""
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


class Trainer:
    """A GAN for one user: build from a Config, `train()` on uint8 images, receive Snapshots."""

    def __init__(self, config: Config, checkpoint_dir: str | Path | None = None):
        # 'auto' settles here, so checkpoints and the step see the weight and the models this run trains.
        self.config = config = attrs.evolve(config, r1_gamma=r1_strength(config),
                                            minibatch_stddev=stddev_choice(config))
        keras.utils.set_random_seed(config.seed)
        self._d_loss, self._g_loss = LOSSES[config.architecture]
        # Adaptive augmentation starts at p = 0 and earns its strength from the discriminator's overfitting.
        self.augment_probability = tf.Variable(0.0 if config.ada_target else 1.0, trainable=False)
        self.sides = growth_sides(config)
        self._strategy = distribution_strategy(config)
        self._fade_alpha = tf.Variable(1.0, trainable=False)  # the newest block's share while it fades in
        # A base was trained to full size already: fine-tuning it does not grow again.
        self._build_stage(len(self.sides) - 1 if config.init_from else 0)
        if config.init_from:
            load_base(self, config.init_from)  # fine-tuning: a resumed checkpoint still overrides it
        self._rng = tf.random.Generator.from_seed(config.seed)
        # Fixed noise: every snapshot shows the same latent points, so progress is comparable.
        self._fixed_noise = self._rng.normal([config.samples_per_snapshot, config.z_dim])
        self._standing_noise = tf.random.stateless_normal([STANDING_SAMPLES, config.z_dim], seed=(config.seed, 1))
        self.steps_done = 0
        self.epochs_done = 0
        self.resumed_from_epoch: int | None = None
        self._checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self._checkpoints: TrainingCheckpoints | None = None
        self._open_checkpoints()

    def _build_stage(self, stage: int) -> None:
        """Build the models for a stage's side; a grown model takes every layer the smaller one had."""
        config, side = self.config, self.sides[stage]
        previous = (self.generator, self.discriminator, self.ema_generator) if hasattr(self, "generator") else None
        self.stage = stage
        with self._strategy.scope() if self._strategy else contextlib.nullcontext():
            self.generator, self.discriminator = build_models(
                config.architecture, side, config.z_dim, config.seed, config.precision, fading=stage > 0,
                synchronized=self._strategy is not None, upsample=config.upsample,
                minibatch_stddev=config.minibatch_stddev,
            )
            scale = config.finetune_lr_scale if config.init_from else 1.0
            self.g_optimizer = keras.optimizers.Adam(config.g_learning_rate * scale, beta_1=config.beta_1)
            self.d_optimizer = keras.optimizers.Adam(config.d_learning_rate * scale, beta_1=config.beta_1)
            self.g_optimizer.build(self.generator.trainable_variables)
            self.d_optimizer.build(self.discriminator.trainable_variables)
            self.ema_generator = self._ema_copy() if config.ema else None
        if previous:
            for old, new in zip(previous, (self.generator, self.discriminator, self.ema_generator)):
                if old is not None and new is not None:
                    transfer_weights(old, new)
            logger.info("grown to %d×%d", side, side)
        # What snapshots and the published face come from: the weight average when there is one.
        self.sampler = self.ema_generator or self.generator
        self._compiled_step = tf.function(self._train_step)
        # Compiled like the step: eagerly, one snapshot's two forward passes took longer than 100 steps
        # of a tiny model (the test suite's).
        self._compiled_sample = tf.function(self._sample_pass, reduce_retracing=True)
        self._compiled_standing = tf.function(self._standing_pass)

    @property
    def _final_stage(self) -> bool:
        return self.stage == len(self.sides) - 1

    def _open_checkpoints(self) -> None:
        """Checkpoints hold full-size models only: a run killed while still growing starts over."""
        if self._checkpoint_dir and self._final_stage and self._checkpoints is None:
            self._checkpoints = TrainingCheckpoints(self._checkpoint_dir, self._state(), self.config)

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
        full_size = resident_images(images)
        steps = self.steps_per_epoch(len(images))
        first_epoch, history = self._start()
        self.epochs_done = first_epoch - 1
        yield from history
        started = time.perf_counter()
        real_images = self._grow(full_size, steps, started)
        for epoch in range(first_epoch, self.config.epochs + 1):
            if self._steps_left(steps) == 0:
                return
            scalar_losses, real_images = self._train_epoch(full_size, real_images, steps, started)
            self.epochs_done = epoch
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
            real_images = self._grow(full_size, steps, started, real_images)

    def _train_epoch(self, full_size: tf.Tensor, real_images: tf.Tensor, steps_per_epoch: int,
                     started: float) -> tuple[dict[str, float], tf.Tensor]:
        """One epoch's steps (the last step's losses, and the real images at the side reached): a growing
        run checks its schedule every GROWTH_CHECK_STEPS, so it grows on time however long an epoch is."""
        left, losses = self._steps_left(steps_per_epoch), {}
        while left > 0:
            count = min(GROWTH_CHECK_STEPS, left)
            losses = self.run_steps(real_images, count)
            left -= count
            if left:  # _grow leaves a run that does not grow as it is
                real_images = self._grow(full_size, steps_per_epoch, started, real_images)
        return losses, real_images

    def grow_to_full_size(self) -> None:
        """Finish growing at once (a run stopped before its last stage): the full-size models, fully faded in."""
        if not self._final_stage:
            self._build_stage(len(self.sides) - 1)
            self._open_checkpoints()
            self._set_fade(1.0)

    def _grow(self, full_size: tf.Tensor, steps_per_epoch: int, started: float,
              current: tf.Tensor | None = None) -> tf.Tensor:
        """Move to the stage and fade-in weight the budget spent calls for; the real images at that side."""
        if len(self.sides) == 1 or self.config.init_from:
            return full_size
        point = growth_point(self.sides, self.config.grow_share, self._budget_spent(steps_per_epoch, started))
        while self.stage < point.stage:
            self._build_stage(self.stage + 1)
            self._open_checkpoints()
            current = None
        self._set_fade(point.alpha if self.stage > 0 else 1.0)
        return current if current is not None else downsampled(full_size, self.sides[self.stage])

    def _budget_spent(self, steps_per_epoch: int, started: float) -> float:
        """The fraction of the run used so far: of its steps, or of `max_seconds` when that comes first."""
        total = self.config.epochs * steps_per_epoch
        limit = step_limit(self.config)
        if limit:
            total = min(total, limit)
        spent = self.steps_done / max(1, total)
        if self.config.max_seconds:
            spent = max(spent, (time.perf_counter() - started) / self.config.max_seconds)
        return min(1.0, spent)

    def _set_fade(self, alpha: float) -> None:
        self._fade_alpha.assign(alpha)
        for model in (self.generator, self.discriminator, self.ema_generator):
            for layer in model.layers if model is not None else ():
                if isinstance(layer, FadeIn):
                    layer.alpha.assign(alpha)

    def _start(self) -> tuple[int, list[Snapshot]]:
        """(first epoch to train, snapshots so far): from the last checkpoint when resuming, else fresh."""
        if self._checkpoint_dir is None:
            return 1, []
        if not self.config.resume:
            clear_checkpoints(self._checkpoint_dir)
            self._checkpoints = None  # a fresh manager: the old one still lists the deleted files
            self._open_checkpoints()
            return 1, []
        if not has_checkpoint(self._checkpoint_dir):
            logger.info("no checkpoint in %s yet: training from the start", self._checkpoint_dir)
            return 1, []
        if not self._final_stage:
            self._build_stage(len(self.sides) - 1)  # checkpoints are only written at full size
            self._open_checkpoints()
        epoch, history = self._checkpoints.restore()
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
        """Steps for the next epoch: a full epoch, or fewer where the step limit stops training early."""
        limit = step_limit(self.config)
        if not limit:
            return steps_per_epoch
        return max(0, min(steps_per_epoch, limit - self.steps_done))

    def _check_images(self, images: np.ndarray) -> None:
        size = self.config.image_size
        if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (size, size, 3):
            raise ValueError(f"expected (N, {size}, {size}, 3) uint8 images, got {images.shape} {images.dtype}")

    def snapshot(self, epoch: int, losses: dict[str, float] | None = None) -> Snapshot:
        """Sample the generator on the fixed noise: individual uint8 images for this epoch."""
        return Snapshot(epoch=epoch, images=self._sample(self._fixed_noise), losses=dict(losses or {}))

    def generate(self, count: int, seed: int = 12345) -> np.ndarray:
        """`count` uint8 samples from the sampling generator on noise of its own seed (for measuring)."""
        return self._sample(tf.random.stateless_normal([count, self.config.z_dim], seed=(seed, 0)))

    def _sample(self, noise: tf.Tensor) -> np.ndarray:
        self.standing_statistics()
        return to_pixels(self._compiled_sample(noise))

    def _sample_pass(self, noise: tf.Tensor) -> tf.Tensor:
        return self._full_size(self.sampler(noise, training=False))

    def _standing_pass(self) -> None:
        self.ema_generator(self._standing_noise, training=True)

    def standing_statistics(self) -> None:
        """Give the weight average batch-norm statistics of its own (BigGAN's "standing statistics").

        The raw generator's statistics describe other weights: the average sampled with them (each step
        used to copy them over) gave a base's faces washed out (SWD 120 against 47 with its own). Its own
        are measured on fixed noise before every sampling, so they depend on its weights alone and runs
        stay reproducible."""
        if self.ema_generator is None:
            return
        norms = [layer for layer in self.ema_generator.layers if isinstance(layer, keras.layers.BatchNormalization)]
        settings = [(norm.momentum, norm.synchronized) for norm in norms]
        for norm in norms:
            # The moving statistics become this one batch's, computed here as on one device. The layers
            # read both settings while the pass is traced (the first call), so the graph keeps them.
            norm.momentum, norm.synchronized = 0.0, False
        try:
            self._compiled_standing()
        finally:
            for norm, (momentum, synchronized) in zip(norms, settings):
                norm.momentum, norm.synchronized = momentum, synchronized

    def _full_size(self, images: tf.Tensor) -> tf.Tensor:
        """Samples of a stage below full size, enlarged to image_size so every snapshot has one shape."""
        if self._final_stage:
            return images
        size = self.config.image_size
        return tf.image.resize(tf.cast(images, tf.float32), (size, size), method="bilinear")

    def save_generator(self, path: str) -> None:
        """Save the generator that samples (the weight average when there is one) as a `.keras` file."""
        self.standing_statistics()
        self.sampler.save(path)

    def _train_step(self, real_images: tf.Tensor) -> dict[str, tf.Tensor]:
        batch = self.config.batch_size
        # The whole batch and its noise are drawn here, outside any replica, so a mirrored run trains on
        # exactly the images and noise a single-device run would.
        index = self._rng.uniform([batch], 0, tf.shape(real_images)[0], dtype=tf.int32)
        real = tf.cast(tf.gather(real_images, index), tf.float32) / 127.5 - 1.0
        if self.config.mirror:
            real = random_flip(real, self._rng)
        if self.stage > 0:
            real = faded_reals(real, self._fade_alpha)
        noise = self._rng.normal([batch, self.config.z_dim])
        if self._strategy is None:
            d_loss, g_loss, real_sign = self._update_both(real, noise)
        else:
            shares = self._strategy.run(self._replica_update, args=(real, noise))
            d_loss, g_loss, real_sign = (self._strategy.reduce(tf.distribute.ReduceOp.SUM, share, axis=None)
                                         for share in shares)
        if self.ema_generator is not None:
            self._update_ema()
        if self.config.ada_target:
            self.augment_probability.assign(adapted_probability(
                self.augment_probability, real_sign, self.config.ada_target, batch, ADA_IMAGES_TO_SATURATE))
        return {"d_loss": d_loss, "g_loss": g_loss, "d_real": real_sign, "augment_p": self.augment_probability + 0.0}

    def _replica_update(self, real: tf.Tensor, noise: tf.Tensor) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
        """One replica's slice of the batch. Its losses are divided by the number of replicas because the
        optimizers sum the replicas' gradients: the sum is then the whole batch's mean, as on one device."""
        context = tf.distribute.get_replica_context()
        replicas = context.num_replicas_in_sync
        share = self.config.batch_size // replicas
        start = context.replica_id_in_sync_group * share
        return self._update_both(real[start : start + share], noise[start : start + share], 1.0 / replicas)

    def _update_both(self, real: tf.Tensor, noise: tf.Tensor, scale: float = 1.0):
        """Update D, then G, on one batch; (D loss, G loss, mean sign of D on reals), each times `scale`."""
        # One generator forward pass serves both updates (as PyTorch's DCGAN example does): D learns from
        # it detached, then G's loss runs it through the updated D. The original ran G forward twice.
        with tf.GradientTape() as tape:
            fake = self.generator(noise, training=True)
            with tape.stop_recording():
                d_loss, real_logits = self._discriminator_step(real, tf.stop_gradient(fake), scale)
            g_loss = self._g_loss(self.discriminator(self._augmented(fake), training=True)) * scale
        variables = self.generator.trainable_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, variables), variables))
        return d_loss, g_loss, tf.reduce_mean(tf.sign(tf.cast(real_logits, tf.float32))) * scale

    def _augmented(self, images: tf.Tensor) -> tf.Tensor:
        if not self.config.augment:
            return images
        probability = self.augment_probability if self.config.ada_target else None
        return diff_augment(images, self.config.augment, self._rng, probability)

    def _discriminator_step(self, real: tf.Tensor, fake: tf.Tensor, scale: float) -> tuple[tf.Tensor, tf.Tensor]:
        with tf.GradientTape() as tape:
            # Real and fake pass separately, as in the original, so batch norm sees each batch alone.
            real = self._augmented(real)
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(self._augmented(fake), training=True)
            loss = self._d_loss(real_logits, fake_logits)
            if self.config.r1_gamma:
                loss += 0.5 * self.config.r1_gamma * r1_penalty(real_logits, real)
            loss *= scale
        variables = self.discriminator.trainable_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss, real_logits

    def _update_ema(self) -> None:
        """Move the average toward the new weights; from scratch a warm-up lets it leave its random start
        quickly, while a fine-tune's average starts at the base's and keeps the full decay."""
        if self.config.init_from:
            # With the warm-up, a fine-tune's average followed the raw generator within a few dozen steps,
            # and from 10 likes that generator drew wavy colour stripes and warped faces by step 500.
            decay = tf.constant(self.config.ema, tf.float32)
        else:
            step = tf.cast(self.g_optimizer.iterations, tf.float32)
            decay = tf.minimum(self.config.ema, (1.0 + step) / (10.0 + step))
        for average, weight in averaged_pairs(self.ema_generator, self.generator):
            average.assign(decay * average + (1.0 - decay) * weight)
        # Its batch-norm statistics are not averaged or copied here: `standing_statistics` measures them
        # whenever the average samples.
