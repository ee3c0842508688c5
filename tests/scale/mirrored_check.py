"""Run as a script: train a tiny model on one device and mirrored over two logical CPU devices, from the
same seed, and print the largest difference between their generators' weights and their samples as JSON.

A script, because the CPU can only be split into logical devices before TensorFlow starts."""

from __future__ import annotations

import json

import attrs
import numpy as np
import tensorflow as tf

cpu = tf.config.list_physical_devices("CPU")[0]
tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
# One thread and deterministic kernels: a sum then always adds in the same order, whatever the machine's load.
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.experimental.enable_op_determinism()

from devface_core.config import Config  # noqa: E402
from devface_core.gan.trainer import Trainer  # noqa: E402


def trained(config: Config) -> tuple[Trainer, dict[str, float]]:
    """A trainer after its run, and the losses of its last step."""
    trainer = Trainer(config)
    snapshots = list(trainer.train(np.random.default_rng(3).integers(0, 255, (16, 16, 16, 3), dtype=np.uint8)))
    return trainer, snapshots[-1].losses


# `seed`'s synchronised batch norm, across its real/fake discriminator passes, aborts TensorFlow's collective
# ops with a shape mismatch between replicas, so config refuses it; mirrored training is checked on `fast`.
# Minibatch stddev stays off: each replica measures only its share of the batch, so no replica can match
# the single device's.
STEPS = 1
# Two variants cover both upsamplings, R1 and LeCam (each pair of runs costs about 6 s of a 2-core CI run).
VARIANTS = {"fast": {"upsample": "nearest", "r1_gamma": 0.0, "minibatch_stddev": False},
            "fast bilinear r1 lecam": {"upsample": "bilinear", "r1_gamma": 10.0, "minibatch_stddev": False,
                                       "lecam": 0.3}}


def main() -> None:
    results = {}
    for variant, settings in VARIANTS.items():
        # No augmentation: its random draws happen inside each replica, so they would differ from one
        # device's (flips, batch and noise are drawn for the whole batch and do match).
        # One step: both runs start from the same weights and batch, so the only difference left is the order
        # of float additions. Over several steps, Adam's early updates (about ±lr whatever a gradient's size)
        # turned rounding-sized gradient differences into weight gaps of 1e-4 that varied from host to host.
        config = Config(architecture="fast", image_size=16, z_dim=8, batch_size=8, max_steps=STEPS, seed=4,
                        ema=0.9, augment="none", ada_target=0.0, mirror=True, **settings)
        (single, losses), (mirrored, mirrored_losses) = trained(config), trained(attrs.evolve(config, strategy="mirrored"))
        # Adam's steps do not change when a loss is scaled, so the weights cannot show a wrong replica
        # scale; the losses do.
        loss_gap = max(abs(losses[name] - mirrored_losses[name]) for name in ("d_loss", "g_loss"))
        weight_gap = max(float(np.max(np.abs(a - b))) for a, b in
                         zip(single.generator.get_weights(), mirrored.generator.get_weights()))
        change = max(float(np.max(np.abs(a - b))) for a, b in
                     zip(single.generator.get_weights(), Trainer(config).generator.get_weights()))
        sample_gap = int(np.max(np.abs(single.generate(4).astype(int) - mirrored.generate(4).astype(int))))
        results[variant] = {"replicas": mirrored.strategy.num_replicas_in_sync, "weight_gap": weight_gap,
                                 "weight_change": change, "sample_gap": sample_gap, "steps": mirrored.steps_done,
                            "loss_gap": loss_gap}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
