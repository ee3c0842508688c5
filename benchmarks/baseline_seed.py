"""A re-creation of the hackathon original, for timing only: its Keras training loop and its file dance.

Training (per step, as the original): `generator.predict(noise)`, then `discriminator.train_on_batch` on
real and on fake images, then `combined.train_on_batch(noise, valid)` — same `seed` architecture as devface.
Data path: fetch every row, decode each base64 row to a PNG file, re-open it, resize to 128×128, save a
second PNG, then load them all into one float32 array.

Run alone: python benchmarks/baseline_seed.py [--steps 50] [--image-size 128] [--batch 8]
"""

from __future__ import annotations

import argparse
import base64
import tempfile
import time
from pathlib import Path

import numpy as np

import common


def build_original(image_size: int, batch: int, z_dim: int = 100):
    """(generator, discriminator, combined) compiled as the original: BCE, Adam(2e-4, 0.5), D frozen in combined."""
    import keras

    from devface_core.gan.models import build_original_seed

    generator, discriminator = build_original_seed(image_size, z_dim, seed=0)
    loss = keras.losses.BinaryCrossentropy(from_logits=True)  # devface's D ends in logits, not a sigmoid
    discriminator.compile(loss=loss, optimizer=keras.optimizers.Adam(2e-4, 0.5), metrics=["accuracy"])
    # Keras 3 fixes a model's trainable variables when its train function is first traced, while the
    # original (Keras 2) fixed them at compile: trace D's step while it is trainable, then freeze it.
    # Same batch shape as the loop, or the later call retraces with D frozen.
    images = np.zeros((batch, image_size, image_size, 3), np.float32)
    discriminator.train_on_batch(images, np.ones((batch, 1)))
    discriminator.trainable = False
    z = keras.Input((z_dim,))
    combined = keras.Model(z, discriminator(generator(z)))
    combined.compile(loss=loss, optimizer=keras.optimizers.Adam(2e-4, 0.5))
    return generator, discriminator, combined


def original_step(models, real_images: np.ndarray, batch: int, z_dim: int, rng: np.random.Generator) -> None:
    """One step of the original loop, Python between every call."""
    generator, discriminator, combined = models
    valid, fake = np.ones((batch, 1)), np.zeros((batch, 1))
    images = real_images[rng.integers(0, len(real_images), batch)]
    noise = rng.normal(0, 1, (batch, z_dim))
    generated = generator.predict(noise, verbose=0)
    discriminator.train_on_batch(images, valid)
    discriminator.train_on_batch(generated, fake)
    combined.train_on_batch(noise, valid)


def original_steps_per_second(image_size: int, batch: int, steps: int, warmup: int = 3) -> float:
    """Steps/s of the original loop on random float32 images (data path excluded)."""
    rng = np.random.default_rng(0)
    real = rng.uniform(-1, 1, (64, image_size, image_size, 3)).astype(np.float32)
    models = build_original(image_size, batch)
    for _ in range(warmup):
        original_step(models, real, batch, 100, rng)
    started = time.perf_counter()
    for _ in range(steps):
        original_step(models, real, batch, 100, rng)
    return steps / (time.perf_counter() - started)


def original_ingest(rows: list[str], size: int = 128) -> np.ndarray:
    """The original data path: rows → PNG files → resized PNG files → one float32 array in [-1, 1]."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as folder:
        raw, resized = Path(folder, "raw"), Path(folder, "resized")
        raw.mkdir()
        resized.mkdir()
        for index, text in enumerate(rows):
            payload = text.split(",", 1)[1] if text.startswith("data:") else text
            (raw / f"{index}.png").write_bytes(base64.b64decode(payload))
        for path in sorted(raw.iterdir()):
            with Image.open(path) as image:
                image.convert("RGB").resize((size, size)).save(resized / path.name)
        arrays = [np.asarray(Image.open(path).convert("RGB")) for path in sorted(resized.iterdir())]
    return np.array(arrays, dtype=np.float32) / 127.5 - 1.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    print(common.machine_line())
    rate = original_steps_per_second(args.image_size, args.batch, args.steps)
    print(f"original loop, seed {args.image_size}², batch {args.batch}: {rate:.2f} steps/s")


if __name__ == "__main__":
    main()
