"""GAN architectures by name. `seed` reproduces the hackathon original's shapes so results compare.

Each builder returns (generator, discriminator). The discriminator outputs logits (no sigmoid): the
trainer applies the sigmoid inside the loss, which is the same model and numerically safer.
"""

from __future__ import annotations

import itertools
from typing import Callable

import keras
from keras import layers

from devface_core.choices import ARCHITECTURES
from devface_core.errors import ConfigError
from devface_core.gan.attention import attended
from devface_core.gan.discriminator import fast_discriminator
from devface_core.gan.layers import FadeIn, GatedLinearUnit, NoiseInput
from devface_core.gan.styles import StyleModulation, mapped
from devface_core.gan.upconv import UpConv2D

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


def seed_generator(image_size: int, z_dim: int, seeds: _SeedSequence, fused: bool = True) -> keras.Model:
    """The original generator: Dense → 2× (UpSampling + Conv 128/64 + BN + ReLU) → Conv 3 tanh.

    `fused` computes each upsample + conv as one UpConv2D (same model, 2.25× fewer multiply-adds); the
    benchmarks build the original's literal layers with fused=False."""
    base = image_size // 4
    z = keras.Input((z_dim,), name="z")
    x = layers.Dense(128 * base * base, activation="relu", kernel_initializer=seeds.glorot())(z)
    x = layers.Reshape((base, base, 128))(x)
    for filters in (128, 64):
        if fused:
            x = UpConv2D(filters, kernel_initializer=seeds.glorot())(x)
        else:
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


def _build_seed(image_size: int, z_dim: int, seed: int, fading: bool = False, **fast_only) -> ModelPair:
    # `seed` reproduces the original's layers, so `fast`'s shape options (upsampling, widths, mapping, attention)
    # do not apply.
    if fading:
        raise ConfigError("architecture 'seed' does not grow progressively (use architecture 'fast')")
    seeds = _SeedSequence(seed)
    return seed_generator(image_size, z_dim, seeds), seed_discriminator(image_size, seeds)


def build_original_seed(image_size: int, z_dim: int, seed: int) -> ModelPair:
    """The seed pair with the original's literal UpSampling2D + Conv2D layers, for the benchmarks' baseline."""
    seeds = _SeedSequence(seed)
    return seed_generator(image_size, z_dim, seeds, fused=False), seed_discriminator(image_size, seeds)


def _fast_plan(image_size: int, width: int = 1) -> tuple[int, list[int]]:
    """(starting side, channels per upsampling block): halve the side down to ≤ 8, 256 channels there;
    `width` multiplies each block's channels up to 128 (the first block's)."""
    side, blocks = image_size, 0
    while side > 8 and side % 2 == 0:
        side, blocks = side // 2, blocks + 1
    return side, [min(128, max(32, 256 >> (index + 1)) * width) for index in range(blocks)]


