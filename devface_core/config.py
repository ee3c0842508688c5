"""Run settings: one frozen, validated `Config` (config_loading.load_config resolves it from CLI > DEVFACE_*
environment > file > defaults).

Every setting is declared once below, with its section, help text and CLI group (see `fields.setting`);
the CLI's options, the lists of settings a base or a checkpoint must match, and the settings reference in
docs/ are all read from these declarations.
"""

from __future__ import annotations

from typing import Any

import attrs

from devface_core.choices import (ARCHITECTURES, FIT_MODES, PERSONALIZATIONS, PRECISION_CHOICES, SELECTIONS, STRATEGIES,
                                  UPSAMPLINGS)
from devface_core.fields import (at_least, choice_setting, float_setting, fraction, growth_start, int_setting,
                                 multiple_of_four, positive_size, scale, setting, switch_setting, tensorboard_installed,
                                 to_base_folder, to_bool, to_int, to_optional_bool, to_optional_float,
                                 to_optional_path, to_policy, to_size)

# `devface pretrain`'s max_steps: with its recipe, KID fell from 1.02 at 3 000 steps to 0.72 at 6 000 and
# held at 9 000 (docs/benchmarks.md "Augmentation for bases"); a 1 500-step base drew stripes. With LeCam,
# 12 000 steps judged level after the whole recipe and drew blockier faces ("Pretraining twice as long").
PRETRAIN_STEPS = 6000
# `devface pretrain`'s own defaults (docs/benchmarks.md): bfloat16 judged as well as float32 at 1.45× the
# steps/s on a bf16 CPU ("Bases"; fine-tunes unmeasured, so runs stay float32); a discriminator of twice the
# channels judged better or level for 1.43× a step ("Wider networks"; a wider generator lost on KID); colour
# alone, as translation drew streaks and cutout cost faces ("Augmentation for bases"; users keep the full policy).
# LeCam at the paper's 0.3: its whole recipe led the shipped one on every judge ("LeCam regularisation").
# Not d_reconstruct: its bases judged level at best, behind on 3 of 4 ("Self-supervised discriminator").
PRETRAIN_DEFAULTS = {"max_steps": PRETRAIN_STEPS, "precision": "auto", "d_width": 2, "augment": "color",
                     "lecam": 0.3}
SECTIONS = ("budget", "ingest", "shape", "recipe", "snapshots", "outputs", "checkpoints")


