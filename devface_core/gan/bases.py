"""A shared base model on disk: pretrain once on every user's likes, then fine-tune per user from it.

A base is a folder: `generator.weights.h5`, `discriminator.weights.h5`, `sampler.weights.h5` (the weight
average, or the generator again) and `settings.json` (what the weights fit, see config.BASE_SETTINGS); or,
compact enough to ship in the package (`--init-from builtin`), `weights.float16.npz` and `settings.json`.
Each file is written beside its final name and renamed into place, so a base being rewritten is never
read half-written. Whether a base fits a run is decided by the plan (recipe.plan_training) before any
model is built.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import numpy as np

from devface_core.atomic import write_atomically
from devface_core.config import BASE_SETTINGS, Config
from devface_core.gan.step import GanModels
from devface_core.saved_settings import SETTINGS_FILE

WEIGHT_FILES = ("generator", "discriminator", "sampler")
COMPACT_FILE = "weights.float16.npz"  # a shipped base (save_compact_base): the sampler and the discriminator


def save_base(models: GanModels, config: Config, folder: str | Path) -> Path:
    """Write full-size models (their average's statistics already standing) and their shape settings."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    by_file = {"generator": models.generator, "discriminator": models.discriminator, "sampler": models.sampler}
    for name, model in by_file.items():
        temporary = folder / f".{name}.{os.getpid()}.weights.h5"
        model.save_weights(temporary)
        os.replace(temporary, folder / f"{name}.weights.h5")
    settings = {name: config.to_dict()[name] for name in BASE_SETTINGS}
    write_atomically(folder / SETTINGS_FILE, json.dumps(settings, sort_keys=True).encode())
    return folder


def load_base(models: GanModels, folder: str | Path) -> None:
    """Start full-size models from a base's weights (the plan has checked that the base fits)."""
    folder = Path(folder)
    if (folder / COMPACT_FILE).exists():
        _load_compact(models, folder / COMPACT_FILE)
        return
    models.generator.load_weights(folder / "generator.weights.h5")
    models.discriminator.load_weights(folder / "discriminator.weights.h5")
    if models.average is not None:
        models.average.load_weights(folder / "sampler.weights.h5")


def save_compact_base(models: GanModels, config: Config, folder: str | Path) -> Path:
    """Write a base small enough to ship: the sampler and the discriminator as float16 (the raw generator
    starts from the sampler when fine-tuning, as the weight average is the better start), and its settings."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {f"{name}_{index:03d}": weight.astype(np.float16)
              for name, model in (("sampler", models.sampler), ("discriminator", models.discriminator))
              for index, weight in enumerate(model.get_weights())}
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_atomically(folder / COMPACT_FILE, buffer.getvalue())
    settings = {name: config.to_dict()[name] for name in BASE_SETTINGS}
    write_atomically(folder / SETTINGS_FILE, json.dumps(settings, sort_keys=True).encode())
    return folder


def _load_compact(models: GanModels, path: Path) -> None:
    with np.load(path) as saved:
        def weights(name: str) -> list[np.ndarray]:
            return [saved[key].astype(np.float32) for key in sorted(saved.files) if key.startswith(name + "_")]

        sampler = weights("sampler")
        for model in (models.generator, models.average):
            if model is not None:
                model.set_weights(sampler)
        models.discriminator.set_weights(weights("discriminator"))
