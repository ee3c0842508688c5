"""Teach a base to draw at its encoder's codes (gan/adaptation.py): the last stage of pretraining
(`adapt_steps`), or later for a base that has an encoder (`devface adapt`), on every user's likes."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from devface_core.base_parts import PartReport, likes_of, train_in_chunks
from devface_core.config import Config
from devface_core.errors import ConfigError, NoImagesError
from devface_core.native_output import native_output_captured
from devface_core.protocols import ImageSource
from devface_core.saved_settings import has_encoder
from devface_core.types import Progress, StopFlag


def adapt_to_codes(sampler, discriminator, encoder, images: np.ndarray, config: Config,
                   progress: Callable[[Progress], None] | None = None, stop: StopFlag | None = None):
    """Train a base's sampler and discriminator at `encoder`'s codes of uint8 likes for `adapt_steps` steps;
    (the CodeAdaptation, steps, losses)."""
    from devface_core.gan.adaptation import CodeAdaptation

    adaptation = CodeAdaptation(sampler, discriminator, encoder, images, config)
    steps, losses = train_in_chunks(adaptation, config.adapt_steps, "base at its codes", len(images), progress, stop)
    return adaptation, steps, losses


def run_code_adaptation(source: ImageSource, user_ids: Iterable[str], config: Config,
                        progress: Callable[[Progress], None] | None = None,
                        stop: StopFlag | None = None) -> PartReport:
    """Teach the base `config.init_from` (which needs an encoder) its codes on every user's likes, in place."""
    from devface_core.gan.bases import load_model_weights, save_adapted
    from devface_core.gan.encoder import build_encoder
    from devface_core.gan.recipe import plan_training

    config = plan_training(config).config  # the base's shape, checked against it
    if not has_encoder(config.init_from):  # before a like is read
        raise ConfigError(f"adapt: the base {config.init_from} has no encoder; add one first with "
                          f"`devface encoder --base {config.init_from} --source SPEC`")
    users = tuple(user_ids)
    try:
        _, likes, _ = likes_of(source, users, config)
    except NoImagesError as exc:
        raise NoImagesError(f"adapt: {exc}") from None
    base = config.init_from
    with native_output_captured():
        sampler, discriminator = load_sampler_and_discriminator(config)
        encoder = load_model_weights(build_encoder(config.image_size, config.z_dim), base, "encoder")
        adaptation, steps, losses = adapt_to_codes(sampler, discriminator, encoder, likes, config, progress, stop)
        save_adapted(base, adaptation.average, adaptation.generator, adaptation.discriminator)
    return PartReport(users, len(likes), steps, losses, str(Path(base)), bool(stop and stop.is_set()))


def load_sampler_and_discriminator(config: Config):
    """The base `config.init_from`'s sampler (at the sampling noise) and discriminator, in float32, from one
    build of its models."""
    from devface_core.gan.bases import load_model_weights
    from devface_core.gan.layers import set_sampling_noise
    from devface_core.gan.models import build_models
    from devface_core.gan.recipe import model_options

    generator, discriminator = build_models(config.architecture, config.image_size, config.z_dim, config.seed,
                                            "float32", **model_options(config))
    set_sampling_noise(generator)
    return (load_model_weights(generator, config.init_from, "sampler"),
            load_model_weights(discriminator, config.init_from, "discriminator"))
