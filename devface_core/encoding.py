"""Give a base its encoder: after pretraining (`encoder_steps`), or later for a base that has none
(`devface encoder`), on every user's likes, so that `personalize latent` costs a user one forward pass."""

from __future__ import annotations

from typing import Callable, Iterable

import numpy as np

from devface_core.base_parts import PartReport, add_part, likes_of, train_in_chunks
from devface_core.config import Config
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

    def train(config: Config, likes: np.ndarray):
        from devface_core.gan.bases import load_model_weights
        from devface_core.gan.latent import build_sampler

        sampler = load_model_weights(build_sampler(config), config.init_from, "sampler")
        return train_encoder(sampler, likes, config, progress, stop)

    return add_part("encoder", source, user_ids, config, lambda *read: likes_of(*read)[1], train, stop)