@attrs.frozen
class Config:
    """Every setting of a run. An epoch is one pass over the user's images (ceil(N / batch_size) steps).

    The defaults are benchmarks/quality.py's few-image recipe: the `fast` architecture with adaptive
    DiffAugment, flips and a weight average (and R1 and minibatch stddev for bases and fine-tunes),
    trained for a number of steps (a GAN learns per step, and a user with 10 likes has one step per
    epoch, so snapshots and checkpoints count steps too), publishing, of the snapshot whose 16 samples
    together score best, the sample with the most detail in its centre among those nearest the likes.
    """

    epochs: int = int_setting(100_000, "budget", "Passes over the user's images (a cap; max_steps usually stops a run).",
                              cli="train")
    max_steps: int = int_setting(1500, "budget", "Stop training after this many steps (0: no limit).", minimum=0,
                                 cli="train")
    max_seconds: float = float_setting(0.0, "budget", "Stop training once this many seconds have passed (looked at "
                                       "every 25 steps or fewer; 0: no limit).", cli="train")
    batch_size: int = int_setting(16, "recipe", "Images per training step.", cli="train", checkpoint=True)
    z_dim: int = int_setting(100, "shape", "Size of the generator's noise vector.", cli="train")
    image_size: int = setting(64, "shape", "Training resolution (multiple of 4).", converter=to_int,
                              validator=multiple_of_four, cli="train", kind="int")
    sample_every: int = int_setting(100, "snapshots", "Training steps between snapshots (and always at the last).",
                                    cli="train")
    # best judges a snapshot by its samples together: 4 ranked snapshots too noisily (benchmarks/selection.py).
    samples_per_snapshot: int = int_setting(16, "snapshots", "Samples drawn on fixed noise at each snapshot.",
                                            checkpoint=True)
    output_size: tuple[int, int] = setting((500, 492), "outputs", "Published size, WIDTHxHEIGHT.", converter=to_size,
                                           validator=positive_size)
    seed: int = int_setting(0, "recipe", "Random seed (same seed, same face on CPU).", minimum=0, cli="train",
                            checkpoint=True)
    architecture: str = choice_setting("fast", ARCHITECTURES, "shape", "GAN architecture.", cli="train")
    grow_from: int = setting(0, "shape", "Progressive growing: start at this side, double up to image_size (0: off).",
                             converter=to_int, validator=growth_start, cli="train", kind="int")
    upsample: str = choice_setting("bilinear", UPSAMPLINGS, "shape",
                                   "How the fast generator doubles its side (bilinear: no 2-pixel grid).", cli="train")
    grow_share: float = float_setting(0.5, "recipe", "Share of the budget trained below full size when growing.",
                                      validator=fraction, checkpoint=True)
    augment: str = setting("color,translation,cutout", "recipe",
                           "DiffAugment policy: color,translation,cutout ('none': off).", converter=to_policy,
                           cli="train", checkpoint=True)
    ada_target: float = float_setting(0.6, "recipe",
                                      "Adaptive augmentation: target E[sign D(real)], e.g. 0.6 (0: fixed strength).",
                                      validator=fraction, cli="train", checkpoint=True)
    mirror: bool = setting(True, "recipe", "Random left-right flips of the liked images.", converter=to_bool,
                           cli="train", kind="switch", checkpoint=True)
    minibatch_stddev: bool | None = setting(
        None, "shape", "Show the fast discriminator each batch's spread (ProGAN), against alike samples "
        "(default: on for a base, a fine-tune as its base, off from scratch).", converter=to_optional_bool,
        cli="train", kind="switch")
    noise_inputs: bool = switch_setting(False, "shape", "Add learned per-pixel noise to the fast generator's blocks "
                                        "(StyleGAN's noise inputs), for random fine texture.", cli="train")
    antialias: bool = switch_setting(False, "shape", "Blur before the fast discriminator's strided convolutions "
                                     "(anti-aliased downsampling).", cli="train")
    d_reconstruct: bool = switch_setting(False, "shape", "The fast discriminator also redraws each like at half its "
                                         "side from its last features (FastGAN's self-supervision).", cli="train")
    g_width: int = int_setting(1, "shape", "Multiplies the fast generator's channels per block (capped at 128).",
                               cli="train")
    g_depth: int = int_setting(1, "shape", "Convolutions in each of the fast generator's blocks (2: FastGAN's).",
                               cli="train")
    g_mapping: int = int_setting(0, "shape", "Dense layers mapping the fast generator's noise to a style code that "
                                 "modulates every block (0: none; StyleGAN's has 8).", minimum=0,
                                 cli="train")
    d_width: int = int_setting(1, "shape", "Multiplies the fast discriminator's channels at every side.", cli="train")
    attention: bool = switch_setting(False, "shape", "Self-attention at 16×16 in the fast generator and discriminator "
                                     "(SAGAN): every position there mixes in every other; needs image_size 32, 64, 128, ….",
                                     cli="train")
    r1_gamma: float | None = setting(
        None, "recipe", "R1 penalty weight on D's gradient at the likes (0: off; default: 10 for a base and its "
        "fine-tunes, 0 from scratch).", converter=to_optional_float,
        validator=attrs.validators.optional(at_least(0.0)), cli="train", kind="float", checkpoint=True)
    lecam: float = float_setting(0.0, "recipe", "LeCam regularisation's weight: D's logits pulled towards its average "
                                 "on the other side, against remembering few likes (0: off; 0.3: the paper's).",
                                 cli="train", checkpoint=True)
    ema: float = float_setting(0.999, "recipe", "Generator weight average decay, e.g. 0.999 (0: off).",
                               validator=fraction, cli="train", checkpoint=True)
    # Not a shape setting: weights are float32 under either precision, so a base serves both.
    precision: str = choice_setting("float32", PRECISION_CHOICES, "recipe",
                                    "Compute precision (auto: mixed_bfloat16 on a CPU with bf16 units, AVX512-BF16 "
                                    "or AMX, unless TF_ENABLE_ONEDNN_OPTS=0; else float32).", cli="train", checkpoint=True)
    strategy: str = choice_setting("default", STRATEGIES, "recipe",
                                   "mirrored: split each batch over every GPU (tf.distribute.MirroredStrategy).",
                                   cli="train")
    select: str = choice_setting("best", SELECTIONS, "outputs", "Which snapshot to publish.", cli="run")
    fit: str = choice_setting("crop", FIT_MODES, "ingest", "How images become square.", cli="train",
                              checkpoint=True)
    g_learning_rate: float = float_setting(2e-4, "recipe", "The generator's Adam learning rate.", checkpoint=True)
    d_learning_rate: float = float_setting(2e-4, "recipe", "The discriminator's Adam learning rate.", checkpoint=True)
    beta_1: float = float_setting(0.5, "recipe", "Adam's beta_1 for both models.", checkpoint=True)
    # At the full rates a base tuned on 10 likes fell apart into colour noise within a few hundred steps.
    finetune_lr_scale: float = float_setting(
        0.25, "recipe", "Learning rates are multiplied by this when fine-tuning from a base.", validator=scale,
        cli="train", checkpoint=True)
    # Tuned on 10 likes, a fine-tune's faces were best after a few hundred steps and came apart over thousands.
    finetune_steps: int = int_setting(500, "budget", "Fine-tuning from a base stops after this many steps "
                                      "(0: max-steps alone).", minimum=0, cli="train")
    personalize: str = choice_setting(
        "auto", PERSONALIZATIONS, "recipe", "How a user's faces come from a base (--init-from): latent (faces the base "
        "draws near their likes' codes: seconds, needs a base with an encoder), finetune (train from the base), "
        "both (fine-tune, then draw at the likes' codes); auto: latent when the base has an encoder, else finetune.",
        cli="personal")
    latent_faces: int = int_setting(64, "snapshots", "Faces drawn from the likes' codes to choose from (personalize "
                                    "latent or both).")
    # Tuned to the codes, refining them first changed the judges little (docs/benchmarks.md, "Taste in seconds").
    latent_refine_steps: int = int_setting(0, "recipe", "Steps refining the likes' codes before tuning (personalize "
                                           "latent or both; 0: the encoder's codes).", minimum=0, cli="personal")
    latent_pivot_steps: int = int_setting(60, "recipe", "Steps tuning the base's sampler to redraw the likes from "
                                          "their codes (personalize latent or both).", minimum=0, cli="personal")
    encoder_steps: int = int_setting(1000, "budget", "Steps training a base's encoder after pretraining (0: none; "
                                     "personalize latent needs one).", minimum=0, cli="pretrain")
    adapt_steps: int = int_setting(1000, "budget", "Steps teaching a base to draw at its encoder's codes after the "
                                   "encoder (0: none; personalize latent draws there).", minimum=0, cli="pretrain")
    upscaler_steps: int = int_setting(2000, "budget", "Steps training a base's ×2 upscaler after pretraining, on the "
                                      "likes at twice its side (0: none; faces are published from the base's side).",
                                      minimum=0, cli="pretrain")
    upscaler_critic: float = float_setting(0.0, "recipe", "Weight of a patch critic beside L1 in training a base's ×2 "
                                           "upscaler (0: L1 alone; 0.1: sharper by every judge, speckled to the eye).",
                                           cli="pretrain")
    upscale: bool = setting(True, "outputs", "Publish the face from twice the base's side, through the base's "
                            "upscaler, when it has one.", converter=to_bool, cli="run", kind="switch")
    likes_detail: bool = setting(True, "outputs", "Lend the published face the finest detail of the user's own "
                                 "likes, patch by patch, when it is upscaled and likes at least that large exist.",
                                 converter=to_bool, cli="run", kind="switch")
    max_images: int = int_setting(10_000, "ingest", "Liked images read per user at most.")
    max_image_bytes: int = int_setting(20_000_000, "ingest", "Largest encoded image accepted, in bytes.")
    max_pixels: int = int_setting(40_000_000, "ingest", "Largest decoded image accepted, in pixels.")
    decode_threads: int = int_setting(0, "ingest", "Threads decoding images (0: one per CPU).", minimum=0)
    save_generator: str | None = setting(None, "outputs", "Save the generator that drew the published face (.keras).",
                                         converter=to_optional_path, cli="run", kind="file")
    init_from: str | None = setting(None, "recipe", "Fine-tune from a base model folder ('builtin': the base that "
                                    "ships with devface).", converter=to_base_folder, cli="train", kind="folder")
    contact_sheets: str | None = setting(None, "outputs", "Write a PNG grid of every snapshot's samples here "
                                         "(<user>.png).", converter=to_optional_path, cli="run", kind="folder")
    log_dir: str | None = setting(None, "outputs", "Write the losses and each snapshot's samples here for TensorBoard "
                                  "(<user>/; needs the tensorboard extra).", converter=to_optional_path,
                                  validator=tensorboard_installed, cli="train", kind="folder")
    checkpoint_dir: str | None = setting(None, "checkpoints", "Keep training checkpoints here (a folder per user; "
                                         "personalize latent trains nothing to keep).", converter=to_optional_path,
                                         cli="run", kind="folder")
    checkpoint_every: int = int_setting(250, "checkpoints", "Steps between checkpoints (and at the end).", cli="run")
    resume: bool = setting(False, "checkpoints", "Continue from the user's last checkpoint (needs --checkpoint-dir).",
                           converter=to_bool, cli="run", kind="flag")

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain JSON-ready data."""
        data = attrs.asdict(self)
        data["output_size"] = list(self.output_size)
        return data

    def section(self, name: str) -> dict[str, Any]:
        """The settings of one section (see SECTIONS), by name."""
        return {field: getattr(self, field) for field in settings_in(name)}


FIELDS = attrs.fields(Config)
FIELD_NAMES = tuple(field.name for field in FIELDS)


def settings_in(section: str) -> tuple[str, ...]:
    """The names of a section's settings, in declaration order."""
    return tuple(field.name for field in FIELDS if field.metadata["section"] == section)


# What shapes the models: a base and its fine-tunes must agree on each.
BASE_SETTINGS = settings_in("shape")
# What a checkpoint is only valid for; others (epochs, selection, output size, limits) may change.
CHECKPOINT_SETTINGS = tuple(field.name for field in FIELDS if field.metadata["checkpoint"])

