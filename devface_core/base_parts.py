"""What training a base's optional models (its encoder, its upscaler) shares: every user's likes read
together, the training loop in chunks (progress and stop requests between them), and the report."""

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
STEPS_PER_CHUNK = 25  # between looks at a stop request and progress ticks


@attrs.frozen
class PartReport:
    """What training one of a base's optional models used, how far it got and where it went."""

    users: tuple[str, ...]
    images_used: int
    steps: int
    losses: dict
    base: str
    stopped: bool = False

    def to_dict(self) -> dict:
        """The report as plain JSON-ready data."""
        return attrs.asdict(self)


def likes_of(source: ImageSource, user_ids: Iterable[str], config: Config) -> tuple[tuple[str, ...], np.ndarray, int]:
    """Every user's usable likes together: (users, uint8 images, how many were skipped); NoImagesError if none."""
    users = tuple(user_ids)
    sets = [load_training_set(source, user_id, config) for user_id in users]
    images = np.concatenate([s.images for s in sets]) if sets else np.zeros((0,))
    if len(images) == 0:
        raise NoImagesError(f"no usable liked images for {len(users)} users")
    return users, images, sum(len(s.skipped) for s in sets)


def train_in_chunks(training, steps: int, what: str, images: int, progress: Callable[[Progress], None] | None = None,
                    stop: StopFlag | None = None) -> tuple[int, dict]:
    """Run `training.run(n)` in chunks up to `steps` or a stop request; (steps done, the last losses)."""
    started, done, losses = time.perf_counter(), 0, {}
    phases.info("training the %s on %d images (%d steps)", what, images, steps)
    while done < steps and not (stop and stop.is_set()):
        chunk = min(STEPS_PER_CHUNK, steps - done)
        losses, done = training.run(chunk), done + chunk
        if progress:
            progress(Progress(0, 0, done, losses, time.perf_counter() - started, steps))
    return done, losses


def add_part(name: str, source: ImageSource, user_ids: Iterable[str], config: Config,
             read_likes: Callable[[ImageSource, tuple[str, ...], Config], np.ndarray],
             train: Callable[[Config, np.ndarray], tuple], stop: StopFlag | None = None) -> PartReport:
    """Train one of the base `config.init_from`'s optional models (`name`) on every user's likes, read by
    `read_likes(source, users, config)`, with `train(config, likes)` -> (model, steps, losses), and add it to
    that base."""
    from devface_core.gan.bases import save_part  # TensorFlow loads here
    from devface_core.gan.recipe import plan_training

    config = plan_training(config).config  # the base's shape, checked against it
    users = tuple(user_ids)
    try:
        likes = read_likes(source, users, config)
    except NoImagesError as exc:
        raise NoImagesError(f"{name}: {exc}") from None
    with native_output_captured():
        model, steps, losses = train(config, likes)
        phases.info("adding the %s to the base in %s", name, config.init_from)
        save_part(config.init_from, name, model)
    return PartReport(users, len(likes), steps, losses, str(Path(config.init_from)), bool(stop and stop.is_set()))
