"""DiffAugment (Zhao et al. 2020): the same random, differentiable changes to real and generated images
before the discriminator sees them, in both the D and the G step, so D cannot memorise a few photos.

Written from the paper: `color` (brightness ±0.5, saturation ×[0, 2], contrast ×[0.5, 1.5]), `translation`
(shift by up to 1/8 of the side, zero fill) and `cutout` (a zeroed square of half the side). Images are in
[-1, 1]; every draw comes from the trainer's seeded `tf.random.Generator`.
"""

from __future__ import annotations

import tensorflow as tf

from devface_core.choices import AUGMENTATIONS

# ADA's speed: p may go from 0 to 1 within this many real images. StyleGAN2-ADA uses 500k; a CPU run
# sees about 100k images in ten minutes, so this is scaled down for p to matter within a run.
ADA_IMAGES_TO_SATURATE = 20_000


class AdaptiveAugment:
    """What D sees of every image: a DiffAugment policy, applied always, or (ADA, a target above 0) to each
    image with a probability that starts at 0 and earns its strength from the discriminator's overfitting."""

    def __init__(self, policy: str, target: float, batch: int):
        self.policy, self.target, self._batch = policy, target, batch
        self.probability = tf.Variable(0.0 if target else 1.0, trainable=False)

    def __call__(self, images: tf.Tensor, rng: tf.random.Generator) -> tf.Tensor:
        """The images augmented by the policy (unchanged when it is empty)."""
        if not self.policy:
            return images
        return diff_augment(images, self.policy, rng, self.probability if self.target else None)

    def adapt(self, real_sign: tf.Tensor) -> None:
        """Move p after a step, from the mean sign of D on that step's reals (fixed strength: nothing)."""
        if self.target:
            self.probability.assign(adapted_probability(self.probability, real_sign, self.target, self._batch,
                                                        ADA_IMAGES_TO_SATURATE))


def diff_augment(images: tf.Tensor, policy: str, rng: tf.random.Generator,
                 probability: tf.Tensor | None = None) -> tf.Tensor:
    """Apply each augmentation named in a Config policy ('color,translation,…') in turn: to every image,
    or, given a `probability` (adaptive augmentation), to each image with that probability."""
    for name in filter(None, policy.split(",")):
        augmented = AUGMENTERS[name](images, rng)
        if probability is None:
            images = augmented
        else:
            chosen = rng.uniform([tf.shape(images)[0], 1, 1, 1]) < probability
            images = tf.where(chosen, augmented, images)
    return images


def adapted_probability(probability: tf.Tensor, real_sign: tf.Tensor, target: float, batch: int,
                        images_to_saturate: int) -> tf.Tensor:
    """StyleGAN2-ADA's rule: raise p while the discriminator is too sure of the reals (E[sign D(real)]
    above `target`), lower it otherwise, so that p could go from 0 to 1 within `images_to_saturate`."""
    step = tf.sign(real_sign - target) * batch / images_to_saturate
    return tf.clip_by_value(probability + step, 0.0, 1.0)


def color(images: tf.Tensor, rng: tf.random.Generator) -> tf.Tensor:
    """Random brightness, saturation and contrast per image."""
    batch = tf.shape(images)[0]
    images = images + (rng.uniform([batch, 1, 1, 1], dtype=images.dtype) - 0.5)
    grey = tf.reduce_mean(images, axis=3, keepdims=True)
    images = (images - grey) * (rng.uniform([batch, 1, 1, 1], dtype=images.dtype) * 2.0) + grey
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    return (images - mean) * (rng.uniform([batch, 1, 1, 1], dtype=images.dtype) + 0.5) + mean


def translation(images: tf.Tensor, rng: tf.random.Generator, ratio: float = 0.125) -> tf.Tensor:
    """Shift each image by up to `ratio` of its side in x and y, filling with zeros."""
    batch, height, width = tf.shape(images)[0], tf.shape(images)[1], tf.shape(images)[2]
    pad = tf.cast(tf.cast(height, tf.float32) * ratio + 0.5, tf.int32)
    shifts = rng.uniform([2, batch, 1], -pad, pad + 1, dtype=tf.int32)
    padded = tf.pad(images, [[0, 0], [pad, pad], [pad, pad], [0, 0]])
    rows = tf.range(height)[None, :] + pad + shifts[0]
    cols = tf.range(width)[None, :] + pad + shifts[1]
    shifted = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(shifted, cols, axis=2, batch_dims=1)


def cutout(images: tf.Tensor, rng: tf.random.Generator, ratio: float = 0.5) -> tf.Tensor:
    """Zero a random square of `ratio` × the side in each image."""
    batch, height, width = tf.shape(images)[0], tf.shape(images)[1], tf.shape(images)[2]
    half_h = tf.cast(tf.cast(height, tf.float32) * ratio / 2, tf.int32)
    half_w = tf.cast(tf.cast(width, tf.float32) * ratio / 2, tf.int32)
    centre_y = rng.uniform([batch, 1, 1], 0, height, dtype=tf.int32)
    centre_x = rng.uniform([batch, 1, 1], 0, width, dtype=tf.int32)
    inside_y = tf.abs(tf.range(height)[None, :, None] - centre_y) < half_h
    inside_x = tf.abs(tf.range(width)[None, None, :] - centre_x) < half_w
    keep = tf.cast(tf.logical_not(tf.logical_and(inside_y, inside_x)), images.dtype)
    return images * keep[..., None]


AUGMENTERS = {"color": color, "translation": translation, "cutout": cutout}
assert tuple(AUGMENTERS) == AUGMENTATIONS, "choices.AUGMENTATIONS must list every augmentation"


def random_flip(images: tf.Tensor, rng: tf.random.Generator) -> tf.Tensor:
    """Flip each image left-right with probability ½ (faces are near-symmetric: free extra data)."""
    flip = rng.uniform([tf.shape(images)[0], 1, 1, 1]) < 0.5
    return tf.where(flip, tf.reverse(images, axis=[2]), images)
