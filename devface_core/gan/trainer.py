"""The training loop: the budget, when to grow, when to sample and when to checkpoint, yielding snapshots.

The dataset stays resident as a uint8 tensor; batches are drawn, scaled and trained inside the compiled
step (`step.py`), so Python only loops over steps. Every random draw comes from seeded generators, so a
given `Config.seed` gives the same snapshots on the same CPU machine. The pieces live beside this module:
the plan (`recipe`), the stages and their models (`stages`, `step`), the weight average (`ema`),
augmentation (`augment`), sampling (`sampling`), checkpoints and bases.
"""

from __future__ import annotations

import logging
import math
import time
import weakref
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import tensorflow as tf

from devface_core.config import Config
from devface_core.gan import engines
from devface_core.gan.bases import load_base, save_base
from devface_core.gan.checkpoints import TrainingCheckpoints, clear_checkpoints, has_checkpoint, training_state
from devface_core.gan.growth import check_training_images, downsampled, resident_images
from devface_core.gan.recipe import TrainingPlan, as_plan
from devface_core.gan.stages import Stage
from devface_core.types import Progress, Snapshot, StopFlag

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
        # Seeding Keras belongs to building (engines.build, under its lock): seeding here too, outside the
        # lock, could reset the counter while another thread's engine was being built.
        engine = engines.take(self.plan)  # warm from an earlier run with these settings, or new
        weakref.finalize(self, engines.give_back, engine)
        self.augment, self._rng, self.strategy, self.stages = engine.augment, engine.rng, engine.strategy, engine.stages
        self._stage: Stage = engine.stage
        self._fixed_noise, self._standing_noise = engine.fixed_noise, engine.standing_noise
        if self.plan.fine_tuning:
            load_base(self._stage.models, config.init_from)  # a resumed checkpoint still overrides it
        self.steps_done = 0
        self._steps_per_epoch = 1  # set by train() from the number of images
        self.resumed_from_step: int | None = None
        self._progress = tf.Variable([0, 0], dtype=tf.int64, trainable=False)  # [epochs begun, steps done]
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

    def train(self, images: np.ndarray, progress: ProgressCallback | None = None,
              stop: StopFlag | None = None) -> Iterator[Snapshot]:
        """Train on (N, S, S, 3) uint8 images until the step limit, the epochs, the time budget or `stop` (looked
        at between chunks of steps) ends it, yielding a Snapshot every `sample_every` steps and at the last."""
        check_training_images(images, self.config.image_size)
        full_size = resident_images(images)
        self._steps_per_epoch = self.steps_per_epoch(len(images))
        total = self._total_steps()
        history = self._start()
        yield from history
        started = time.perf_counter()
        real_images = self._grow(full_size, started)
        while self.steps_done < total:
            losses = self.run_steps(real_images, self._next_chunk(total))
            if progress is not None:
                progress(Progress(self.epochs_done, self.config.epochs, self.steps_done, losses,
                                  time.perf_counter() - started, total))
            logger.debug("step %d/%d trained (epoch %d)", self.steps_done, total, self.epochs_done)
            last = self.steps_done >= total or self._out_of_time(started) or bool(stop and stop.is_set())
            if self.steps_done % self.config.sample_every == 0 or last:
                snapshot = self.snapshot(losses)
                if not self.plan.pretraining:  # a base publishes nothing: hours of snapshots need not stay in memory
                    history.append(snapshot)
                yield snapshot
            if self._checkpoints and (self.steps_done % self.config.checkpoint_every == 0 or last):
                self._progress.assign([self.epochs_done, self.steps_done])
                self._checkpoints.save(self.steps_done, history)
            if last:
                return
            real_images = self._grow(full_size, started, real_images)

    def _next_chunk(self, total: int) -> int:
        """Steps to run before Python looks again: at most GROWTH_CHECK_STEPS, ending on the next snapshot or
        checkpoint step, so progress, the time budget and a growing run's schedule are followed within an
        epoch (one over thousands of likes can outlast them all)."""
        due = [GROWTH_CHECK_STEPS, total - self.steps_done, self._steps_to(self.config.sample_every)]
        if self._checkpoints:
            due.append(self._steps_to(self.config.checkpoint_every))
        return min(due)

    def _steps_to(self, every: int) -> int:
        return every - self.steps_done % every

    @property
    def epochs_done(self) -> int:
        """Passes over the images begun so far (an epoch is ceil(N / batch_size) steps; batches are drawn at
        random, so an epoch only counts steps)."""
        return math.ceil(self.steps_done / self._steps_per_epoch)

    def _total_steps(self) -> int:
        """Where the run stops: its epochs' steps, or the step limit when that comes first."""
        total = self.config.epochs * self._steps_per_epoch
        return min(total, self.plan.step_limit) if self.plan.step_limit else total

    def _out_of_time(self, started: float) -> bool:
        return bool(self.config.max_seconds) and time.perf_counter() - started >= self.config.max_seconds

    def grow_to_full_size(self) -> None:
        """Finish growing at once (a run stopped before its last stage): the full-size models, fully faded in."""
        if not self._final_stage:
            self._build_stage(self.stages.last)
            self.stages.set_fade(self._stage, 1.0)

    def _grow(self, full_size: tf.Tensor, started: float, current: tf.Tensor | None = None) -> tf.Tensor:
        """Move to the stage and fade-in weight the budget spent calls for; the real images at that side."""
        if len(self.stages.sides) == 1 or self.plan.fine_tuning:
            return full_size
        point = self.stages.point(self._budget_spent(started))
        while self.stage < point.stage:
            self._build_stage(self.stage + 1)
            current = None
        # A run resumed at full size (checkpoints hold only that stage) never fades back part of the way.
        self.stages.set_fade(self._stage, point.alpha if 0 < self.stage == point.stage else 1.0)
        return current if current is not None else downsampled(full_size, self._stage.side)

    def _budget_spent(self, started: float) -> float:
        """The fraction of the run used so far: of its steps, or of `max_seconds` when that comes first."""
        spent = self.steps_done / max(1, self._total_steps())
        if self.config.max_seconds:
            spent = max(spent, (time.perf_counter() - started) / self.config.max_seconds)
        return min(1.0, spent)

    def _start(self) -> list[Snapshot]:
        """The snapshots so far: from the last checkpoint when resuming (its step reached too), else none."""
        if self._checkpoint_dir is None:
            return []
        if not self.config.resume:
            clear_checkpoints(self._checkpoint_dir)
            self._checkpoints = None  # a fresh manager: the old one still lists the deleted files
            self._open_checkpoints()
            return []
        if not has_checkpoint(self._checkpoint_dir):
            logger.info("no checkpoint in %s yet: training from the start", self._checkpoint_dir)
            return []
        if not self._final_stage:
            self._build_stage(self.stages.last)  # checkpoints are only written at full size
        step, history = self._checkpoints.restore()
        self.steps_done = int(self._progress[1])
        self.resumed_from_step = step
        return history

    def run_steps(self, real_images: tf.Tensor, count: int) -> dict[str, float]:
        """Run `count` compiled training steps on a resident uint8 tensor; return the last step's losses."""
        losses: dict[str, tf.Tensor] = {}
        for _ in range(count):
            losses = self._stage.step(real_images)
        self.steps_done += count
        return {name: float(value) for name, value in losses.items()}

    def snapshot(self, losses: dict[str, float] | None = None) -> Snapshot:
        """Sample the generator on the fixed noise: individual uint8 images at the step reached."""
        return Snapshot(step=self.steps_done, images=self._stage.sampling.sample(self._fixed_noise),
                        losses=dict(losses or {}), epoch=self.epochs_done)

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

    def save_base(self, folder: str | Path, encoder=None, upscaler=None) -> Path:
        """Save the full-size models (and an encoder of the sampler's noise and an upscaler, if given) as a
        base, finishing growing first so a base always fits its size."""
        self.grow_to_full_size()
        self.standing_statistics()
        return save_base(self.models, self.config, folder, encoder, upscaler)
