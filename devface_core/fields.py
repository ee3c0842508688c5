"""How one setting is declared: its converter and validator, and the metadata the CLI and docs read.

Each field factory records, beside the default, the setting's `section`, its `help` text and the `cli`
command group that offers it as an option (`train`: run, watch and pretrain; `run`: run only; `personal`: run
and watch; `pretrain`: pretrain and encoder; None: files and environment only), so a setting is described
in exactly one place.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import attrs

from devface_core.choices import AUGMENTATIONS


def to_int(value: Any) -> int:
    """Accept ints and integer text (from files and the environment), nothing else."""
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, str):
        value = value.strip()
    return int(value)


def to_float(value: Any) -> float:
    """Accept numbers and numeric text."""
    return float(value.strip() if isinstance(value, str) else value)


def to_size(value: Any) -> tuple[int, int]:
    """Accept (width, height) or text such as '500x492'."""
    if isinstance(value, str):
        value = value.lower().replace("×", "x").split("x")
    width, height = (to_int(part) for part in value)
    return width, height


def to_bool(value: Any) -> bool:
    """Accept booleans and the usual words for them (from files and the environment)."""
    if isinstance(value, bool):
        return value
    words = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
    try:
        return words[str(value).strip().lower()]
    except KeyError:
        raise ValueError(f"expected true or false, got {value!r}") from None


def is_auto(value: Any) -> bool:
    """None, empty text or 'auto': a setting left for the run to decide."""
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto"))


def to_optional_bool(value: Any) -> bool | None:
    """A boolean, or None for 'auto'."""
    return None if is_auto(value) else to_bool(value)


def to_policy(value: Any) -> str:
    """An augmentation policy: names from AUGMENTATIONS, comma-separated ('' or 'none' for none)."""
    names = [name.strip() for name in str(value or "").split(",") if name.strip() and name.strip() != "none"]
    unknown = [name for name in names if name not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"unknown augmentation {', '.join(unknown)} (known: {', '.join(AUGMENTATIONS)})")
    return ",".join(names)


def to_optional_float(value: Any) -> float | None:
    """A number, or None for 'auto'."""
    return None if is_auto(value) else to_float(value)


def to_optional_str(value: Any) -> str | None:
    """Empty text means 'not set'."""
    return None if value in (None, "") else str(value)


def to_optional_path(value: Any) -> str | None:
    """A file or folder path (empty: not set); a NUL byte, which no path can hold, is refused."""
    path = to_optional_str(value)
    if path is not None and "\x00" in path:
        raise ValueError("a path cannot contain a NUL byte")
    return path


BUILTIN_BASE = Path(__file__).parent / "builtin_base"  # the base that ships with devface
BUILTIN = "builtin"


def to_base_folder(value: Any) -> str | None:
    """A base folder's path; `builtin` names the base that ships with devface (./builtin is a folder)."""
    path = to_optional_path(value)
    return str(BUILTIN_BASE) if path == BUILTIN else path


def tensorboard_installed(instance, attribute, value):
    """A validator: TensorBoard logs need the tensorboard package (TensorFlow's summary ops live there)."""
    if value and importlib.util.find_spec("tensorboard") is None:
        raise ValueError("TensorBoard logs need the tensorboard package: pip install 'devface[tensorboard]'")


def at_least(minimum: int | float):
    """A validator: the value must be >= minimum."""

    def check(instance, attribute, value):
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")

    return check


def one_of(choices: tuple[str, ...]):
    """A validator: the value must be one of the choices."""

    def check(instance, attribute, value):
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")

    return check


def fraction(instance, attribute, value):
    """A validator: 0 <= value < 1."""
    if not 0.0 <= value < 1.0:
        raise ValueError(f"must be at least 0 and below 1, got {value}")


def scale(instance, attribute, value):
    """A validator: 0 < value <= 1."""
    if not 0.0 < value <= 1.0:
        raise ValueError(f"must be above 0 and at most 1, got {value}")


def multiple_of_four(instance, attribute, value):
    """The generator upsamples twice by 2, so sizes must divide by 4."""
    if value % 4 or not 16 <= value <= 512:
        raise ValueError(f"must be a multiple of 4 between 16 and 512, got {value}")


def growth_start(instance, attribute, value):
    """0 (no growing) or a starting side of at least 16 (checked against image_size by the config)."""
    if value and value < 16:
        raise ValueError(f"must be 0 or at least 16, got {value}")


def positive_size(instance, attribute, value):
    """Both sides of an output size must be positive and sane."""
    if not all(1 <= side <= 4096 for side in value):
        raise ValueError(f"both sides must be between 1 and 4096, got {value}")


def setting(default: Any, section: str, help: str, *, converter, validator=None, cli: str | None = None,
            kind: str = "text", choices: tuple[str, ...] = (), checkpoint: bool | None = None):
    """One Config field with its metadata; `checkpoint`: a checkpoint is only valid for the same value (always
    for a shape setting, which the weights fit)."""
    metadata = {"section": section, "help": help, "cli": cli, "kind": kind, "choices": choices,
                "checkpoint": section == "shape" if checkpoint is None else checkpoint}
    return attrs.field(default=default, converter=converter, validator=validator, metadata=metadata)


def int_setting(default: int, section: str, help: str, minimum: int = 1, **extra):
    """An integer setting of at least `minimum`."""
    return setting(default, section, help, converter=to_int, validator=at_least(minimum), kind="int", **extra)


def float_setting(default: float, section: str, help: str, validator=None, **extra):
    """A number setting (at least 0 unless another validator is given)."""
    return setting(default, section, help, converter=to_float, validator=validator or at_least(0.0), kind="float",
                   **extra)


def switch_setting(default: bool, section: str, help: str, **extra):
    """An on/off setting (a --name/--no-name switch where it has a CLI option)."""
    return setting(default, section, help, converter=to_bool, kind="switch", **extra)


def choice_setting(default: str, choices: tuple[str, ...], section: str, help: str, **extra):
    """A setting that takes one of `choices`."""
    return setting(default, section, help, converter=str, validator=one_of(choices), kind="choice",
                   choices=choices, **extra)


def growth_error(config) -> str | None:
    """Why grow_from cannot double up to image_size, or None when it can (or is 0)."""
    side = config.grow_from
    while 0 < side < config.image_size:
        side *= 2
    if config.grow_from and side != config.image_size:
        return (f"grow_from {config.grow_from} does not double up to image_size {config.image_size} "
                f"(use image_size / 2, / 4, …)")
    return None


def attention_error(config) -> str | None:
    """Why `attention` would leave a network without its block, or None when every trained side has one."""
    if not config.attention:
        return None
    if config.architecture != "fast":
        return "attention needs architecture fast (the original 'seed' has no place for it)"
    first = config.grow_from or config.image_size  # the smallest side trained
    side = first
    while side > 16 and side % 2 == 0:
        side //= 2
    # Both networks pass 16×16 only on sides of 16·2^k; at 16 itself the discriminator never gets below it.
    if side != 16 or first == 16:
        trained = "grow_from" if config.grow_from else "image_size"
        return f"attention works at 16×16, which {trained} {first} never passes through (use 32, 64, 128, …)"
    return None


def strategy_error(config) -> str | None:
    """Why the distribution strategy cannot train this architecture, or None when it can."""
    if config.strategy == "mirrored" and config.architecture == "seed":
        # Its synchronised batch norm, across the separate real and fake passes, aborted TensorFlow's
        # collectives with a shape mismatch between replicas (seen on 2 logical CPU devices).
        return "strategy mirrored needs architecture fast (the original 'seed' cannot be split over devices)"
    return None
