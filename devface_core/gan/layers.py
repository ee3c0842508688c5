"""The custom Keras layers of the `fast` architecture and progressive growing."""

from __future__ import annotations

import keras
from keras import layers

from devface_core.gan.upconv import blur_121


@keras.saving.register_keras_serializable(package="devface")
class GatedLinearUnit(layers.Layer):
    """GLU: the first half of the channels, gated by the sigmoid of the second half."""

    def call(self, inputs):
        value, gate = keras.ops.split(inputs, 2, axis=-1)
        return value * keras.ops.sigmoid(gate)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] // 2)


@keras.saving.register_keras_serializable(package="devface")
class FadeIn(layers.Layer):
    """(old, new) → old + alpha·(new − old): a just-added block takes over smoothly as alpha goes 0 → 1."""

    def build(self, input_shape):
        self.alpha = self.add_weight(shape=(), initializer="zeros", trainable=False, name="alpha")

    def call(self, inputs):
        old, new = inputs
        return old + keras.ops.cast(self.alpha, new.dtype) * (new - old)

    def compute_output_shape(self, input_shape):
        return input_shape[1]


@keras.saving.register_keras_serializable(package="devface")
class MinibatchStddev(layers.Layer):
    """Appends one constant channel: the batch's standard deviation per feature, averaged (ProGAN).

    A discriminator that sees one image at a time cannot tell a batch of near-identical samples from a
    batch of different likes; with this channel, a generator that draws one face for every noise loses."""

    def call(self, inputs):
        features = keras.ops.cast(inputs, "float32")  # the variance of bfloat16 features is too coarse
        spread = keras.ops.mean(keras.ops.sqrt(keras.ops.var(features, axis=0) + 1e-8))
        channel = keras.ops.ones_like(inputs[..., :1]) * keras.ops.cast(spread, inputs.dtype)
        return keras.ops.concatenate([inputs, channel], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)


@keras.saving.register_keras_serializable(package="devface")
class NoiseInput(layers.Layer):
    """Adds one noise image to every channel, scaled per channel by a learned strength that starts at 0
    (StyleGAN's noise inputs), so fine texture such as hair can be random instead of a pattern the
    convolutions repeat. Training draws fresh noise each call; sampling adds a fixed noise image, saved
    with the weights, so a noise vector always draws the same face. `sampling_scale` (set_sampling_noise)
    scales the strength in a model that only samples."""

    def __init__(self, seed: int | None = None, sampling_scale: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.seed, self.sampling_scale = seed, sampling_scale
        self._seeds = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        self.strength = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="strength")
        self.fixed = self.add_weight(shape=(*input_shape[1:3], 1), trainable=False, name="fixed",
                                     initializer=keras.initializers.RandomNormal(stddev=1.0, seed=self.seed))

    def call(self, inputs, training=False):
        if training:
            shape = (keras.ops.shape(inputs)[0], *inputs.shape[1:3], 1)
            noise = keras.random.normal(shape, dtype=inputs.dtype, seed=self._seeds)
        else:
            noise = keras.ops.cast(self.fixed, inputs.dtype)[None]
        # A Python test, read when the pass is traced: the generator being trained (scale 1) multiplies nothing.
        strength = self.strength if self.sampling_scale == 1.0 else self.strength * self.sampling_scale
        return inputs + noise * keras.ops.cast(strength, inputs.dtype)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed, "sampling_scale": self.sampling_scale}


# Noise inputs sample with this share of the strength they trained with. On three crowd bases with noise
# inputs, a quarter of it took KID from 1.18 / 1.47 / 1.05 to 0.78 / 1.05 / 0.75, MTCNN >= .99 level on
# average (docs/benchmarks.md, "Stripes: sampling noise on three bases"); at full strength a speckle covers
# the faces.
SAMPLING_NOISE = 0.25


def set_sampling_noise(sampler: keras.Model, scale: float = SAMPLING_NOISE) -> None:
    """Scale every noise input's learned strength in `sampler` by `scale`: a weight average or a loaded
    sampler, never the generator being trained (its batch-norm statistics, measured on the sampler, see
    the same noise). Call it before the sampler's first pass: the scale is read when a pass is traced."""
    for layer in sampler.layers:
        if isinstance(layer, NoiseInput):
            layer.sampling_scale = float(scale)


@keras.saving.register_keras_serializable(package="devface")
class Blur(layers.Layer):
    """A fixed [1, 2, 1]/4 blur in each direction (edges repeated): before a strided convolution, it keeps
    detail finer than the stride can sample from folding into coarse patterns (anti-aliased downsampling)."""

    def call(self, inputs):
        return blur_121(inputs)
