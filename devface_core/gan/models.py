"""GAN architectures by name. `seed` reproduces the hackathon original's shapes so results compare.

Each builder returns (generator, discriminator). The discriminator outputs logits (no sigmoid): the
trainer applies the sigmoid inside the loss, which is the same model and numerically safer.
"""

from __future__ import annotations

import itertools
from typing import Callable

import keras
from keras import layers

from devface_core.config import ARCHITECTURES
from devface_core.errors import ConfigError

ModelPair = tuple[keras.Model, keras.Model]


class _SeedSequence:
    """Hands out distinct integer seeds so every initialiser and dropout is reproducible."""

    def __init__(self, seed: int):
        self._counter = itertools.count(seed * 1000)

    def glorot(self) -> keras.initializers.Initializer:
        """A seeded Glorot-uniform initialiser (Keras's default kernel initialiser)."""
        return keras.initializers.GlorotUniform(seed=next(self._counter))

    def next(self) -> int:
        """The next seed."""
        return next(self._counter)


def seed_generator(image_size: int, z_dim: int, seeds: _SeedSequence) -> keras.Model:
    """The original generator: Dense → 2× (UpSampling + Conv 128/64 + BN + ReLU) → Conv 3 tanh."""
    base = image_size // 4
    z = keras.Input((z_dim,), name="z")
    x = layers.Dense(128 * base * base, activation="relu", kernel_initializer=seeds.glorot())(z)
    x = layers.Reshape((base, base, 128))(x)
    for filters in (128, 64):
        x = layers.UpSampling2D()(x)
        x = layers.Conv2D(filters, 3, padding="same", kernel_initializer=seeds.glorot())(x)
        x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.Activation("relu")(x)
    image = layers.Conv2D(3, 3, padding="same", activation="tanh", kernel_initializer=seeds.glorot())(x)
    return keras.Model(z, image, name="seed_generator")


def seed_discriminator(image_size: int, seeds: _SeedSequence) -> keras.Model:
    """The original discriminator: Conv 32/64/128/256 with LeakyReLU, dropout 0.25 and BN, then one logit."""
    image = keras.Input((image_size, image_size, 3), name="image")
    x = image
    for index, (filters, strides) in enumerate(((32, 2), (64, 2), (128, 2), (256, 1))):
        x = layers.Conv2D(filters, 3, strides=strides, padding="same", kernel_initializer=seeds.glorot())(x)
        if index == 1:
            x = layers.ZeroPadding2D(((0, 1), (0, 1)))(x)
        if index > 0:
            x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
        x = layers.Dropout(0.25, seed=seeds.next())(x)
    x = layers.Flatten()(x)
    logit = layers.Dense(1, kernel_initializer=seeds.glorot())(x)
    return keras.Model(image, logit, name="seed_discriminator")


def _build_seed(image_size: int, z_dim: int, seed: int) -> ModelPair:
    seeds = _SeedSequence(seed)
    return seed_generator(image_size, z_dim, seeds), seed_discriminator(image_size, seeds)


def _fast_plan(image_size: int) -> tuple[int, list[int]]:
    """(starting side, channels per upsampling block): halve the side down to ≤ 8, 256 channels there."""
    side, blocks = image_size, 0
    while side > 8 and side % 2 == 0:
        side, blocks = side // 2, blocks + 1
    return side, [max(32, 256 >> (index + 1)) for index in range(blocks)]


def fast_generator(image_size: int, z_dim: int, seeds: _SeedSequence) -> keras.Model:
    """Few-shot generator: Dense → side×side×256, then blocks of nearest upsample + 3×3 conv + BN + GLU.

    No transposed convolutions (their uneven overlap is what draws checkerboards); GLU gates as in FastGAN.
    """
    side, channels = _fast_plan(image_size)
    z = keras.Input((z_dim,), name="z")
    x = layers.Dense(side * side * 256, kernel_initializer=seeds.glorot())(z)
    x = layers.Reshape((side, side, 256))(x)
    x = layers.BatchNormalization()(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    for filters in channels:
        x = layers.UpSampling2D(interpolation="nearest")(x)
        x = layers.Conv2D(2 * filters, 3, padding="same", use_bias=False, kernel_initializer=seeds.glorot())(x)
        x = layers.BatchNormalization()(x)
        x = GatedLinearUnit()(x)
    image = layers.Conv2D(3, 3, padding="same", activation="tanh", kernel_initializer=seeds.glorot())(x)
    return keras.Model(z, image, name="fast_generator")


@keras.saving.register_keras_serializable(package="devface")
class GatedLinearUnit(layers.Layer):
    """GLU: the first half of the channels, gated by the sigmoid of the second half."""

    def call(self, inputs):
        value, gate = keras.ops.split(inputs, 2, axis=-1)
        return value * keras.ops.sigmoid(gate)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] // 2)


def fast_discriminator(image_size: int, seeds: _SeedSequence) -> keras.Model:
    """Spectral-normalised blocks (4×4 stride 2, then 3×3) with LeakyReLU, no batch norm, to ≤ 8×8; one logit."""
    image = keras.Input((image_size, image_size, 3), name="image")
    x, side, filters = image, image_size, 32
    while side > 8 and side % 2 == 0:
        for kernel, strides in ((4, 2), (3, 1)):
            conv = layers.Conv2D(filters, kernel, strides=strides, padding="same", kernel_initializer=seeds.glorot())
            x = layers.LeakyReLU(negative_slope=0.2)(layers.SpectralNormalization(conv)(x))
        side, filters = side // 2, min(256, filters * 2)
    x = layers.Flatten()(x)
    logit = layers.SpectralNormalization(layers.Dense(1, kernel_initializer=seeds.glorot()))(x)
    return keras.Model(image, logit, name="fast_discriminator")


def _build_fast(image_size: int, z_dim: int, seed: int) -> ModelPair:
    seeds = _SeedSequence(seed)
    return fast_generator(image_size, z_dim, seeds), fast_discriminator(image_size, seeds)


BUILDERS: dict[str, Callable[[int, int, int], ModelPair]] = {"seed": _build_seed, "fast": _build_fast}
assert set(BUILDERS) == set(ARCHITECTURES), "config.ARCHITECTURES must list every builder"


def build_models(
    architecture: str, image_size: int, z_dim: int, seed: int, precision: str = "float32"
) -> ModelPair:
    """Build (generator, discriminator) for an architecture name, computing in `precision`."""
    try:
        builder = BUILDERS[architecture]
    except KeyError:
        raise ConfigError(f"architecture {architecture!r}: expected one of {', '.join(BUILDERS)}") from None
    # Keras keeps the dtype policy per thread, so setting it around the build touches no other trainer.
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        return builder(image_size, z_dim, seed)
    finally:
        keras.config.set_dtype_policy(previous)
