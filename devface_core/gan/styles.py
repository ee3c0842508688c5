"""A small mapping network and per-block style modulation for the `fast` generator (setting `g_mapping`).

Without it, the noise vector reaches the generator once, through its first dense layer, and every block
after that works from the feature map alone. With `g_mapping` N, N dense layers first map the noise to a
style code (StyleGAN's mapping network), the first dense layer reads that code, and every block's features
are scaled and shifted per channel by amounts the code sets (StyleModulation, a FiLM layer), so the code
steers the fine sides as well as the coarse layout.
"""

from __future__ import annotations

import keras
from keras import layers


def mapped(noise, depth: int, glorot):
    """The style code: `depth` dense layers with LeakyReLU over the noise, as wide as the noise (StyleGAN's
    are too; a wider code would also widen the first dense layer, the largest in a shipped base), or the
    noise itself at 0."""
    code = noise
    for index in range(depth):
        dense = layers.Dense(int(noise.shape[-1]), kernel_initializer=glorot(), name=f"g_mapping_{index}")
        code = layers.LeakyReLU(negative_slope=0.2)(dense(code))
    return code


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
