"""Self-attention at 16×16 in the `fast` networks (setting `attention`, SAGAN's non-local block).

Each position of the 16×16 feature map mixes in every other position's features, weighted by how alike they
are, in the generator and in the discriminator. It was built against the faces split down the middle that
bases draw (the two halves of two faces). It did not make them rarer: its 6 000-step base passed more faces
through the outside detector, but scored a higher KID, and the whole recipe with it fell behind the shipped
base on both (docs/benchmarks.md, "Self-attention"), so it is off.
"""

from __future__ import annotations

import keras
from keras import layers

# γ learns at this multiple of the optimiser's rate (stored divided by it, used multiplied): at the plain rate it
# had reached only 0.05 in the generator and 0.02 in the discriminator after 1 500 steps of a base, so the
# block was hardly used (docs/benchmarks.md, "Self-attention").
GAMMA_RATE = 10.0
# Where the block sits: the side with enough positions for a face's parts and few enough (256) that the
# attention map costs less than one of the side's convolutions.
ATTENTION_SIDE = 16


def attended(features, side: int, next_seed, spectral: bool, prefix: str):
    """`features` through a SelfAttention block when `side` is ATTENTION_SIDE, else unchanged; `spectral`
    normalises its projections (the discriminator's layers are all spectrally normalised)."""
    if side != ATTENTION_SIDE:
        return features
    return SelfAttention(seeds=[next_seed() for _ in range(4)], spectral=spectral, name=f"{prefix}_attention_{side}")(
        features)


@keras.saving.register_keras_serializable(package="devface")
class SelfAttention(layers.Layer):
    """x + γ · out(softmax(query·keyᵀ) · value), over every position of a feature map; γ starts at 0, so the
    block starts as no change and its weight grows only as far as training finds it useful (at GAMMA_RATE).

    Query and key have an eighth of the channels, value half, as SAGAN's; the attention map is computed in
    float32 whatever the precision, so that a bfloat16 softmax over 256 positions does not round its small
    weights away."""

    def __init__(self, seeds: list[int], spectral: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.seeds, self.spectral = list(seeds), spectral

    def build(self, input_shape):
        channels = int(input_shape[-1])
        widths = (max(1, channels // 8), max(1, channels // 8), max(1, channels // 2), channels)
        self.projections = []
        for name, width, seed in zip(("query", "key", "value", "out"), widths, self.seeds):
            conv = layers.Conv2D(width, 1, use_bias=False, kernel_initializer=keras.initializers.GlorotUniform(seed),
                                 dtype=self.dtype_policy, name=name)
            self.projections.append(layers.SpectralNormalization(conv, dtype=self.dtype_policy) if self.spectral
                                    else conv)
        shapes = [input_shape, input_shape, input_shape, (*input_shape[:-1], widths[2])]
        for projection, shape in zip(self.projections, shapes):
            projection.build(shape)
        self.gamma = self.add_weight(shape=(), initializer="zeros", name="gamma")

    def call(self, inputs, training=None):
        query, key, value, out = self.projections
        shape = keras.ops.shape(inputs)
        positions = shape[1] * shape[2]

        def flat(projection):
            return keras.ops.reshape(projection(inputs, training=training), (shape[0], positions, -1))

        logits = keras.ops.matmul(keras.ops.cast(flat(query), "float32"),
                                  keras.ops.transpose(keras.ops.cast(flat(key), "float32"), (0, 2, 1)))
        weights = keras.ops.cast(keras.ops.softmax(logits, axis=-1), inputs.dtype)
        mixed = keras.ops.reshape(keras.ops.matmul(weights, flat(value)), (shape[0], shape[1], shape[2], -1))
        mixed = out(mixed, training=training)  # a plain Conv2D ignores `training`; spectral norm needs it
        return inputs + keras.ops.cast(self.gamma * GAMMA_RATE, inputs.dtype) * mixed

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seeds": self.seeds, "spectral": self.spectral}
