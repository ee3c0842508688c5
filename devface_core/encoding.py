"""Give a base its encoder: after pretraining (`encoder_steps`), or later for a base that has none
(`devface encoder`), on every user's likes, so that `personalize latent` costs a user one forward pass."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, Iterable

import attrs
import numpy as np

from devface_core.config import Config
from devface_core.dataset import load_training_set
from devface_core.errors import NoImagesError
from devface_core.native_output import native_output_captured
from devface_core.protocols import ImageSource
from devface_core.types import Progress, StopFlag

phases = logging.getLogger("devface_core.phases")


@attrs.frozen
class EncoderReport:
    """What training a base's encoder used, how far it got and where it went."""

    users: tuple[str, ...]
    images_used: int
    steps: int
    losses: dict
    base: str
    stopped: bool = False

    def to_dict(self) -> dict:
        """The report as plain JSON-ready data."""
        return attrs.asdict(self)


def train_encoder(sampler, images: np.ndarray, config: Config, progress: Callable[[Progress], None] | None = None,
                  stop: StopFlag | None = None):
    """An encoder for `sampler`'s noise space trained on uint8 likes for `encoder_steps`; (encoder, steps, losses)."""
    from devface_core.gan.encoder import STEPS_PER_CHUNK, EncoderTraining, build_encoder

    encoder = build_encoder(config.image_size, config.z_dim, config.seed)
    training = EncoderTraining(sampler, encoder, images, config.batch_size, config.seed)
    started, done, losses = time.perf_counter(), 0, {}
    phases.info("training the encoder on %d images (%d steps)", len(images), config.encoder_steps)
    while done < config.encoder_steps and not (stop and stop.is_set()):
        chunk = min(STEPS_PER_CHUNK, config.encoder_steps - done)
        losses, done = training.run(chunk), done + chunk
        if progress:
            progress(Progress(0, 0, done, losses, time.perf_counter() - started, config.encoder_steps))
    return encoder, done, losses


def likes_of(source: ImageSource, user_ids: Iterable[str], config: Config) -> tuple[tuple[str, ...], np.ndarray, int]:
    """Every user's usable likes together: (users, uint8 images, how many were skipped); NoImagesError if none."""
    users = tuple(user_ids)
    sets = [load_training_set(source, user_id, config) for user_id in users]
    images = np.concatenate([s.images for s in sets]) if sets else np.zeros((0,))
    if len(images) == 0:
        raise NoImagesError(f"no usable liked images for {len(users)} users")
    return users, images, sum(len(s.skipped) for s in sets)


def run_encoder_training(source: ImageSource, user_ids: Iterable[str], config: Config,
                         progress: Callable[[Progress], None] | None = None,
                         stop: StopFlag | None = None) -> EncoderReport:
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
    return EncoderReport(users, len(images), steps, losses, str(Path(config.init_from)), bool(stop and stop.is_set()))
