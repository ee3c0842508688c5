"""The generator's weight average (what snapshots and the published face come from) and its own
batch-norm statistics."""

from __future__ import annotations

import keras
import tensorflow as tf

from devface_core.errors import ConfigError
from devface_core.gan.graphs import compiled

STANDING_SAMPLES = 64  # noise vectors the weight average's batch-norm statistics are measured on


def average_copy(generator: keras.Model) -> keras.Model:
    """A new model of the generator's architecture holding its current weights: the average's start."""
    copy = keras.models.clone_model(generator)
    copy.set_weights(generator.get_weights())
    return copy


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


def average_decay(ema: float, fine_tuning: bool, generator_steps: tf.Variable) -> tf.Tensor:
    """The decay of this step: from scratch a warm-up lets the average leave its random start quickly,
    while a fine-tune's average starts at the base's and keeps the full decay."""
    if fine_tuning:
        # With the warm-up, a fine-tune's average followed the raw generator within a few dozen steps,
        # and from 10 likes that generator drew wavy colour stripes and warped faces by step 500.
        return tf.constant(ema, tf.float32)
    step = tf.cast(generator_steps, tf.float32)
    return tf.minimum(ema, (1.0 + step) / (10.0 + step))


def update_average(average: keras.Model, model: keras.Model, decay: tf.Tensor) -> None:
    """Move the average toward the model's new weights. Its batch-norm statistics are not averaged or
    copied here: `StandingStatistics` measures them whenever the average samples."""
    for averaged, weight in averaged_pairs(average, model):
        averaged.assign(decay * averaged + (1.0 - decay) * weight)


class StandingStatistics:
    """Gives the weight average batch-norm statistics of its own (BigGAN's "standing statistics").

    The raw generator's statistics describe other weights: the average sampled with them (each step
    used to copy them over) gave a base's faces washed out (SWD 120 against 47 with its own). Its own
    are measured on fixed noise before every sampling, so they depend on its weights alone and runs
    stay reproducible."""

    def __init__(self, average: keras.Model, noise: tf.Tensor):
        self._average, self._noise = average, noise
        self._compiled = compiled(self._pass)

    def _pass(self) -> None:
        self._average(self._noise, training=True)

    def refresh(self) -> None:
        """Measure the average's batch-norm statistics anew on the fixed noise."""
        norms = [layer for layer in self._average.layers if isinstance(layer, keras.layers.BatchNormalization)]
        settings = [(norm.momentum, norm.synchronized) for norm in norms]
        for norm in norms:
            # The moving statistics become this one batch's, computed here as on one device. The layers
            # read both settings while the pass is traced (the first call), so the graph keeps them.
            norm.momentum, norm.synchronized = 0.0, False
        try:
            self._compiled()
        finally:
            for norm, (momentum, synchronized) in zip(norms, settings):
                norm.momentum, norm.synchronized = momentum, synchronized
