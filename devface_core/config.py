"""Run settings: one frozen, validated `Config`, resolved from CLI > DEVFACE_* environment > file > defaults."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Mapping

import attrs

from devface_core.errors import ConfigError

ARCHITECTURES = ("seed", "fast")
SELECTIONS = ("latest", "best")
FIT_MODES = ("crop", "pad", "stretch")
PRECISIONS = ("float32", "mixed_bfloat16")
STRATEGIES = ("default", "mirrored")
UPSAMPLINGS = ("nearest", "bilinear")
# What bases and checkpoints saved before a setting existed were trained with.
LEGACY_SETTINGS = {"upsample": "nearest", "r1_gamma": 0.0, "minibatch_stddev": False}
AUGMENTATIONS = ("color", "translation", "cutout")
R1_FOR_BASES = 10.0  # r1_gamma 'auto' when pretraining a base or fine-tuning one (see r1_strength)
# max_steps of `devface pretrain` unless a setting names it: the bases measured clean in benchmarks/quality.py
# had 2 334-4 425 steps; a 1 500-step base (the run default) drew wavy stripes and warped mouths, and the
# anchored fine-tune keeps its base's look.
PRETRAIN_STEPS = 3000
ENV_PREFIX = "DEVFACE_"


def _to_int(value: Any) -> int:
    """Accept ints and integer text (from files and the environment), nothing else."""
    if isinstance(value, bool):
        raise ValueError("expected an integer, got a boolean")
    if isinstance(value, str):
        value = value.strip()
    return int(value)


def _to_float(value: Any) -> float:
    """Accept numbers and numeric text."""
    return float(value.strip() if isinstance(value, str) else value)


def _to_size(value: Any) -> tuple[int, int]:
    """Accept (width, height) or text such as '500x492'."""
    if isinstance(value, str):
        value = value.lower().replace("×", "x").split("x")
    width, height = (_to_int(part) for part in value)
    return width, height


def _to_bool(value: Any) -> bool:
    """Accept booleans and the usual words for them (from files and the environment)."""
    if isinstance(value, bool):
        return value
    words = {"1": True, "true": True, "yes": True, "on": True, "0": False, "false": False, "no": False, "off": False}
    try:
        return words[str(value).strip().lower()]
    except KeyError:
        raise ValueError(f"expected true or false, got {value!r}") from None


def _is_auto(value: Any) -> bool:
    """None, empty text or 'auto': a setting left for the run to decide."""
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", "auto"))


def _to_optional_bool(value: Any) -> bool | None:
    """A boolean, or None for 'auto'."""
    return None if _is_auto(value) else _to_bool(value)


def _to_policy(value: Any) -> str:
    """An augmentation policy: names from AUGMENTATIONS, comma-separated ('' or 'none' for none)."""
    names = [name.strip() for name in str(value or "").split(",") if name.strip() and name.strip() != "none"]
    unknown = [name for name in names if name not in AUGMENTATIONS]
    if unknown:
        raise ValueError(f"unknown augmentation {', '.join(unknown)} (known: {', '.join(AUGMENTATIONS)})")
    return ",".join(names)


def _to_optional_gamma(value: Any) -> float | None:
    """A number, or None for 'auto'."""
    return None if _is_auto(value) else _to_float(value)


def _fraction(instance, attribute, value):
    if not 0.0 <= value < 1.0:
        raise ValueError(f"must be at least 0 and below 1, got {value}")


def _scale(instance, attribute, value):
    if not 0.0 < value <= 1.0:
        raise ValueError(f"must be above 0 and at most 1, got {value}")


def _to_optional_str(value: Any) -> str | None:
    """Empty text means 'not set'."""
    return None if value in (None, "") else str(value)


def _at_least(minimum: int | float):
    """A validator: the value must be >= minimum."""

    def check(instance, attribute, value):
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")

    return check


def _one_of(choices: tuple[str, ...]):
    """A validator: the value must be one of the choices."""

    def check(instance, attribute, value):
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}, got {value!r}")

    return check


def _multiple_of_four(instance, attribute, value):
    """The generator upsamples twice by 2, so sizes must divide by 4."""
    if value % 4 or not 16 <= value <= 512:
        raise ValueError(f"must be a multiple of 4 between 16 and 512, got {value}")


def _growth_start(instance, attribute, value):
    """0 (no growing) or a starting side of at least 16 (checked against image_size in `growth_error`)."""
    if value and value < 16:
        raise ValueError(f"must be 0 or at least 16, got {value}")


def growth_error(config: "Config") -> str | None:
    """Why grow_from cannot double up to image_size, or None when it can (or is 0)."""
    side = config.grow_from
    while 0 < side < config.image_size:
        side *= 2
    if config.grow_from and side != config.image_size:
        return (f"grow_from {config.grow_from} does not double up to image_size {config.image_size} "
                f"(use image_size / 2, / 4, …)")
    return None


def strategy_error(config: "Config") -> str | None:
    """Why the distribution strategy cannot train this architecture, or None when it can."""
    if config.strategy == "mirrored" and config.architecture == "seed":
        # Its synchronised batch norm, across the separate real and fake passes, aborted TensorFlow's
        # collectives with a shape mismatch between replicas (seen on 2 logical CPU devices).
        return "strategy mirrored needs architecture fast (the original 'seed' cannot be split over devices)"
    return None


def step_limit(config: "Config") -> int:
    """Steps after which training stops (0: no limit): max_steps, capped by finetune_steps when fine-tuning."""
    limits = [config.max_steps, config.finetune_steps if config.init_from else 0]
    return min((limit for limit in limits if limit), default=0)


def r1_strength(config: "Config", pretraining: bool = False) -> float:
    """The R1 weight a run trains with: r1_gamma when set; on 'auto', R1_FOR_BASES for a base being
    pretrained or a fine-tune from one, and 0 from scratch.

    Measured with benchmarks/quality.py: a base pretrained with γ 10 drew none of the wavy stripes through
    hair and background that one without drew, and its fine-tunes came out clean (SWD 0.91× other real
    faces' against 1.66×); from scratch on 10 likes in 10 minutes, γ 10 gave blotchier faces (0.99× against
    0.91×), since the penalised discriminator teaches the generator more slowly."""
    if config.r1_gamma is not None:
        return config.r1_gamma
    return R1_FOR_BASES if pretraining or config.init_from else 0.0


def _positive_size(instance, attribute, value):
    """Both sides of an output size must be positive and sane."""
    if not all(1 <= side <= 4096 for side in value):
        raise ValueError(f"both sides must be between 1 and 4096, got {value}")


def _int_field(default: int, minimum: int = 1):
    return attrs.field(default=default, converter=_to_int, validator=_at_least(minimum))


def _float_field(default: float):
    return attrs.field(default=default, converter=_to_float, validator=_at_least(0.0))


def _choice_field(default: str, choices: tuple[str, ...]):
    return attrs.field(default=default, converter=str, validator=_one_of(choices))


@attrs.frozen
class Config:
    """Every setting of a run. An epoch is one pass over the user's images (ceil(N / batch_size) steps).

    The defaults are benchmarks/quality.py's few-image recipe: the `fast` architecture with adaptive
    DiffAugment, flips and a weight average (and R1 and minibatch stddev for bases and fine-tunes),
    trained for a number of steps (a GAN learns per step, and a user with 10 likes has one step per
    epoch), publishing the most realistic sample of the snapshot whose 16 samples together score best.
    """

    epochs: int = _int_field(100_000)  # a cap on passes over the images; max_steps is what usually stops a run
    max_steps: int = _int_field(1500, minimum=0)  # 0: no limit; otherwise training stops after this many steps
    max_seconds: float = _float_field(0.0)  # 0: no limit; else training ends with the first epoch past it
    batch_size: int = _int_field(16)
    z_dim: int = _int_field(100)
    image_size: int = attrs.field(default=64, converter=_to_int, validator=_multiple_of_four)
    sample_every: int = _int_field(25)
    # best judges a snapshot by its samples together: 4 ranked snapshots too noisily (benchmarks/selection.py).
    samples_per_snapshot: int = _int_field(16)
    output_size: tuple[int, int] = attrs.field(default=(500, 492), converter=_to_size, validator=_positive_size)
    seed: int = _int_field(0, minimum=0)
    architecture: str = _choice_field("fast", ARCHITECTURES)
    # Progressive growing: train at this side first, then double up to image_size (0: train at full size).
    grow_from: int = attrs.field(default=0, converter=_to_int, validator=_growth_start)
    upsample: str = _choice_field("bilinear", UPSAMPLINGS)  # how `fast`'s generator doubles its side
    grow_share: float = attrs.field(default=0.5, converter=_to_float, validator=_fraction)  # budget below full size
    augment: str = attrs.field(default="color,translation,cutout", converter=_to_policy)  # DiffAugment policy, e.g. color,translation
    ada_target: float = attrs.field(default=0.6, converter=_to_float, validator=_fraction)  # 0: fixed; 0.6: ADA
    mirror: bool = attrs.field(default=True, converter=_to_bool)  # random horizontal flips of the liked images
    # `fast`'s discriminator sees the batch's spread (ProGAN's minibatch standard deviation); None
    # ("auto"): on for a base, a fine-tune as its base, off from scratch (base_model.stddev_choice).
    minibatch_stddev: bool | None = attrs.field(default=None, converter=_to_optional_bool)
    # R1: γ/2 · E‖∇D(real)‖² added to D's loss; None ("auto"): see `r1_strength`.
    r1_gamma: float | None = attrs.field(default=None, converter=_to_optional_gamma,
                                         validator=attrs.validators.optional(_at_least(0.0)))
    ema: float = attrs.field(default=0.999, converter=_to_float, validator=_fraction)  # G weight average; 0: off
    precision: str = _choice_field("float32", PRECISIONS)  # mixed_bfloat16: faster on CPUs with bf16 units
    strategy: str = _choice_field("default", STRATEGIES)  # mirrored: the batch split over every GPU
    select: str = _choice_field("best", SELECTIONS)
    fit: str = _choice_field("crop", FIT_MODES)
    g_learning_rate: float = _float_field(2e-4)
    d_learning_rate: float = _float_field(2e-4)
    beta_1: float = _float_field(0.5)
    # Fine-tuning from a base (init_from) multiplies both learning rates by this: at the full rates a base
    # tuned on 10 likes fell apart into colour noise within a few hundred steps (benchmarks/quality.py).
    finetune_lr_scale: float = attrs.field(default=0.25, converter=_to_float, validator=_scale)
    # ...and stops after this many steps (0: max_steps alone): tuned on 10 likes, its faces were best after
    # a few hundred steps and came apart over the next thousands.
    finetune_steps: int = _int_field(500, minimum=0)
    max_images: int = _int_field(10_000)
    max_image_bytes: int = _int_field(20_000_000)
    max_pixels: int = _int_field(40_000_000)
    decode_threads: int = _int_field(0, minimum=0)  # 0: one per CPU
    save_generator: str | None = attrs.field(default=None, converter=_to_optional_str)
    init_from: str | None = attrs.field(default=None, converter=_to_optional_str)  # a base model folder
    contact_sheets: str | None = attrs.field(default=None, converter=_to_optional_str)  # folder for <user>.png grids
    checkpoint_dir: str | None = attrs.field(default=None, converter=_to_optional_str)  # one folder per user inside
    checkpoint_every: int = _int_field(50)  # epochs between checkpoints (and always at the last epoch)
    resume: bool = attrs.field(default=False, converter=_to_bool)  # continue from the user's last checkpoint

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain JSON-ready data."""
        data = attrs.asdict(self)
        data["output_size"] = list(self.output_size)
        return data


