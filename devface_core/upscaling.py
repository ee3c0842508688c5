"""Give a base its ×2 upscaler (after pretraining, `upscaler_steps`, or later with `devface upscaler`) and
publish faces through it, so a published face's detail comes from twice the base's side."""

from __future__ import annotations

from typing import Callable, Iterable

import attrs
import numpy as np

from devface_core.base_parts import PartReport, add_part, likes_of, train_in_chunks
from devface_core.config import Config
from devface_core.protocols import ImageSource
from devface_core.saved_settings import has_upscaler
from devface_core.types import Progress, StopFlag


def likes_at_twice_the_side(source: ImageSource, user_ids: Iterable[str], config: Config) -> np.ndarray:
    """Every user's usable likes as uint8 faces at twice `config.image_size` (NoImagesError if none)."""
    return likes_of(source, user_ids, attrs.evolve(config, image_size=2 * config.image_size))[1]


def train_upscaler(likes: np.ndarray, config: Config, progress: Callable[[Progress], None] | None = None,
                   stop: StopFlag | None = None):
    """An upscaler trained on uint8 likes at twice the base's side for `upscaler_steps`; (upscaler, steps, losses)."""
    from devface_core.gan.upscaler import UpscalerTraining, build_upscaler

    upscaler = build_upscaler(config.seed)
    training = UpscalerTraining(upscaler, likes, config.batch_size, config.seed, critic_weight=config.upscaler_critic)
    steps, losses = train_in_chunks(training, config.upscaler_steps, "×2 upscaler", len(likes), progress, stop)
    return upscaler, steps, losses


def run_upscaler_training(source: ImageSource, user_ids: Iterable[str], config: Config,
                          progress: Callable[[Progress], None] | None = None,
                          stop: StopFlag | None = None) -> PartReport:
    """Train an upscaler for the base `config.init_from` on every user's likes and add it to that base."""
    return add_part("upscaler", source, user_ids, config, likes_at_twice_the_side,
                    lambda config, likes: train_upscaler(likes, config, progress, stop), stop)


def detail_side(config: Config) -> int:
    """The side a published face's detail comes from: twice the base's when it has an upscaler and
    `upscale` is on, else the side the faces are drawn at."""
    upscaled = config.upscale and config.init_from and has_upscaler(config.init_from)
    return 2 * config.image_size if upscaled else config.image_size


def upscaled_face(config: Config, face: np.ndarray) -> np.ndarray:
    """One uint8 face at `detail_side(config)`: through the base's upscaler, or as it is."""
    if detail_side(config) == face.shape[0]:
        return face
    from devface_core.gan.bases import load_model_weights
    from devface_core.gan.upscaler import build_upscaler, upscale

    upscaler = load_model_weights(build_upscaler(), config.init_from, "upscaler")
    return upscale(upscaler, face[None])[0]
