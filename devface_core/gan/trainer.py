"""The training loop: the budget, when to grow, when to sample and when to checkpoint, yielding snapshots.

The dataset stays resident as a uint8 tensor; batches are drawn, scaled and trained inside the compiled
step (`step.py`), so Python only loops over steps. Every random draw comes from seeded generators, so a
given `Config.seed` gives the same snapshots on the same CPU machine. The pieces live beside this module:
the plan (`recipe`), the stages and their models (`stages`, `step`), the weight average (`ema`),
augmentation (`augment`), sampling (`sampling`), checkpoints and bases.
"""

from __future__ import annotations

import functools
import logging
import math
import time
from pathlib import Path
from typing import Callable, Iterator

import keras
import numpy as np
import tensorflow as tf

from devface_core.config import Config
from devface_core.gan.augment import AdaptiveAugment
from devface_core.gan.bases import load_base, save_base
from devface_core.gan.checkpoints import TrainingCheckpoints, clear_checkpoints, has_checkpoint, training_state
from devface_core.gan.ema import STANDING_SAMPLES
from devface_core.gan.growth import check_training_images, downsampled, resident_images
from devface_core.gan.recipe import TrainingPlan, as_plan
from devface_core.gan.stages import Stage, Stages
from devface_core.gan.step import distribution_strategy
from devface_core.types import Progress, Snapshot

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[Progress], None]
# A growing run looks at its schedule this often within an epoch (a pretraining epoch over thousands of
# likes can be longer than a whole stage).
GROWTH_CHECK_STEPS = 25


def _current_model(name: str, doc: str) -> property:
    """A read-only attribute for one of the current stage's models."""
    return property(lambda trainer: getattr(trainer.models, name), doc=doc)


