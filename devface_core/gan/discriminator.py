"""The `fast` architecture's discriminator: spectrally normalised strided convolutions down to 8×8, one logit."""

from __future__ import annotations

import keras
from keras import layers

from devface_core.gan.attention import attended
from devface_core.gan.layers import Blur, FadeIn, MinibatchStddev
from devface_core.gan.self_supervision import add_decoder


def _fast_filters(side: int, width: int = 1) -> int:
    """Discriminator channels at a side: fixed per side (so a grown D holds the smaller one), 128 at 8×8,
    times `width`."""
    return width * min(256, max(32, 1024 // side))


def fast_discriminator(image_size: int, seeds, fading: bool = False, minibatch_stddev: bool = False,
                       antialias: bool = False, width: int = 1, reconstruct: bool = False,
                       attention: bool = False) -> keras.Model:
    """A 1×1 from-RGB, then spectral-normalised blocks (4×4 stride 2, 3×3) with LeakyReLU, no batch norm,
    down to 8×8; one logit. While `fading`, the first block's output is blended with the half-size image's
    from-RGB features (ProGAN's fade-in). `minibatch_stddev` feeds the last 3×3 conv the batch's spread
    (MinibatchStddev) as one more channel; `antialias` blurs before each strided conv; `width` multiplies
    the channels; `reconstruct` adds a second output, the real image redrawn from the last features
    (self_supervision); `attention` adds self-attention (attention.py) once the side is down to its side.
    `seeds` hands out the initialisers' seeds (models._SeedSequence)."""
    image = keras.Input((image_size, image_size, 3), name="image")
    x = _from_rgb(image, image_size, seeds, width)
    side = image_size
    while side > 8 and side % 2 == 0:
        last_block = not (side // 2 > 8 and side // 2 % 2 == 0)
        x = _halving_block(x, side, seeds, width, minibatch_stddev and last_block, antialias)
        if fading and side == image_size:
            smaller = _from_rgb(layers.AveragePooling2D(2)(image), side // 2, seeds, width)
            x = FadeIn(name="d_fade")([smaller, x])
        side //= 2
        if attention:
            x = attended(x, side, seeds.next, spectral=True, prefix="d")
    features = x
    x = layers.Flatten()(x)
    logit = layers.SpectralNormalization(layers.Dense(1, kernel_initializer=seeds.glorot()), name="d_logit")(x)
    if reconstruct:
        logit = [logit, add_decoder(features, image_size, seeds.glorot, width)]
    return keras.Model(image, logit, name="fast_discriminator")


def _halving_block(x, side: int, seeds, width: int, stddev: bool, antialias: bool):
    """A 4×4 stride-2 and a 3×3 convolution, spectrally normalised, with LeakyReLU: `side` to half of it."""
    for kernel, strides in ((4, 2), (3, 1)):
        if stddev and kernel == 3:
            x = MinibatchStddev(name="d_minibatch_stddev")(x)
        if antialias and strides == 2:
            x = Blur(name=f"d_blur_{side}")(x)
        conv = layers.Conv2D(_fast_filters(side // 2, width), kernel, strides=strides, padding="same",
                             kernel_initializer=seeds.glorot())
        x = layers.LeakyReLU(negative_slope=0.2)(layers.SpectralNormalization(conv, name=f"d_conv{kernel}_{side}")(x))
    return x


def _from_rgb(image, side: int, seeds, width: int = 1):
    conv = layers.Conv2D(_fast_filters(side, width), 1, kernel_initializer=seeds.glorot())
    return layers.LeakyReLU(negative_slope=0.2)(layers.SpectralNormalization(conv, name=f"d_from_rgb_{side}")(image))
