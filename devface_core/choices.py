"""Every list of choices a setting offers, defined once: the config, the CLI, imaging and the models import them."""

from __future__ import annotations

ARCHITECTURES = ("seed", "fast")
SELECTIONS = ("latest", "best")
FIT_MODES = ("crop", "pad", "stretch")
PRECISIONS = ("float32", "mixed_bfloat16")
PRECISION_CHOICES = ("auto", *PRECISIONS)  # auto: resolved by the plan from the CPU's units
STRATEGIES = ("default", "mirrored")
UPSAMPLINGS = ("nearest", "bilinear")
# latent: faces drawn by the base near the likes' codes; finetune: train from the base; both: fine-tune, then draw
# at the likes' codes; auto: resolved by the plan (recipe.personalize_choice).
PERSONALIZATIONS = ("auto", "latent", "finetune", "both")
AUGMENTATIONS = ("color", "translation", "cutout")
