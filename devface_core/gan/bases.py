"""A shared base model on disk: pretrain once on every user's likes, then fine-tune per user from it.

A base is a folder: `generator.weights.h5`, `discriminator.weights.h5`, `sampler.weights.h5` (the weight
average, or the generator again), `settings.json` (what the weights fit, see config.BASE_SETTINGS) and,
once it has them, `encoder.weights.h5` (faces to noise vectors, for `personalize latent`) and
`upscaler.weights.h5` (faces at twice the side, for publishing; see upscaler.py); or, compact
enough to ship in the package (`--init-from builtin`), `weights.float16.npz` and `settings.json`.
Each file is written beside its final name and renamed into place, so a base being rewritten is never
read half-written. Whether a base fits a run is decided by the plan (recipe.plan_training) before any
model is built.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import keras
import numpy as np

from devface_core.atomic import write_atomically
from devface_core.config import BASE_SETTINGS, Config
from devface_core.gan.step import GanModels
from devface_core.saved_settings import COMPACT_FILE, SETTINGS_FILE

WEIGHT_FILES = ("generator", "discriminator", "sampler")
OPTIONAL_PARTS = ("encoder", "upscaler")


def save_base(models: GanModels, config: Config, folder: str | Path, encoder: keras.Model | None = None,
              upscaler: keras.Model | None = None) -> Path:
    """Write full-size models (their average's statistics already standing), the encoder and the upscaler
    if given, and their shape settings."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    by_file = {"generator": models.generator, "discriminator": models.discriminator, "sampler": models.sampler}
    parts = {"encoder": encoder, "upscaler": upscaler}
    for name, model in {**by_file, **{name: model for name, model in parts.items() if model}}.items():
        _save_weights(model, folder, name)
    for name in (name for name, model in parts.items() if model is None):
        # An encoder left from an earlier base in this folder would map faces into the wrong noise space,
        # and an upscaler would speak for a crowd this base may not have seen.
        (folder / f"{name}.weights.h5").unlink(missing_ok=True)
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


def save_compact_base(models: GanModels, config: Config, folder: str | Path, encoder: keras.Model | None = None,
                      upscaler: keras.Model | None = None) -> Path:
    """Write a base small enough to ship: the sampler, the discriminator, the encoder and the upscaler (if
    given) as float16 (the raw generator starts from the sampler when fine-tuning, as the weight average is
    the better start), and its settings."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    parts = (("sampler", models.sampler), ("discriminator", models.discriminator), ("encoder", encoder),
             ("upscaler", upscaler))
    _write_compact(folder, {key: array for name, model in parts if model is not None
                            for key, array in _float16_arrays(name, model).items()})
    settings = {name: config.to_dict()[name] for name in BASE_SETTINGS}
    write_atomically(folder / SETTINGS_FILE, json.dumps(settings, sort_keys=True).encode())
    return folder


def _compact_weights(path: Path, name: str) -> list[np.ndarray]:
    """One model's float32 weights from a compact base file (empty when it holds none of that model)."""
    with np.load(path) as saved:
        return [saved[key].astype(np.float32) for key in sorted(saved.files) if key.startswith(name + "_")]


def _load_compact(models: GanModels, path: Path) -> None:
    sampler = _compact_weights(path, "sampler")
    for model in (models.generator, models.average):
        if model is not None:
            model.set_weights(sampler)
    models.discriminator.set_weights(_compact_weights(path, "discriminator"))


def load_model_weights(model: keras.Model, folder: str | Path, name: str) -> keras.Model:
    """Load one of a base's models (`sampler`, `discriminator`, `encoder` or `upscaler`) into `model`, which
    is returned."""
    folder = Path(folder)
    if (folder / COMPACT_FILE).exists():
        model.set_weights(_compact_weights(folder / COMPACT_FILE, name))
    else:
        model.load_weights(folder / f"{name}.weights.h5")
    return model


def save_part(folder: str | Path, name: str, model: keras.Model) -> None:
    """Add an optional model (OPTIONAL_PARTS) to a saved base, replacing its own (into its compact file when
    it is a shipped-style base)."""
    assert name in OPTIONAL_PARTS, name
    _replace_models(folder, {name: model})


def save_adapted(folder: str | Path, sampler: keras.Model, generator: keras.Model, discriminator: keras.Model) -> None:
    """Replace a base's sampler, generator and discriminator (adaptation.py), into its compact file when it is a
    shipped-style base (which keeps no raw generator)."""
    raw = {} if (Path(folder) / COMPACT_FILE).exists() else {"generator": generator}
    _replace_models(folder, {"sampler": sampler, "discriminator": discriminator, **raw})


def _replace_models(folder: str | Path, models: dict[str, keras.Model]) -> None:
    """Write each named model over a saved base's own: its .h5 files, or its entries in the compact file."""
    folder = Path(folder)
    if not (folder / COMPACT_FILE).exists():
        for name, model in models.items():
            _save_weights(model, folder, name)
        return
    replaced = tuple(f"{name}_" for name in models)
    with np.load(folder / COMPACT_FILE) as saved:
        arrays = {key: saved[key] for key in saved.files if not key.startswith(replaced)}
    for name, model in models.items():
        arrays.update(_float16_arrays(name, model))
    _write_compact(folder, arrays)


def _save_weights(model: keras.Model, folder: Path, name: str) -> None:
    """`<name>.weights.h5`, written beside its final name and renamed into place."""
    temporary = folder / f".{name}.{os.getpid()}.weights.h5"
    model.save_weights(temporary)
    os.replace(temporary, folder / f"{name}.weights.h5")


def _float16_arrays(name: str, model: keras.Model) -> dict[str, np.ndarray]:
    """A model's weights as float16 arrays keyed `<name>_NNN`, in the model's order."""
    return {f"{name}_{index:03d}": weight.astype(np.float16) for index, weight in enumerate(model.get_weights())}


def _write_compact(folder: Path, arrays: dict[str, np.ndarray]) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_atomically(folder / COMPACT_FILE, buffer.getvalue())
