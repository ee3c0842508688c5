"""Every list of choices a setting offers, defined once: the config, the CLI, imaging and the models import them."""

from __future__ import annotations

ARCHITECTURES = ("seed", "fast")
SELECTIONS = ("latest", "best")
FIT_MODES = ("crop", "pad", "stretch")
PRECISIONS = ("float32", "mixed_bfloat16")
STRATEGIES = ("default", "mirrored")
UPSAMPLINGS = ("nearest", "bilinear")
AUGMENTATIONS = ("color", "translation", "cutout")
