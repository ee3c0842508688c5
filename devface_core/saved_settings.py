"""The settings a base or a checkpoint folder was saved with (`settings.json`), and whether a base holds an
encoder or an upscaler, read without TensorFlow.

Settings added after some bases and checkpoints were saved are filled in with what those were trained
with (LEGACY_SETTINGS), so an old folder still loads, and still refuses a run that differs from it.
"""

from __future__ import annotations

import json
from pathlib import Path

from devface_core.errors import ConfigError

# What bases and checkpoints saved before a setting existed were trained with.
LEGACY_SETTINGS = {"upsample": "nearest", "r1_gamma": 0.0, "minibatch_stddev": False, "noise_inputs": False,
                   "antialias": False, "g_width": 1, "g_depth": 1, "d_width": 1, "d_reconstruct": False,
                   "g_mapping": 0, "attention": False}
SETTINGS_FILE = "settings.json"
COMPACT_FILE = "weights.float16.npz"  # a shipped base (bases.save_compact_base): its models in one file


def read_saved_settings(folder: str | Path, role: str) -> dict:
    """A base folder's settings.json with legacy values filled in; ConfigError naming `role` if it is none."""
    folder = Path(folder)
    try:
        saved = json.loads((folder / SETTINGS_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{role} {folder}: not a devface base model ({exc})") from None
    return {**LEGACY_SETTINGS, **saved}


def read_checkpoint_settings(folder: str | Path) -> dict:
    """A checkpoint folder's settings.json with legacy values filled in, or {} when it has none."""
    path = Path(folder) / SETTINGS_FILE
    return {**LEGACY_SETTINGS, **json.loads(path.read_text())} if path.exists() else {}


def checkpoint_settings(folder: str | Path | None, names) -> dict:
    """The settings among `names` a checkpoint folder was made with ({} without a folder or a checkpoint);
    ConfigError when its settings.json cannot be read."""
    if not folder:
        return {}
    try:
        saved = read_checkpoint_settings(folder)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"checkpoint {folder}: its {SETTINGS_FILE} cannot be read ({exc})") from None
    return {name: saved[name] for name in names if name in saved}


def has_encoder(folder: str | Path) -> bool:
    """Whether a base holds an encoder (what `personalize latent` needs)."""
    return has_part(folder, "encoder")


def has_upscaler(folder: str | Path) -> bool:
    """Whether a base holds an upscaler (what publishing detail from twice its side needs)."""
    return has_part(folder, "upscaler")


def has_part(folder: str | Path, name: str) -> bool:
    """Whether a base holds the optional model `name` (`encoder` or `upscaler`), in either of its layouts."""
    folder = Path(folder)
    if (folder / COMPACT_FILE).exists():
        import numpy as np

        with np.load(folder / COMPACT_FILE) as saved:
            return any(key.startswith(name + "_") for key in saved.files)
    return (folder / f"{name}.weights.h5").exists()
