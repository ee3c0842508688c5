"""Nearest ×2 upsampling followed by a 3×3 "same" convolution, computed at the low resolution.

After a nearest ×2 upsample, each output pixel's 3×3 window covers only 2×2 distinct input pixels, and
which input pixels depends only on the output pixel's phase (row and column parity). So the same result
is four 2×2 convolutions of the small input, one per phase, interleaved: 4·4 multiply-adds per input
pixel and filter instead of 4·9, 2.25× fewer, forward and backward. Measured with gradients on a 2-core
CPU: 1.2–1.9× faster (four separate convolutions beat one with 4× the filters, whose slicing cost more).
The parameters stay one 3×3 kernel, so the layer is the same model as UpSampling2D + Conv2D (same
weights, same initialisation).

`smooth` turns the nearest upsample into a bilinear one at the cost of one fixed depthwise blur: a nearest
×2 upsample followed by a [1, 2, 1]/4 blur (edges repeated) *is* the bilinear ×2 upsample, and the blur
commutes with the convolution, so it runs after it. Nearest upsampling lets each of the four phases of
an output pixel draw on a different 2×2 kernel, which a briefly trained generator shows as a 2-pixel grid.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers

# Which of the 3×3 kernel's rows act on the input row above (first row) and the row itself (second row)
# for an even output row, and on the row itself and the row below for an odd one; the same for columns.
_PHASE_TAPS = (((1.0, 0.0, 0.0), (0.0, 1.0, 1.0)), ((1.0, 1.0, 0.0), (0.0, 0.0, 1.0)))
PHASES = ((0, 0), (0, 1), (1, 0), (1, 1))  # (row, column) parity, in depth_to_space's channel order


def phase_kernel(kernel: tf.Tensor, row: int, col: int) -> tf.Tensor:
    """The (2, 2, C, F) kernel that a (3, 3, C, F) kernel becomes for output pixels of one parity."""
    rows, cols = (tf.constant(_PHASE_TAPS[parity], kernel.dtype) for parity in (row, col))
    return tf.einsum("pr,qs,rsio->pqio", rows, cols, kernel)


def upsample_conv(images: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
    """conv3x3_same(nearest_upsample_2x(images), kernel), computed on the small images."""
    phases = []
    for row, col in PHASES:
        # An even output row reads the input rows above and at it (pad above), an odd one the rows at and
        # below (pad below); each phase is then a "valid" 2×2 convolution of the small image's size.
        padded = tf.pad(images, [[0, 0], [1 - row, row], [1 - col, col], [0, 0]])
        phases.append(tf.nn.conv2d(padded, phase_kernel(kernel, row, col), 1, "VALID"))
    return tf.nn.depth_to_space(tf.concat(phases, axis=-1), 2)


def blur_121(images: tf.Tensor) -> tf.Tensor:
    """A [1, 2, 1]/4 blur in each direction with edges repeated (after a nearest ×2 upsample: bilinear)."""
    taps = tf.constant([0.25, 0.5, 0.25], images.dtype)
    kernel = tf.tile(tf.einsum("r,s->rs", taps, taps)[:, :, None, None], [1, 1, images.shape[-1], 1])
    padded = tf.pad(images, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="SYMMETRIC")
    return tf.nn.depthwise_conv2d(padded, kernel, [1, 1, 1, 1], "VALID")


@keras.saving.register_keras_serializable(package="devface")
class UpConv2D(layers.Layer):
    """UpSampling2D(nearest) then Conv2D(filters, 3, padding="same"), with the multiply-adds of the small side;
    `smooth` upsamples bilinearly instead (exactly so away from a two-pixel border)."""

    def __init__(self, filters: int, activation=None, use_bias: bool = True,
                 kernel_initializer="glorot_uniform", smooth: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.filters = filters
        self.smooth = smooth
        self.activation = keras.activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(3, 3, input_shape[-1], self.filters), name="kernel",
                                      initializer=self.kernel_initializer)
        self.bias = self.add_weight(shape=(self.filters,), name="bias", initializer="zeros") if self.use_bias else None

    def call(self, inputs):
        outputs = upsample_conv(inputs, keras.ops.cast(self.kernel, inputs.dtype))
        if self.smooth:
            outputs = blur_121(outputs)
        if self.bias is not None:
            outputs = outputs + keras.ops.cast(self.bias, outputs.dtype)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        batch, height, width, _ = input_shape
        return batch, None if height is None else 2 * height, None if width is None else 2 * width, self.filters

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "use_bias": self.use_bias, "smooth": self.smooth,
                "activation": keras.activations.serialize(self.activation),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer)}


def upconv_macs(height: int, width: int, channels: int, filters: int, smooth: bool = False) -> int:
    """Multiply-adds per image that `upsample_conv` (and the blur, when smooth) executes on a
    (height, width, channels) input."""
    blur = 3 * 3 * filters if smooth else 0  # per output pixel, depthwise
    return 4 * height * width * (2 * 2 * channels * filters + blur)