FIELD_NAMES = tuple(field.name for field in attrs.fields(Config))


def load_config(
    path: str | os.PathLike | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    pretraining: bool = False,
) -> Config:
    """Build a Config from defaults < file < DEVFACE_* environment < overrides (None values ignored); with
    init_from, the base's shape settings (base_model.BASE_SETTINGS) stand in for defaults, and when
    `pretraining` a base, PRETRAIN_STEPS stands in for max_steps's default."""
    layers = [
        (read_config_file(path) if path else {}, f"config file {path}"),
        (environment_settings(os.environ if environ is None else environ), "environment"),
        ({k: v for k, v in (overrides or {}).items() if v is not None}, "command-line option"),
    ]
    merged: dict[str, Any] = {}
    for values, origin in layers:
        for name, value in values.items():
            merged[name] = _checked(name, value, origin)
    if merged.get("init_from"):
        merged = {**_base_shape(merged["init_from"]), **merged}
    if pretraining:
        merged = {"max_steps": PRETRAIN_STEPS, **merged}
    return _build(merged)


def _base_shape(folder: str) -> dict[str, Any]:
    """What a base's weights fit (architecture, image size…), so a fine-tune need not repeat them."""
    from devface_core.base_model import BASE_SETTINGS, base_settings  # base_model builds on this module

    saved = base_settings(folder)
    return {name: _checked(name, saved[name], f"base {folder}") for name in BASE_SETTINGS if name in saved}


