"""LeCam regularisation (setting `lecam`; Tseng et al., CVPR 2021, for GANs trained on few images).

The discriminator's logits on the likes are pulled down towards the moving average of its logits on
generated faces, and its logits on generated faces up towards the average on the likes, so that on a small
crowd it cannot drive the two far apart by remembering the likes.
"""

from __future__ import annotations

import tensorflow as tf

# The averages' decay per step (the paper's): they follow the logits over about a hundred steps.
ANCHOR_DECAY = 0.99


def lecam_anchors() -> tf.Variable:
    """[average logit on the likes, average logit on generated faces], both starting at 0; replicas of a
    mirrored run each move them and keep the mean."""
    return tf.Variable([0.0, 0.0], trainable=False, name="lecam_anchors",
                       aggregation=tf.VariableAggregation.MEAN)


def lecam_penalty(real_logits: tf.Tensor, fake_logits: tf.Tensor, anchors: tf.Variable) -> tf.Tensor:
    """Move the anchors by this batch, then mean(relu(D(like) − fake average)²) + mean(relu(real average −
    D(fake))²): only logits beyond the other side's average are pulled."""
    real, fake = tf.cast(real_logits, tf.float32), tf.cast(fake_logits, tf.float32)
    batch_means = tf.stack([tf.reduce_mean(real), tf.reduce_mean(fake)])
    # A variable's read is where a tape stops, so neither the move nor the averages carry a gradient.
    anchors.assign(ANCHOR_DECAY * anchors + (1.0 - ANCHOR_DECAY) * batch_means)
    real_average, fake_average = tf.unstack(tf.convert_to_tensor(anchors))
    return (tf.reduce_mean(tf.square(tf.nn.relu(real - fake_average)))
            + tf.reduce_mean(tf.square(tf.nn.relu(real_average - fake))))
