"""Multiply-accumulates per image of a Keras model, counted from its layers' shapes (convolutions and dense):
the ones executed, so an UpConv2D counts its four 2×2 phase convolutions, not a 3×3 at twice the side."""

from __future__ import annotations

import math

import keras

from devface_core.gan.upconv import UpConv2D, upconv_macs


def layer_macs(layer: keras.layers.Layer) -> int:
    """MACs of one layer for one image; 0 for layers whose cost is negligible next to convolutions."""
    if isinstance(layer, keras.Model):
        return model_macs(layer)
    inner = getattr(layer, "layer", None)  # a wrapper such as SpectralNormalization: its shapes, inner kernel
    kernel_layer = inner if isinstance(inner, keras.layers.Layer) else layer
    if isinstance(layer, UpConv2D):
        return upconv_macs(*layer.input.shape[1:], layer.filters, layer.smooth)
    if isinstance(kernel_layer, keras.layers.Conv2DTranspose):
        in_h, in_w, _ = layer.input.shape[1:]
        return in_h * in_w * math.prod(kernel_layer.kernel.shape)
    if isinstance(kernel_layer, keras.layers.Conv2D):
        out_h, out_w, _ = layer.output.shape[1:]
        return out_h * out_w * math.prod(kernel_layer.kernel.shape)
    if isinstance(kernel_layer, keras.layers.Dense):
        return math.prod(kernel_layer.kernel.shape)
    return 0


def model_macs(model: keras.Model) -> int:
    """Total MACs of a model's forward pass for one image."""
    return sum(layer_macs(layer) for layer in model.layers)


def train_step_flops(generator: keras.Model, discriminator: keras.Model, batch: int, generator_passes: int = 3) -> int:
    """Approximate FLOPs of one GAN step (D on real and fake, then G through D), 2 FLOPs per MAC.

    A backward pass costs about twice its forward pass. G runs forward once for both updates and backward
    once (3·G); D runs forward and backward on the real and the fake batch, then forward and backward
    (to its input) on the fake for G's loss (9·D). The original loop ran G forward twice (4·G).
    """
    return 2 * batch * (generator_passes * model_macs(generator) + 9 * model_macs(discriminator))