def _checked(name: str, value: Any, origin: str) -> Any:
    """Validate one setting alone so the error can say where the bad value came from."""
    if name not in FIELD_NAMES:
        raise ConfigError(f"{origin}: unknown setting {name!r} (known: {', '.join(FIELD_NAMES)})")
    try:
        return getattr(Config(**{name: value}), name)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{origin}: setting {name} = {value!r}: {exc}") from None


def _build(values: dict[str, Any]) -> Config:
    """Construct the Config (every value already validated alone), then check settings that go together."""
    try:
        config = Config(**values)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"config: {exc}") from None
    for error in (growth_error(config), strategy_error(config)):
        if error:
            raise ConfigError(f"config: {error}")
    if config.resume and not config.checkpoint_dir:
        raise ConfigError("config: resume needs checkpoint_dir (where the checkpoints are)")
    return config


def environment_settings(environ: Mapping[str, str]) -> dict[str, str]:
    """The DEVFACE_<SETTING> variables that name a Config field (others, e.g. DEVFACE_DATABASE_URL, are ignored)."""
    found = {}
    for name in FIELD_NAMES:
        value = environ.get(ENV_PREFIX + name.upper())
        if value is not None:
            found[name] = value
    return found


def read_config_file(path: str | os.PathLike) -> dict[str, Any]:
    """Settings from a TOML or YAML file: top-level keys, or the keys of a `devface` table."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"config file {file}: cannot read ({exc.strerror})") from None
    data = _parse(text, file)
    if not isinstance(data, dict):
        raise ConfigError(f"config file {file}: expected a table of settings")
    section = data.get("devface", data)
    return {str(key).replace("-", "_"): value for key, value in section.items()}


def _parse(text: str, file: Path) -> Any:
    """Parse by suffix: .toml with tomllib, .yaml/.yml with PyYAML."""
    suffix = file.suffix.lower()
    try:
        if suffix == ".toml":
            return tomllib.loads(text)
        if suffix in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text) or {}
    except Exception as exc:  # each parser has its own error class; all mean "not valid syntax"
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ConfigError(f"config file {file}: invalid {suffix[1:].upper()} ({first_line})") from None
    raise ConfigError(f"config file {file}: expected a .toml, .yaml or .yml file")
