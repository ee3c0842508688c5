"""Training throughput: devface's compiled step vs the original's Keras loop, and against this CPU's peak.

Run: python benchmarks/train_throughput.py [--image-size 128] [--steps 20] [--precisions float32] [--quick]
Same architecture, same batch sizes; steps/s, images/s, achieved GFLOP/s (from the layers' MACs, see
devface_core/gan/flops.py) as a share of the fp32 matmul peak measured here, and the ratio to the original.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import common
from baseline_seed import original_steps_per_second


def matmul_peak_gflops(size: int = 2048, repeats: int = 10) -> float:
    """This machine's fp32 matmul throughput through TensorFlow: the practical ceiling for a conv net."""
    import tensorflow as tf

    a = tf.random.stateless_normal((size, size), seed=(1, 2))
    chain = tf.function(lambda x: tf.reduce_sum(tf.linalg.matmul(x, x)))
    chain(a).numpy()
    started = time.perf_counter()
    for _ in range(repeats):
        chain(a).numpy()
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9


def devface_steps_per_second(
    architecture: str, image_size: int, batch: int, steps: int, precision: str = "float32"
) -> tuple[float, int]:
    """(steps/s, FLOPs per step) of devface's Trainer on random uint8 images, after compiling."""
    from devface_core.config import Config
    from devface_core.gan.flops import train_step_flops
    from devface_core.gan.trainer import Trainer

    # The bare step, like the original's loop: no augmentation, flips or weight average (devface's defaults
    # add those; they cost a few percent and are the quality benchmark's business).
    trainer = Trainer(Config(architecture=architecture, image_size=image_size, batch_size=batch, precision=precision,
                             augment="", ada_target=0.0, mirror=False, ema=0.0))
    return steps_per_second(trainer, image_size, steps), train_step_flops(trainer.generator, trainer.discriminator, batch)


def steps_per_second(trainer, image_size: int, steps: int) -> float:
    """`trainer`'s training steps per second on random uint8 images, after tracing."""
    from devface_core.gan.growth import resident_images

    images = np.random.default_rng(0).integers(0, 255, (64, image_size, image_size, 3), dtype=np.uint8)
    real = resident_images(images)
    trainer.run_steps(real, 3)
    started = time.perf_counter()
    trainer.run_steps(real, steps)
    return steps / (time.perf_counter() - started)


def original_step_flops(size: int, batch: int) -> int:
    """FLOPs of the original's step: its literal upsample + 3×3 convs, and the generator forward once more."""
    from devface_core.gan.flops import train_step_flops
    from devface_core.gan.models import build_original_seed

    generator, discriminator = build_original_seed(size, 100, seed=0)
    return train_step_flops(generator, discriminator, batch, generator_passes=4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batches", default="8,32")
    parser.add_argument("--precisions", help="comma-separated, e.g. float32 (default: every precision; bf16 "
                        "steps are very slow on CPUs without bf16 units)")
    parser.add_argument("--quick", action="store_true", help="16×16, batch 8, 3 steps: proves the benchmark runs")
    args = parser.parse_args()
    size, steps = (16, 3) if args.quick else (args.image_size, args.steps)
    batches = [8] if args.quick else [int(b) for b in args.batches.split(",")]
    from devface_core.choices import PRECISIONS
    precisions = args.precisions.split(",") if args.precisions else PRECISIONS
    if set(precisions) - set(PRECISIONS):
        parser.error(f"unknown precision in {args.precisions!r} (known: {', '.join(PRECISIONS)})")
    from devface_core.gan.models import BUILDERS

    peak = matmul_peak_gflops(repeats=2 if args.quick else 10)
    print(common.machine_line())
    print(f"fp32 matmul peak (2048², TensorFlow): {peak:.1f} GFLOP/s; image size {size}², {steps} timed steps")
    print(f"{'architecture':<12} {'batch':>5} {'loop':<15} {'steps/s':>8} {'images/s':>9} {'GFLOP/s':>8} "
          f"{'% peak':>7} {'vs original':>12}")
    for batch in batches:
        original = original_steps_per_second(size, batch, steps)
        _row("seed", batch, "original", original, original_step_flops(size, batch), peak, original)
        for architecture in BUILDERS:
            for precision in precisions:
                rate, flops = devface_steps_per_second(architecture, size, batch, steps, precision)
                loop = "devface" if precision == "float32" else "devface (bf16)"
                _row(architecture, batch, loop, rate, flops, peak, original)


def _row(architecture: str, batch: int, loop: str, rate: float, flops: int, peak: float, original: float) -> None:
    gflops = rate * flops / 1e9
    print(f"{architecture:<12} {batch:>5} {loop:<15} {rate:>8.2f} {rate * batch:>9.1f} {gflops:>8.1f} "
          f"{100 * gflops / peak:>6.1f}% {rate / original:>11.2f}×")


if __name__ == "__main__":
    main()