def fast_generator(image_size: int, z_dim: int, seeds: _SeedSequence, fading: bool = False,
                   upsample: str = "bilinear", noise_inputs: bool = False, width: int = 1,
                   depth: int = 1, mapping: int = 0, attention: bool = False) -> keras.Model:
    """Few-shot generator: Dense → side×side×256, then blocks of `upsample` ×2 + 3×3 conv (one UpConv2D)
    + BN (+ NoiseInput with `noise_inputs`) + GLU, and `depth` − 1 more 3×3 conv + BN + GLU at the block's
    side (FastGAN's blocks have two); `width` multiplies the channels (see _fast_plan); `mapping` (styles.py);
    `attention` (attention.py) after the block at its side.

    No transposed convolutions (their uneven overlap is what draws checkerboards); GLU gates as in FastGAN.
    Layers are named by the side they work at, so a model grown to twice the size (progressive training)
    takes every layer of the smaller one by name. While `fading`, the last block's image is blended with the
    previous side's image upsampled (ProGAN's fade-in), by a FadeIn weight the trainer raises from 0 to 1.
    """
    side, channels = _fast_plan(image_size, width)
    z = keras.Input((z_dim,), name="z")
    code = mapped(z, mapping, seeds.next)
    x = layers.Dense(side * side * 256, kernel_initializer=seeds.glorot(), name="g_dense")(code)
    x = layers.Reshape((side, side, 256))(x)
    x = layers.BatchNormalization(name="g_dense_bn")(x)
    x = layers.LeakyReLU(negative_slope=0.2)(x)
    previous = x
    for filters in channels:
        previous, side = x, side * 2
        x = UpConv2D(2 * filters, use_bias=False, kernel_initializer=seeds.glorot(), smooth=upsample == "bilinear",
                     name=f"g_conv_{side}")(x)
        x = layers.BatchNormalization(name=f"g_bn_{side}")(x)
        if noise_inputs:
            x = NoiseInput(seed=seeds.next(), name=f"g_noise_{side}")(x)
        if mapping:
            x = StyleModulation(name=f"g_style_{side}")([x, code])
        x = _deeper(GatedLinearUnit()(x), filters, side, depth, seeds)
        if attention:
            x = attended(x, side, seeds.next, spectral=False, prefix="g")
    image = _to_rgb(x, side, seeds)
    if fading:
        smaller = layers.UpSampling2D(interpolation=upsample)(_to_rgb(previous, side // 2, seeds))
        image = FadeIn(name="g_fade")([smaller, image])
    return keras.Model(z, image, name="fast_generator")


def _deeper(x, filters: int, side: int, depth: int, seeds: _SeedSequence):
    """`depth` − 1 more 3×3 convolutions, each with batch norm and GLU, at a generator block's side."""
    for extra in range(2, depth + 1):
        x = layers.Conv2D(2 * filters, 3, padding="same", use_bias=False, kernel_initializer=seeds.glorot(),
                          name=f"g_conv{extra}_{side}")(x)
        x = GatedLinearUnit()(layers.BatchNormalization(name=f"g_bn{extra}_{side}")(x))
    return x


def _to_rgb(features, side: int, seeds: _SeedSequence):
    return layers.Conv2D(3, 3, padding="same", activation="tanh", kernel_initializer=seeds.glorot(),
                         name=f"g_to_rgb_{side}")(features)


def _build_fast(image_size: int, z_dim: int, seed: int, fading: bool = False, upsample: str = "bilinear",
                minibatch_stddev: bool = False, noise_inputs: bool = False, antialias: bool = False,
                g_width: int = 1, d_width: int = 1, d_reconstruct: bool = False, g_depth: int = 1,
                g_mapping: int = 0, attention: bool = False) -> ModelPair:
    seeds = _SeedSequence(seed)
    return (fast_generator(image_size, z_dim, seeds, fading, upsample, noise_inputs, g_width, g_depth, g_mapping,
                           attention),
            fast_discriminator(image_size, seeds, fading, minibatch_stddev, antialias, d_width, d_reconstruct,
                               attention))


BUILDERS: dict[str, Callable[..., ModelPair]] = {"seed": _build_seed, "fast": _build_fast}
assert set(BUILDERS) == set(ARCHITECTURES), "choices.ARCHITECTURES must list every builder"


def build_models(
    architecture: str, image_size: int, z_dim: int, seed: int, precision: str = "float32", fading: bool = False,
    synchronized: bool = False, upsample: str = "bilinear", minibatch_stddev: bool = False,
    noise_inputs: bool = False, antialias: bool = False, g_width: int = 1, d_width: int = 1,
    d_reconstruct: bool = False, g_depth: int = 1, g_mapping: int = 0, attention: bool = False,
) -> ModelPair:
    """Build (generator, discriminator) for an architecture name, computing in `precision`; `fading` adds
    the fade-in from half the size that progressive growing needs; `synchronized` makes batch norm use the
    whole batch's statistics when the batch is split over devices; `upsample` (nearest or bilinear) is how
    the `fast` generator doubles its side (`seed` keeps the original's nearest); `minibatch_stddev` shows
    `fast`'s discriminator the batch's spread; `noise_inputs` adds per-pixel noise to `fast`'s generator
    blocks, `antialias` blurs before its discriminator's strided convs; `g_width` and `d_width` multiply
    `fast`'s channels, `g_depth` deepens its generator's blocks, `g_mapping` adds a mapping network and style
    modulation; `d_reconstruct` gives its discriminator the self-supervised decoder; `attention` adds
    self-attention at 16×16 to both (recipe.model_options)."""
    try:
        builder = BUILDERS[architecture]
    except KeyError:
        raise ConfigError(f"architecture {architecture!r}: expected one of {', '.join(BUILDERS)}") from None
    # Keras keeps the dtype policy per thread, so setting it around the build touches no other trainer.
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(precision)
    try:
        models = builder(image_size, z_dim, seed, fading, upsample=upsample, minibatch_stddev=minibatch_stddev,
                         noise_inputs=noise_inputs, antialias=antialias, g_width=g_width, d_width=d_width,
                         d_reconstruct=d_reconstruct, g_depth=g_depth, g_mapping=g_mapping, attention=attention)
    finally:
        keras.config.set_dtype_policy(previous)
    for layer in (layer for model in models for layer in model.layers):
        if isinstance(layer, layers.BatchNormalization):
            layer.synchronized = synchronized  # read when the layer runs, and saved in its config
    return models


def transfer_weights(source: keras.Model, target: keras.Model) -> int:
    """Copy each named layer's weights from `source` into the same-named, same-shaped layer of `target`;
    return how many layers were copied (a grown model takes everything the smaller one had)."""
    copied = 0
    by_name = {layer.name: layer for layer in source.layers}
    for layer in target.layers:
        old = by_name.get(layer.name)
        if old is None or not layer.weights or isinstance(layer, FadeIn):
            continue
        weights = old.get_weights()
        if [w.shape for w in weights] == [tuple(w.shape) for w in layer.weights]:
            layer.set_weights(weights)
            copied += 1
    return copied
