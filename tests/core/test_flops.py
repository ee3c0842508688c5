"""Counting multiply-accumulates from layer shapes (the basis of the GFLOP/s in train_throughput)."""

from __future__ import annotations

import keras
from keras import layers

from devface_core.gan.flops import model_macs, train_step_flops
from devface_core.gan.models import build_models, build_original_seed


def test_conv_dense_and_wrapped_layers_are_counted_from_their_shapes():
    image = keras.Input((8, 8, 3))
    x = layers.Conv2D(4, 3, padding="same")(image)  # 8·8 outputs × 3·3·3·4
    x = layers.SpectralNormalization(layers.Conv2D(2, 1, strides=2))(x)  # 4·4 outputs × 1·1·4·2
    x = layers.Conv2DTranspose(5, 2, strides=2)(x)  # 4·4 inputs × 2·2·5·2
    x = layers.Flatten()(x)
    out = layers.Dense(7)(x)  # 8·8·5 × 7
    model = keras.Model(image, out)
    assert model_macs(model) == 8 * 8 * 108 + 4 * 4 * 8 + 4 * 4 * 40 + 320 * 7


def test_the_original_seed_generator_at_128_matches_the_hand_count():
    generator, discriminator = build_original_seed(128, 100, seed=0)
    by_hand = 100 * 128 * 32 * 32 + 64 * 64 * 9 * 128 * 128 + 128 * 128 * 9 * 128 * 64 + 128 * 128 * 9 * 64 * 3
    assert model_macs(generator) == by_hand
    assert train_step_flops(generator, discriminator, 8) == 2 * 8 * (3 * by_hand + 9 * model_macs(discriminator))


def test_devface_seed_generator_counts_the_four_phase_convolutions_it_runs():
    generator, _ = build_models("seed", 128, 100, seed=0)
    # Each upsample + conv runs as four 2×2 convs (one per output parity) at the small side.
    by_hand = 100 * 128 * 32 * 32 + 4 * 32 * 32 * 4 * 128 * 128 + 4 * 64 * 64 * 4 * 128 * 64 + 128 * 128 * 9 * 64 * 3
    assert model_macs(generator) == by_hand
    original, _ = build_original_seed(128, 100, seed=0)
    assert model_macs(original) / model_macs(generator) > 2.1


def test_a_smooth_upconv_also_counts_its_blur():
    from devface_core.gan.upconv import UpConv2D

    image = keras.Input((4, 4, 3))
    plain = keras.Model(image, UpConv2D(5)(image))
    smooth = keras.Model(image, UpConv2D(5, smooth=True)(image))
    assert model_macs(plain) == 4 * 4 * 4 * (2 * 2 * 3 * 5)
    assert model_macs(smooth) - model_macs(plain) == 8 * 8 * 5 * 3 * 3  # a 3×3 depthwise tap per output
