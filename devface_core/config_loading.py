"""Resolving a run's settings: CLI > DEVFACE_* environment > file > defaults, validated where each value came from.

`load_config` layers the sources, lets a base's shape settings and `devface pretrain`'s defaults stand in for
defaults, and names the source of a bad value in its error (config.py declares the settings themselves).
"""

from __future__ import annotations

import difflib
import os
from typing import Any, Mapping

from devface_core import config_files
from devface_core.config import (BASE_SETTINGS, CHECKPOINT_SETTINGS, FIELD_NAMES, PRETRAIN_DEFAULTS, PRETRAIN_STEPS,
                                 Config)
from devface_core.errors import ConfigError
from devface_core.fields import attention_error, growth_error, strategy_error
from devface_core.saved_settings import checkpoint_settings, read_saved_settings


def load_config(
    path: str | os.PathLike | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    pretraining: bool = False,
) -> Config:
    """Build a Config from defaults < file < DEVFACE_* environment < overrides (None values ignored); with
    init_from, the base's shape settings (BASE_SETTINGS) stand in for defaults; when `pretraining`, PRETRAIN_DEFAULTS
    and a resumed checkpoint's settings do (and no step limit when given a time budget)."""
    layers = [
        (config_files.read_config_file(path) if path else {}, lambda name: f"config file {path}: setting {name}"),
        (config_files.environment_settings(os.environ if environ is None else environ, FIELD_NAMES),
         lambda name: f"environment variable {config_files.ENV_PREFIX}{name.upper()}"),
        ({k: v for k, v in (overrides or {}).items() if v is not None},
         lambda name: f"option --{name.replace('_', '-')} (setting {name})"),
    ]
    merged: dict[str, Any] = {}
    for values, origin in layers:
        for name, value in values.items():
            merged[name] = _checked(name, value, origin(name))
    if merged.get("init_from"):
        merged = {**_base_shape(merged["init_from"]), **merged}
    if pretraining:
        # A checkpoint made under older defaults resumes without naming its settings again.
        saved = checkpoint_settings(merged.get("resume") and merged.get("checkpoint_dir"), CHECKPOINT_SETTINGS)
        # An operator who gives a base hours expects it to train for them, not stop at the default step count.
        merged = {**PRETRAIN_DEFAULTS, "max_steps": 0 if merged.get("max_seconds") else PRETRAIN_STEPS, **saved,
                  **merged}
    return _build(merged)


def _base_shape(folder: str) -> dict[str, Any]:
    """What a base's weights fit (architecture, image size…), so a fine-tune need not repeat them."""
    saved = read_saved_settings(folder, "init_from")
    return {name: _checked(name, saved[name], f"base {folder}: setting {name}") for name in BASE_SETTINGS
            if name in saved}


def _checked(name: str, value: Any, origin: str) -> Any:
    """Validate one setting alone so the error can say where the bad value came from."""
    if name not in FIELD_NAMES:
        close = difflib.get_close_matches(name, FIELD_NAMES, n=1)
        hint = f"did you mean {close[0]!r}?" if close else "docs/settings.md lists every setting"
        raise ConfigError(f"{origin}: unknown setting ({hint})")
    try:
        return getattr(Config(**{name: value}), name)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{origin} = {value!r}: {exc}") from None


def _build(values: dict[str, Any]) -> Config:
    """Construct the Config (every value already validated alone), then check settings that go together."""
    try:
        config = Config(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config: {exc}") from None
    for error in (growth_error(config), strategy_error(config), attention_error(config)):
        if error:
            raise ConfigError(f"config: {error}")
    if config.resume and not config.checkpoint_dir:
        raise ConfigError("config: resume needs checkpoint_dir (where the checkpoints are)")
    return config
