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


BUILDERS: dict[str, Callable[[int, int, int], ModelPair]] = {"seed": _build_seed}
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
