"""Give a base its encoder: after pretraining (`encoder_steps`), or later for a base that has none
(`devface encoder`), on every user's likes, so that `personalize latent` costs a user one forward pass."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from devface_core.base_parts import PartReport, likes_of, phases, train_in_chunks
from devface_core.config import Config
from devface_core.errors import NoImagesError
from devface_core.native_output import native_output_captured
from devface_core.protocols import ImageSource
from devface_core.types import Progress, StopFlag


def train_encoder(sampler, images: np.ndarray, config: Config, progress: Callable[[Progress], None] | None = None,
                  stop: StopFlag | None = None):
    """An encoder for `sampler`'s noise space trained on uint8 likes for `encoder_steps`; (encoder, steps, losses)."""
    from devface_core.gan.encoder import EncoderTraining, build_encoder

    encoder = build_encoder(config.image_size, config.z_dim, config.seed)
    training = EncoderTraining(sampler, encoder, images, config.batch_size, config.seed)
    steps, losses = train_in_chunks(training, config.encoder_steps, "encoder", len(images), progress, stop)
    return encoder, steps, losses


def run_encoder_training(source: ImageSource, user_ids: Iterable[str], config: Config,
                         progress: Callable[[Progress], None] | None = None,
                         stop: StopFlag | None = None) -> PartReport:
    """Train an encoder for the base `config.init_from` on every user's likes and add it to that base."""
    from devface_core.gan.bases import load_model_weights, save_part  # TensorFlow loads here
    from devface_core.gan.latent import build_sampler
    from devface_core.gan.recipe import plan_training

    config = plan_training(config).config  # the base's shape, checked against it
    try:
        users, images, _ = likes_of(source, user_ids, config)
    except NoImagesError as exc:
        raise NoImagesError(f"encoder: {exc}") from None
    with native_output_captured():
        sampler = load_model_weights(build_sampler(config), config.init_from, "sampler")
        encoder, steps, losses = train_encoder(sampler, images, config, progress, stop)
        phases.info("adding the encoder to the base in %s", config.init_from)
        save_part(config.init_from, "encoder", encoder)
    return PartReport(users, len(images), steps, losses, str(Path(config.init_from)), bool(stop and stop.is_set()))
