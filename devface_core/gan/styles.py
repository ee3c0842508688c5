"""A small mapping network and per-block style modulation for the `fast` generator (setting `g_mapping`).

Without it, the noise vector reaches the generator once, through its first dense layer, and every block
after that works from the feature map alone. With `g_mapping` N, N dense layers first map the noise to a
style code (StyleGAN's mapping network), the first dense layer reads that code, and every block's features
are scaled and shifted per channel by amounts the code sets (StyleModulation, a FiLM layer), so the code
steers the fine sides as well as the coarse layout.

How far it steers them is small: with no mapping network, each block reading a code of its own and
trained with style mixing, the blocks' codes changed mostly a face's tint and lighting, not its layout,
and no user's taste beyond 64 samples' spread (docs/benchmarks.md, "Per-block codes trained with style
mixing").
"""

from __future__ import annotations

import math

import keras
from keras import layers

# The mapping network learns at this fraction of the generator's rate, as StyleGAN's does. Neither rate made
# a better base: both narrowed its faces (docs/benchmarks.md, "A mapping network and style modulation").
MAPPING_RATE = 0.01


def mapped(noise, depth: int, next_seed):
    """The style code: `depth` SlowDense layers with LeakyReLU over the noise, as wide as the noise (StyleGAN's
    are too; a wider code would also widen the first dense layer, the largest in a shipped base), or the
    noise itself at 0. `next_seed` gives each layer's seed."""
    code = noise
    for index in range(depth):
        dense = SlowDense(int(noise.shape[-1]), MAPPING_RATE, seed=next_seed(), name=f"g_mapping_{index}")
        code = layers.LeakyReLU(negative_slope=0.2)(dense(code))
    return code


@keras.saving.register_keras_serializable(package="devface")
class SlowDense(layers.Layer):
    """A dense layer whose weights learn at `rate` times the optimiser's rate. It stores them divided by
    `rate` and multiplies them back when it runs; Adam's step is the same size whatever a weight's scale, so
    the weights it uses move `rate` times as far (StyleGAN's learning-rate multiplier)."""

    def __init__(self, units: int, rate: float, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.rate, self.seed = units, rate, seed

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.scale = self.rate / math.sqrt(fan_in)  # the weights it uses start as N(0, 1/fan_in)
        stored = keras.initializers.RandomNormal(stddev=1.0 / self.rate, seed=self.seed)
        self.kernel = self.add_weight(shape=(fan_in, self.units), initializer=stored, name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.kernel * self.scale) + self.bias * self.rate

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "rate": self.rate, "seed": self.seed}


@keras.saving.register_keras_serializable(package="devface")
class StyleModulation(layers.Layer):
    """(features, code) → features·(1 + scale) + shift, one scale and shift per channel, a dense map of the code.

    The map starts at zero, so a block begins as it is without modulation and the code's influence grows
    only as far as training finds it useful."""

    def build(self, input_shape):
        features, code = input_shape
        channels = int(features[-1])
        self.kernel = self.add_weight(shape=(int(code[-1]), 2 * channels), initializer="zeros", name="kernel")
        self.bias = self.add_weight(shape=(2 * channels,), initializer="zeros", name="bias")

    def call(self, inputs):
        features, code = inputs
        scale, shift = keras.ops.split(keras.ops.matmul(code, self.kernel) + self.bias, 2, axis=-1)
        scale, shift = scale[:, None, None, :], shift[:, None, None, :]
        return features * (1.0 + scale) + shift

    def compute_output_shape(self, input_shape):
        return input_shape[0]
