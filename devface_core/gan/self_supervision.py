"""The discriminator's self-supervision (FastGAN's): a small decoder redraws each real image, at half its side,
from the discriminator's last features, so those features must describe the whole face and not only the
few cues that tell 100 photos from fakes.

With `d_reconstruct` on, the `fast` discriminator has two outputs, (logit, reconstruction); the training step
reads the logit with `logits_of` and adds `reconstruction_loss` on the real batch to the discriminator's loss.
Fakes' reconstructions are computed and ignored: one model serves both.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

# The L1 term's weight beside the hinge loss (FastGAN adds its perceptual reconstruction loss at weight 1).
RECONSTRUCTION_WEIGHT = 1.0


def decoder_side(image_size: int) -> int:
    """The side the decoder redraws at: half the image's, and never below the features' own 8."""
    return max(8, image_size // 2)


def add_decoder(features, image_size: int, glorot, width: int = 1):
    """Decoder layers on the discriminator's last features (8×8 for `fast`): bilinear ×2 + 3×3 conv +
    LeakyReLU until `decoder_side`, then a 3×3 conv to RGB in [-1, 1]. Layers are named by side."""
    x, side = features, int(features.shape[1])
    while side < decoder_side(image_size):
        side *= 2
        x = layers.UpSampling2D(interpolation="bilinear", name=f"d_decode_up_{side}")(x)
        x = layers.Conv2D(width * max(16, 512 // side), 3, padding="same", kernel_initializer=glorot(),
                          name=f"d_decode_conv_{side}")(x)
        x = layers.LeakyReLU(negative_slope=0.2)(x)
    return layers.Conv2D(3, 3, padding="same", activation="tanh", kernel_initializer=glorot(),
                         name=f"d_decode_rgb_{side}")(x)


def logits_of(outputs) -> tf.Tensor:
    """The discriminator's logits, whether it has the reconstruction output or not."""
    return outputs[0] if isinstance(outputs, (list, tuple)) else outputs


def reconstruction_loss(outputs, images: tf.Tensor) -> tf.Tensor:
    """Mean L1 between the decoder's redrawing and `images` shrunk to its side (0 without a decoder)."""
    if not isinstance(outputs, (list, tuple)):
        return tf.constant(0.0)
    drawn = tf.cast(outputs[1], tf.float32)
    factor = int(images.shape[1]) // int(drawn.shape[1])
    target = tf.cast(images, tf.float32)
    if factor > 1:
        target = tf.nn.avg_pool2d(target, factor, factor, "VALID")
    return tf.reduce_mean(tf.abs(drawn - target))


def has_decoder(discriminator: keras.Model) -> bool:
    """Whether a discriminator was built with the self-supervised decoder."""
    return len(discriminator.outputs) == 2
