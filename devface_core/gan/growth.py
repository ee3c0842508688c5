"""Progressive growing (Karras et al. 2018): train small first, double the side, fade each new block in.

Steps at a quarter of the pixels cost about a quarter of the time, so the coarse structure of a face is
learnt cheaply and the full-size stage only has to add detail. The schedule is a function of how much of
the run's budget (steps, or seconds with `max_seconds`) is spent: the stages below full size share
`grow_share` of it equally, and each new block fades in over half the length of such a stage.
"""

from __future__ import annotations

import attrs
import numpy as np
import tensorflow as tf

from devface_core.config import Config
from devface_core.fields import growth_error
from devface_core.errors import ConfigError


def growth_sides(config: Config) -> tuple[int, ...]:
    """The sides trained at, smallest first: (image_size,) when not growing."""
    if growth_error(config):
        raise ConfigError(growth_error(config))
    sides = [config.grow_from or config.image_size]
    while sides[-1] < config.image_size:
        sides.append(sides[-1] * 2)
    return tuple(sides)


@attrs.frozen
class GrowthPoint:
    """Where a run is in the schedule: the stage index and the fade-in weight of its newest block."""

    stage: int
    alpha: float


def growth_point(sides: tuple[int, ...], share: float, spent: float) -> GrowthPoint:
    """The stage and fade-in weight once a fraction `spent` (0..1) of the budget is used."""
    if len(sides) == 1:
        return GrowthPoint(0, 1.0)
    stage_length = share / (len(sides) - 1)
    if stage_length <= 0:
        return GrowthPoint(len(sides) - 1, 1.0)
    stage = min(len(sides) - 1, int(spent / stage_length))
    if stage == 0:
        return GrowthPoint(0, 1.0)
    into_stage = spent - stage * stage_length
    return GrowthPoint(stage, min(1.0, into_stage / (0.5 * stage_length)))


def downsampled(images: tf.Tensor, side: int, chunk: int = 512) -> tf.Tensor:
    """(N, S, S, 3) uint8 images averaged down to side×side (S a power-of-two multiple of side), uint8."""
    factor = int(images.shape[1]) // side
    if factor == 1:
        return images
    pieces = []
    for start in range(0, int(images.shape[0]), chunk):  # chunks: float copies of all images at once could be GBs
        block = tf.cast(images[start : start + chunk], tf.float32)
        pooled = tf.nn.avg_pool2d(block, factor, factor, "VALID")
        pieces.append(tf.cast(tf.round(pooled), tf.uint8))
    return tf.concat(pieces, axis=0)


def faded_reals(real: tf.Tensor, alpha: tf.Tensor) -> tf.Tensor:
    """Real images blended toward their half-resolution version while a new block fades in (as D sees G's)."""
    coarse = tf.image.resize(tf.nn.avg_pool2d(real, 2, 2, "VALID"), tf.shape(real)[1:3], method="nearest")
    return coarse + alpha * (real - coarse)


def resident_images(images: np.ndarray) -> tf.Tensor:
    """The uint8 dataset as a tensor; on CPU it shares the array's memory when the array allows it."""
    aligned = images.flags.c_contiguous and images.ctypes.data % 64 == 0
    if aligned and len(images) and not tf.config.list_physical_devices("GPU"):
        # DLPack hands TensorFlow the same buffer: the dataset is not held twice during training.
        return tf.experimental.dlpack.from_dlpack(images.__dlpack__())
    return tf.constant(images, dtype=tf.uint8)


def check_training_images(images: np.ndarray, size: int) -> None:
    """ValueError unless `images` are (N, size, size, 3) uint8."""
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[1:] != (size, size, 3):
        raise ValueError(f"expected (N, {size}, {size}, 3) uint8 images, got {images.shape} {images.dtype}")
