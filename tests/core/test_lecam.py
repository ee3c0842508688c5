"""LeCam regularisation (setting lecam): its averages and penalty, and that it changes only what it should."""

from __future__ import annotations

import attrs
import numpy as np
import tensorflow as tf

from devface_core.gan.lecam import ANCHOR_DECAY, lecam_anchors, lecam_penalty
from devface_core.gan.trainer import Trainer


def test_the_penalty_pulls_only_logits_beyond_the_other_sides_moved_average():
    anchors = lecam_anchors()
    anchors.assign([2.0, -2.0])
    real, fake = np.array([3.0, -4.0, 1.0]), np.array([-1.0, 5.0])
    penalty = float(lecam_penalty(tf.constant(real[:, None]), tf.constant(fake[:, None]), anchors))
    moved = ANCHOR_DECAY * np.array([2.0, -2.0]) + (1 - ANCHOR_DECAY) * np.array([real.mean(), fake.mean()])
    assert np.allclose(anchors.numpy(), moved)
    expected = np.mean(np.maximum(real - moved[1], 0) ** 2) + np.mean(np.maximum(moved[0] - fake, 0) ** 2)
    assert np.isclose(penalty, expected, rtol=1e-6)


def test_the_penalty_has_no_gradient_through_the_averages():
    anchors, real = lecam_anchors(), tf.Variable([[1.0], [3.0]])
    with tf.GradientTape() as tape:
        penalty = lecam_penalty(real, tf.constant([[0.0]]), anchors)
    # d/dreal of mean(relu(real − fake average)²) alone: the fake average (0.01 · 0 + …) is a constant.
    assert np.allclose(tape.gradient(penalty, real).numpy(), (2.0 / 2) * (real.numpy() - anchors.numpy()[1]))


def test_a_base_with_lecam_trains_its_discriminator_otherwise_and_moves_the_averages(tiny_config):
    images = np.random.default_rng(3).integers(0, 255, (8, 16, 16, 3), dtype=np.uint8)
    plain, pulled = (Trainer(attrs.evolve(tiny_config, max_steps=4, lecam=weight)) for weight in (0.0, 0.3))
    for trainer in (plain, pulled):
        list(trainer.train(images))
    assert plain.models.anchors is None and np.abs(pulled.models.anchors.numpy()).min() > 0
    before = [v.numpy() for v in plain.models.discriminator.trainable_variables]
    after = [v.numpy() for v in pulled.models.discriminator.trainable_variables]
    assert any(not np.allclose(a, b) for a, b in zip(before, after))
