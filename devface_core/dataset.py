"""Liked images from a source to a uint8 training array: streamed, decoded once, bad ones reported."""

from __future__ import annotations

import logging

import attrs
import numpy as np

from devface_core.config import Config
from devface_core.errors import InvalidImageError
from devface_core.imaging import decode_image, fit_image, to_array
from devface_core.protocols import ImageSource
from devface_core.types import SkippedImage, SourceImage

logger = logging.getLogger(__name__)


@attrs.frozen
class TrainingSet:
    """The decoded images (N, S, S, 3) uint8, how many were read, and those skipped with reasons."""

    images: np.ndarray
    images_read: int
    skipped: tuple[SkippedImage, ...]


def training_pixels(liked: SourceImage, config: Config) -> np.ndarray:
    """One liked image as (S, S, 3) uint8, or InvalidImageError naming its key."""
    if len(liked.data) > config.max_image_bytes:
        raise InvalidImageError(liked.key, f"image data larger than {config.max_image_bytes} bytes")
    image = decode_image(liked.data, liked.key, max_pixels=config.max_pixels)
    return to_array(fit_image(image, config.image_size, config.fit))


def load_training_set(source: ImageSource, user_id: str, config: Config) -> TrainingSet:
    """Stream a user's liked images, keep the ones that decode, at most `config.max_images`."""
    kept: list[np.ndarray] = []
    skipped: list[SkippedImage] = []
    read = 0
    for liked in source.iter_images(user_id):
        if len(kept) >= config.max_images:
            logger.warning("user %r: more than %d images, the rest are not used", user_id, config.max_images)
            break
        read += 1
        try:
            kept.append(training_pixels(liked, config))
        except InvalidImageError as exc:
            logger.warning("skipped %s", exc)
            skipped.append(SkippedImage(exc.key, exc.reason))
    return TrainingSet(_stack(kept, config.image_size), read, tuple(skipped))


def _stack(kept: list[np.ndarray], size: int) -> np.ndarray:
    if not kept:
        return np.zeros((0, size, size, 3), dtype=np.uint8)
    return np.stack(kept)
