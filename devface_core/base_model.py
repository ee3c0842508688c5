"""A shared base model: pretrain once on every user's likes, then fine-tune per user from it.

A base is a folder: `generator.weights.h5`, `discriminator.weights.h5`, `sampler.weights.h5` (the weight
average, or the generator again) and `settings.json` (what the weights fit). Each file is written beside
its final name and renamed into place, so a base being rewritten is never read half-written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import attrs
import numpy as np

from devface_core.config import LEGACY_SETTINGS, Config, r1_strength
from devface_core.dataset import load_training_set
from devface_core.errors import ConfigError, NoImagesError
from devface_core.protocols import ImageSource
from devface_core.atomic import write_atomically

if TYPE_CHECKING:
    from devface_core.gan.trainer import Trainer

# What shapes the models: a base and its fine-tunes must agree on each.
BASE_SETTINGS = ("architecture", "image_size", "z_dim", "precision", "grow_from", "upsample", "minibatch_stddev")
WEIGHT_FILES = ("generator", "discriminator", "sampler")


@attrs.frozen
class PretrainReport:
    """What pretraining used and where the base went."""

    users: tuple[str, ...]
    images_used: int
    images_skipped: int
    steps: int
    base: str
    config: dict

    def to_dict(self) -> dict:
        """The report as plain JSON-ready data."""
        return attrs.asdict(self)


def save_base(trainer: "Trainer", folder: str | Path) -> Path:
    """Write the trainer's models and settings as a base in `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    trainer.grow_to_full_size()  # a base always fits its image_size, however short its training was
    trainer.standing_statistics()
    models = {"generator": trainer.generator, "discriminator": trainer.discriminator, "sampler": trainer.sampler}
    for name, model in models.items():
        temporary = folder / f".{name}.{os.getpid()}.weights.h5"
        model.save_weights(temporary)
        os.replace(temporary, folder / f"{name}.weights.h5")
    settings = {name: trainer.config.to_dict()[name] for name in BASE_SETTINGS}
    write_atomically(folder / "settings.json", json.dumps(settings, sort_keys=True).encode())
    return folder


def base_settings(folder: str | Path) -> dict:
    """What a base's weights fit (settings.json, with LEGACY_SETTINGS for what older bases did not record)."""
    folder = Path(folder)
    try:
        saved = json.loads((folder / "settings.json").read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"init_from {folder}: not a devface base model ({exc})") from None
    return {**LEGACY_SETTINGS, **saved}


def stddev_choice(config: Config, pretraining: bool = False) -> bool:
    """Whether a run's discriminator sees the batch's spread: minibatch_stddev when set; on 'auto', on for a
    base being pretrained, as the base has it for a fine-tune, and off from scratch.

    Measured with benchmarks/quality.py (20-minute bases on 40 faces, 10 likes): bases with it drew
    samples nearly as varied as real faces (MS-SSIM 1.07× the likes' against 1.21× without) and their
    fine-tunes kept that; from scratch it gave samples more alike, not less."""
    if config.minibatch_stddev is not None:
        return config.minibatch_stddev
    if pretraining:
        return True
    return bool(base_settings(config.init_from)["minibatch_stddev"]) if config.init_from else False


def load_base(trainer: "Trainer", folder: str | Path) -> None:
    """Start the trainer from a base: same architecture, size, noise size and precision, or ConfigError."""
    folder = Path(folder)
    saved = base_settings(folder)
    current = {name: trainer.config.to_dict()[name] for name in BASE_SETTINGS}
    changed = [f"{name} {saved.get(name)!r} (this run: {current[name]!r})" for name in BASE_SETTINGS
               if saved.get(name) != current[name]]
    if changed:
        raise ConfigError(f"init_from {folder}: the base was trained with {'; '.join(changed)}")
    trainer.generator.load_weights(folder / "generator.weights.h5")
    trainer.discriminator.load_weights(folder / "discriminator.weights.h5")
    if trainer.ema_generator is not None:
        trainer.ema_generator.load_weights(folder / "sampler.weights.h5")


def pretrain(source: ImageSource, user_ids: Iterable[str], config: Config, out: str | Path,
             progress=None) -> PretrainReport:
    """Train one model on the liked images of all `user_ids` together and save it as a base in `out`."""
    from devface_core.gan.trainer import Trainer  # TensorFlow loads only when training starts

    users = tuple(user_ids)
    sets = [load_training_set(source, user_id, config) for user_id in users]
    images = np.concatenate([s.images for s in sets]) if sets else np.zeros((0,))
    if len(images) == 0:
        raise NoImagesError(f"pretrain: no usable liked images for {len(users)} users")
    trainer = Trainer(attrs.evolve(config, init_from=None, r1_gamma=r1_strength(config, pretraining=True),
                                   minibatch_stddev=stddev_choice(config, pretraining=True)))
    for _ in trainer.train(images, progress):
        pass
    save_base(trainer, out)
    return PretrainReport(users, len(images), sum(len(s.skipped) for s in sets), trainer.steps_done,
                          str(Path(out)), trainer.config.to_dict())
