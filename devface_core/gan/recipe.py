"""The training plan: a Config with every 'auto' setting resolved, once, before any model is built.

`plan_training` is the only place that decides what 'auto' means for a run (from scratch, pretraining a
base, or fine-tuning one), reads the base's settings for it, and refuses a base that does not fit; the
trainer, the checkpoints and the report all see the same resolved settings.
"""

from __future__ import annotations

import functools
from pathlib import Path

import attrs

from devface_core.config import BASE_SETTINGS, Config
from devface_core.errors import ConfigError
from devface_core.gan import onednn_kernels_off
from devface_core.saved_settings import has_encoder, read_saved_settings

R1_FOR_BASES = 10.0  # r1_gamma 'auto' when pretraining a base or fine-tuning one (see r1_strength)


@attrs.frozen
class TrainingPlan:
    """What one training run does: resolved settings (nothing on 'auto'), and whether it builds a base."""

    config: Config
    pretraining: bool = False

    @property
    def fine_tuning(self) -> bool:
        """Whether the run starts from a base (init_from)."""
        return bool(self.config.init_from)

    @property
    def step_limit(self) -> int:
        """Steps after which training stops (0: no limit): max_steps, capped by finetune_steps when fine-tuning."""
        limits = [self.config.max_steps, self.config.finetune_steps if self.fine_tuning else 0]
        return min((limit for limit in limits if limit), default=0)

    @property
    def learning_rate_scale(self) -> float:
        """The factor on both learning rates: finetune_lr_scale when fine-tuning, else 1."""
        return self.config.finetune_lr_scale if self.fine_tuning else 1.0


def plan_training(config: Config, pretraining: bool = False) -> TrainingPlan:
    """Resolve a Config's 'auto' settings for a run (pretraining a base drops init_from)."""
    if pretraining:
        config = attrs.evolve(config, init_from=None)
    base = read_saved_settings(config.init_from, "init_from") if config.init_from else None
    resolved = attrs.evolve(config, r1_gamma=r1_strength(config, pretraining),
                            minibatch_stddev=stddev_choice(config, pretraining, base),
                            precision=precision_choice(config), personalize=personalize_choice(config, pretraining))
    if base is not None:
        _check_base_fits(resolved, base)
    return TrainingPlan(resolved, pretraining)


# The shape settings that are not build_models' keyword options: its positional arguments, and growth (the trainer's).
_NOT_OPTIONS = ("architecture", "image_size", "z_dim", "grow_from")


def model_options(config: Config) -> dict:
    """build_models' keyword options from a Config's shape settings, so every caller builds a base's shape
    in full (a new shape setting reaches each builder without naming it at each call)."""
    return {name: getattr(config, name) for name in BASE_SETTINGS if name not in _NOT_OPTIONS}


def as_plan(config_or_plan: Config | TrainingPlan) -> TrainingPlan:
    """A plan as given, or the plan of a Config for a run (from scratch or a fine-tune)."""
    return config_or_plan if isinstance(config_or_plan, TrainingPlan) else plan_training(config_or_plan)


def r1_strength(config: Config, pretraining: bool = False) -> float:
    """The R1 weight a run trains with: r1_gamma when set; on 'auto', R1_FOR_BASES for a base being
    pretrained or a fine-tune from one, and 0 from scratch.

    Measured with benchmarks/quality.py: a base pretrained with γ 10 drew none of the wavy stripes through
    hair and background that one without drew, and its fine-tunes came out clean (SWD 0.91× other real
    faces' against 1.66×); from scratch on 10 likes in 10 minutes, γ 10 gave blotchier faces (0.99× against
    0.91×), since the penalised discriminator teaches the generator more slowly."""
    if config.r1_gamma is not None:
        return config.r1_gamma
    return R1_FOR_BASES if pretraining or config.init_from else 0.0


def stddev_choice(config: Config, pretraining: bool = False, base: dict | None = None) -> bool:
    """Whether a run's discriminator sees the batch's spread: minibatch_stddev when set; on 'auto', on for a
    base being pretrained, as the base (its saved settings) has it for a fine-tune, and off from scratch.

    Measured with benchmarks/quality.py (20-minute bases on 40 faces, 10 likes): bases with it drew
    samples nearly as varied as real faces (MS-SSIM 1.07× the likes' against 1.21× without) and their
    fine-tunes kept that; from scratch it gave samples more alike, not less."""
    if config.minibatch_stddev is not None:
        return config.minibatch_stddev
    if pretraining:
        return True
    if config.init_from:
        base = base if base is not None else read_saved_settings(config.init_from, "init_from")
        return bool(base["minibatch_stddev"])
    return False


def personalize_choice(config: Config, pretraining: bool = False) -> str:
    """How a run makes a user's faces: personalize when set (latent and both checked against the base); on
    'auto', latent when the base has an encoder, else finetune (which is training from scratch without a
    base). Pretraining a base is always `finetune`'s training.

    Measured with benchmarks/taste.py: see docs/benchmarks.md, "Taste in seconds"."""
    if pretraining:
        return "finetune"
    if config.personalize == "auto":
        return "latent" if config.init_from and has_encoder(config.init_from) else "finetune"
    if config.personalize in ("latent", "both"):
        check_latent_base(config.init_from, config.personalize)
    return config.personalize


def check_latent_base(folder: str | None, mode: str = "latent") -> None:
    """ConfigError unless `folder` is a base with an encoder (what drawing at the likes' codes needs)."""
    if not folder:
        raise ConfigError(f"personalize {mode} needs a base: give --init-from BASE (e.g. builtin)")
    if not has_encoder(folder):
        raise ConfigError(f"personalize {mode}: the base {folder} has no encoder; add one with "
                          f"`devface encoder --base {folder} --source SPEC`, or use --personalize finetune")


def precision_choice(config: Config) -> str:
    """The precision a run computes in: precision when set; on 'auto', mixed_bfloat16 where the CPU has bf16
    units and TensorFlow's oneDNN kernels are on (see benchmarks/bases.py for the speed and the judges both
    ways), else float32: bf16 without the units, or without oneDNN's kernels, is emulated and slower."""
    if config.precision != "auto":
        return config.precision
    # With TF_ENABLE_ONEDNN_OPTS=0 on an AMD EPYC with AVX512-BF16, a base's step at 64² ran at 0.10 steps/s in
    # bfloat16 against 0.92 in float32 (and 2.37 against 1.44 with the kernels on).
    return "mixed_bfloat16" if cpu_has_bf16() and not onednn_kernels_off() else "float32"


@functools.cache
def cpu_has_bf16(cpuinfo: str = "/proc/cpuinfo") -> bool:
    """Whether the CPU reports bf16 arithmetic units (AVX512-BF16 or AMX-BF16) in its flags (Linux only)."""
    try:
        text = Path(cpuinfo).read_text()
    except OSError:
        return False
    flags = {flag for line in text.splitlines() if line.startswith("flags") for flag in line.split()}
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def _check_base_fits(config: Config, base: dict) -> None:
    """ConfigError unless the base was trained with this run's shape settings (architecture, size, noise size…)."""
    settings = config.to_dict()
    current = {name: settings[name] for name in BASE_SETTINGS}
    changed = [f"{name} {base.get(name)!r} (this run: {current[name]!r})" for name in BASE_SETTINGS
               if base.get(name) != current[name]]
    if changed:
        raise ConfigError(f"init_from {config.init_from}: the base was trained with {'; '.join(changed)}")
