"""Warm engines: a process keeps the compiled models of a finished run and lends them to its next run with the
same training settings, reset to exactly the state a fresh build has.

An engine is what a Trainer builds before its first step: the models and optimizers, the compiled step and
sampling, the batch RNG, augmentation and the fixed noise. Building is quick; the first step is not: TensorFlow
traces and optimises the step's graph, about 3.5 s of a tiny test run and most of a short per-user job. A
worker that trains user after user with the same settings (Celery, `devface watch`, the test suite) traces
once. Every variable is put back to the value it had when the engine was built (weights, batch-norm
statistics, dropout seeds, optimizer slots, the RNG, augmentation's p), so a lent engine trains byte for byte
as a new one would; tests/core/test_engines.py holds it to that.

Growing runs (their stages change as they train) and mirrored runs are never lent. An engine goes back to the
idle pool when its Trainer is garbage collected; a process keeps at most IDLE.limit idle engines.
"""

from __future__ import annotations

import json
import threading

import attrs
import keras
import numpy as np
import tensorflow as tf

from devface_core.gan.augment import AdaptiveAugment
from devface_core.gan.ema import STANDING_SAMPLES
from devface_core.gan.growth import growth_sides
from devface_core.gan.recipe import TrainingPlan
from devface_core.gan.stages import Stage, Stages
from devface_core.gan.step import distribution_strategy
from devface_core.idle_pool import IdlePool

# Settings that only steer the loop around the step (how long, when to sample, where outputs go): two runs
# that differ only in these can share an engine. Any other setting, including one added later, keeps runs
# apart: a new setting costs at most a cache miss, never a wrong graph.
LOOP_SETTINGS = frozenset({
    "epochs", "max_steps", "max_seconds", "finetune_steps", "sample_every", "checkpoint_every", "checkpoint_dir",
    "resume", "contact_sheets", "log_dir", "save_generator", "select", "output_size", "fit", "max_images",
    "max_image_bytes", "max_pixels", "decode_threads",
})

# Keras seeds the initialisers it is not given a seed for (spectral normalisation's vectors among them) from
# one process-wide counter: runs built at once in threads drew each other's numbers and started apart from
# the same run built alone. One build at a time (a fraction of a second; tracing is not part of it).
_build_lock = threading.Lock()


@attrs.define(eq=False)
class Engine:
    """One run's compiled machinery and the values its variables started from."""

    key: tuple | None  # None: never lent again
    rng: tf.random.Generator
    augment: AdaptiveAugment
    strategy: tf.distribute.Strategy | None
    stages: Stages
    stage: Stage
    fixed_noise: tf.Tensor
    standing_noise: tf.Tensor
    initial: list[tuple[tf.Variable, np.ndarray]] = attrs.field(factory=list)

    def reset(self) -> None:
        """Put every variable back to its value when the engine was built."""
        for variable, value in self.initial:
            variable.assign(value)


IDLE: IdlePool[Engine] = IdlePool(limit=4)


def engine_key(plan: TrainingPlan) -> tuple | None:
    """What must match for two runs to share an engine; None for runs whose engine is never shared."""
    config = plan.config
    if config.strategy != "default" or len(growth_sides(config)) > 1:
        return None
    settings = {name: value for name, value in config.to_dict().items() if name not in LOOP_SETTINGS}
    return json.dumps(settings, sort_keys=True, default=str), plan.pretraining, plan.fine_tuning


def take(plan: TrainingPlan) -> Engine:
    """An idle engine for this plan, reset to its initial state, or a newly built one."""
    key = engine_key(plan)
    engine = IDLE.take(key) if key is not None else None
    if engine is None:
        return build(plan, key)
    engine.reset()
    return engine


def give_back(engine: Engine) -> None:
    """Make an engine its Trainer no longer uses available to the next run with the same settings."""
    if engine.key is not None:
        IDLE.give_back(engine.key, engine)


def build(plan: TrainingPlan, key: tuple | None) -> Engine:
    """A new engine at the plan's first stage (the full-size one when fine-tuning a base)."""
    with _build_lock:
        keras.utils.set_random_seed(plan.config.seed)
        return _build(plan, key)


def _build(plan: TrainingPlan, key: tuple | None) -> Engine:
    config = plan.config
    augment = AdaptiveAugment(config.augment, config.ada_target, config.batch_size)
    rng = tf.random.Generator.from_seed(config.seed)
    standing_noise = tf.random.stateless_normal([STANDING_SAMPLES, config.z_dim], seed=(config.seed, 1))
    strategy = distribution_strategy(plan)  # None on one device
    stages = Stages(plan, rng, augment, strategy, standing_noise)
    # A base was trained to full size already: fine-tuning it does not grow again.
    stage = stages.build(stages.last if plan.fine_tuning else 0)
    # Fixed noise: every snapshot shows the same latent points, so progress is comparable.
    fixed_noise = rng.normal([config.samples_per_snapshot, config.z_dim])
    engine = Engine(key, rng, augment, strategy, stages, stage, fixed_noise, standing_noise)
    if key is not None:
        engine.initial = [(variable, variable.numpy()) for variable in _state_variables(engine)]
    return engine


def _state_variables(engine: Engine) -> list[tf.Variable]:
    """Every variable a training run changes."""
    models = engine.stage.models
    variables = [engine.rng.state, engine.augment.probability, engine.stages.fade_alpha]
    if models.anchors is not None:
        variables.append(models.anchors)
    for model in models.all():
        if model is not None:
            variables += [v.value for v in model.variables]
    for optimizer in (models.g_optimizer, models.d_optimizer):
        variables += [v.value for v in optimizer.variables]
    return variables