class Trainer:
    """A GAN for one user: build from a Config (or a TrainingPlan), `train()` on uint8 images, receive Snapshots."""

    def __init__(self, config: Config | TrainingPlan, checkpoint_dir: str | Path | None = None):
        self.plan = as_plan(config)
        self.config = config = self.plan.config  # as trained: nothing left on 'auto'
        keras.utils.set_random_seed(config.seed)
        self.augment = AdaptiveAugment(config.augment, config.ada_target, config.batch_size)
        self._rng = tf.random.Generator.from_seed(config.seed)
        self._standing_noise = tf.random.stateless_normal([STANDING_SAMPLES, config.z_dim], seed=(config.seed, 1))
        self.strategy = distribution_strategy(self.plan)  # None on one device
        self.stages = Stages(self.plan, self._rng, self.augment, self.strategy, self._standing_noise)
        # A base was trained to full size already: fine-tuning it does not grow again.
        self._stage: Stage = self.stages.build(self.stages.last if self.plan.fine_tuning else 0)
        if self.plan.fine_tuning:
            load_base(self._stage.models, config.init_from)  # a resumed checkpoint still overrides it
        # Fixed noise: every snapshot shows the same latent points, so progress is comparable.
        self._fixed_noise = self._rng.normal([config.samples_per_snapshot, config.z_dim])
        self.steps_done = 0
        self.epochs_done = 0
        self.resumed_from_epoch: int | None = None
        self._progress = tf.Variable([0, 0], dtype=tf.int64, trainable=False)  # [epoch, steps done]
        self._checkpoint_dir = Path(checkpoint_dir) if checkpoint_dir else None
        self._checkpoints: TrainingCheckpoints | None = None
        self._open_checkpoints()

    @property
    def models(self):
        """The current stage's models and optimizers (step.GanModels)."""
        return self._stage.models

    generator = _current_model("generator", "The raw generator of the current stage.")
    discriminator = _current_model("discriminator", "The discriminator of the current stage.")
    ema_generator = _current_model("average", "The generator's weight average, or None when `ema` is 0.")
    sampler = _current_model("sampler", "What snapshots and the published face come from (the average if any).")

    @property
    def augment_probability(self) -> tf.Variable:
        """Adaptive augmentation's probability p."""
        return self.augment.probability

    @property
    def stage(self) -> int:
        """The index of the current stage (0 unless growing)."""
        return self._stage.index

    def _build_stage(self, index: int) -> None:
        self._stage = self.stages.build(index, self._stage)
        self._open_checkpoints()

    @property
    def _final_stage(self) -> bool:
        return self._stage.index == self.stages.last

    def _open_checkpoints(self) -> None:
        """Checkpoints hold full-size models only: a run killed while still growing starts over."""
        if self._checkpoint_dir and self._final_stage and self._checkpoints is None:
            state = training_state(self.models, self.augment.probability, self._rng, self._progress)
            self._checkpoints = TrainingCheckpoints(self._checkpoint_dir, state, self.config)

    def steps_per_epoch(self, image_count: int) -> int:
        """One epoch is one pass over the images: ceil(N / batch_size) steps."""
        return max(1, math.ceil(image_count / self.config.batch_size))

    def train(self, images: np.ndarray, progress: ProgressCallback | None = None) -> Iterator[Snapshot]:
        """Train for `config.epochs` on (N, S, S, 3) uint8 images, yielding a Snapshot every `sample_every`."""
        check_training_images(images, self.config.image_size)
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
            tick = functools.partial(self._tick, progress, epoch, started, steps) if progress else None
            scalar_losses, real_images = self._train_epoch(full_size, real_images, steps, started, tick)
            self.epochs_done = epoch
            logger.debug("epoch %d/%d trained (step %d)", epoch, self.config.epochs, self.steps_done)
            last = epoch == self.config.epochs or self._steps_left(steps) == 0 or self._out_of_time(started)
            if epoch % self.config.sample_every == 0 or last:
                history.append(self.snapshot(epoch, scalar_losses))
                yield history[-1]
            if self._checkpoints and (epoch % self.config.checkpoint_every == 0 or last):
                self._progress.assign([epoch, self.steps_done])
                self._checkpoints.save(epoch, history)
            if last:
                return
            real_images = self._grow(full_size, steps, started, real_images)

    def _tick(self, progress: ProgressCallback, epoch: int, started: float, steps: int, losses: dict) -> None:
        elapsed, total = time.perf_counter() - started, self._total_steps(steps)
        progress(Progress(epoch, self.config.epochs, self.steps_done, losses, elapsed, total))

    def _total_steps(self, steps_per_epoch: int) -> int:
        """Where the run stops: its epochs' steps, or the step limit when that comes first."""
        total = self.config.epochs * steps_per_epoch
        return min(total, self.plan.step_limit) if self.plan.step_limit else total

    def _out_of_time(self, started: float) -> bool:
        return bool(self.config.max_seconds) and time.perf_counter() - started >= self.config.max_seconds

    def _train_epoch(self, full_size: tf.Tensor, real_images: tf.Tensor, steps_per_epoch: int,
                     started: float, tick: Callable[[dict[str, float]], None] | None) -> tuple[dict, tf.Tensor]:
        """One epoch's steps (the last step's losses, and the real images at the side reached), in chunks of
        GROWTH_CHECK_STEPS: after each, progress is reported, the time budget checked (an epoch over
        thousands of likes can outlast it) and a growing run's schedule followed."""
        left, losses = self._steps_left(steps_per_epoch), {}
        while left > 0:
            count = min(GROWTH_CHECK_STEPS, left)
            losses = self.run_steps(real_images, count)
            left -= count
            if tick is not None:
                tick(losses)
            if left and self._out_of_time(started):
                break
            if left:  # _grow leaves a run that does not grow as it is
                real_images = self._grow(full_size, steps_per_epoch, started, real_images)
        return losses, real_images

    def grow_to_full_size(self) -> None:
        """Finish growing at once (a run stopped before its last stage): the full-size models, fully faded in."""
        if not self._final_stage:
            self._build_stage(self.stages.last)
            self.stages.set_fade(self._stage, 1.0)

    def _grow(self, full_size: tf.Tensor, steps_per_epoch: int, started: float,
              current: tf.Tensor | None = None) -> tf.Tensor:
        """Move to the stage and fade-in weight the budget spent calls for; the real images at that side."""
        if len(self.stages.sides) == 1 or self.plan.fine_tuning:
            return full_size
        point = self.stages.point(self._budget_spent(steps_per_epoch, started))
        while self.stage < point.stage:
            self._build_stage(self.stage + 1)
            current = None
        self.stages.set_fade(self._stage, point.alpha if self.stage > 0 else 1.0)
        return current if current is not None else downsampled(full_size, self._stage.side)

    def _budget_spent(self, steps_per_epoch: int, started: float) -> float:
        """The fraction of the run used so far: of its steps, or of `max_seconds` when that comes first."""
        spent = self.steps_done / max(1, self._total_steps(steps_per_epoch))
        if self.config.max_seconds:
            spent = max(spent, (time.perf_counter() - started) / self.config.max_seconds)
        return min(1.0, spent)

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
            self._build_stage(self.stages.last)  # checkpoints are only written at full size
        epoch, history = self._checkpoints.restore()
        self.steps_done = int(self._progress[1])
        self.resumed_from_epoch = epoch
        return epoch + 1, history

    def run_steps(self, real_images: tf.Tensor, count: int) -> dict[str, float]:
        """Run `count` compiled training steps on a resident uint8 tensor; return the last step's losses."""
        losses: dict[str, tf.Tensor] = {}
        for _ in range(count):
            losses = self._stage.step(real_images)
        self.steps_done += count
        return {name: float(value) for name, value in losses.items()}

    def _steps_left(self, steps_per_epoch: int) -> int:
        """Steps for the next epoch: a full epoch, or fewer where the step limit stops training early."""
        limit = self.plan.step_limit
        if not limit:
            return steps_per_epoch
        return max(0, min(steps_per_epoch, limit - self.steps_done))

    def snapshot(self, epoch: int, losses: dict[str, float] | None = None) -> Snapshot:
        """Sample the generator on the fixed noise: individual uint8 images for this epoch."""
        return Snapshot(epoch=epoch, images=self._stage.sampling.sample(self._fixed_noise), losses=dict(losses or {}))

    def generate(self, count: int, seed: int = 12345) -> np.ndarray:
        """`count` uint8 samples from the sampling generator on noise of its own seed (for measuring)."""
        noise = tf.random.stateless_normal([count, self.config.z_dim], seed=(seed, 0))
        return self._stage.sampling.sample(noise)

    def standing_statistics(self) -> None:
        """Give the weight average batch-norm statistics of its own (see ema.StandingStatistics)."""
        self._stage.sampling.standing_statistics()

    def save_generator(self, path: str) -> None:
        """Save the generator that samples (the weight average when there is one) as a `.keras` file."""
        self.standing_statistics()
        self.sampler.save(path)

    def save_base(self, folder: str | Path) -> Path:
        """Save the full-size models as a base (finishing growing first, so a base always fits its size)."""
        self.grow_to_full_size()
        self.standing_statistics()
        return save_base(self.models, self.config, folder)
