"""Liked images from a source to a uint8 training array: streamed, decoded once, bad ones reported."""

from __future__ import annotations

import collections
import inspect
import logging
import mmap
import os
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Iterable, Iterator

import attrs
import numpy as np
from PIL import Image

from devface_core.config import Config
from devface_core.errors import InvalidImageError
from devface_core.imaging import decode_pixels, fit_image, to_array
from devface_core.protocols import ImageSource
from devface_core.types import SkippedImage, SourceImage

logger = logging.getLogger(__name__)


@attrs.frozen
class TrainingSet:
    """The decoded images (N, S, S, 3) uint8, how many were read, and those skipped with reasons."""

    images: np.ndarray
    images_read: int
    skipped: tuple[SkippedImage, ...]


def decoded_like(liked: SourceImage, config: Config) -> np.ndarray:
    """One liked image's pixels as stored, (H, W, 3) uint8, or InvalidImageError naming its key."""
    if liked.problem:
        raise InvalidImageError(liked.key, liked.problem)
    if len(liked.data) > config.max_image_bytes:
        raise InvalidImageError(liked.key, f"image data larger than {config.max_image_bytes} bytes")
    return decode_pixels(liked.data, liked.key, max_pixels=config.max_pixels)


def training_pixels(liked: SourceImage, config: Config) -> np.ndarray:
    """One liked image as (S, S, 3) uint8, or InvalidImageError naming its key."""
    pixels = decoded_like(liked, config)
    if pixels.shape[:2] == (config.image_size, config.image_size):
        return pixels  # every fit mode leaves an image of the training size as it is
    return to_array(fit_image(Image.fromarray(pixels, "RGB"), config.image_size, config.fit))


def load_training_set(source: ImageSource, user_id: str, config: Config) -> TrainingSet:
    """Stream a user's liked images, keep the ones that decode, at most `config.max_images`."""
    buffer = ImageBuffer(config.image_size, config.max_images)
    skipped: list[SkippedImage] = []
    read = 0
    for outcome in decoded_in_order(liked_images(source, user_id, config.max_image_bytes), config):
        if buffer.count >= config.max_images:
            logger.warning("user %r: more than %d images, the rest are not used", user_id, config.max_images)
            break
        read += 1
        if isinstance(outcome, InvalidImageError):
            logger.warning("skipped %s", outcome)
            skipped.append(SkippedImage(outcome.key, outcome.reason))
        else:
            buffer.append(outcome)
    return TrainingSet(buffer.images(), read, tuple(skipped))


def liked_images(source: ImageSource, user_id: str, max_bytes: int) -> Iterable[SourceImage]:
    """The source's images of a user; a source whose iter_images takes `max_bytes` reads no more of any."""
    if "max_bytes" in inspect.signature(source.iter_images).parameters:
        return source.iter_images(user_id, max_bytes=max_bytes)
    return source.iter_images(user_id)


Outcome = np.ndarray | InvalidImageError


def decoded_in_order(liked: Iterable[SourceImage], config: Config) -> Iterator[Outcome]:
    """Pixels, or the InvalidImageError (carrying its key) that says why not, per image, in source order, decoded by a thread pool.

    Pillow releases the GIL while it decodes, so threads overlap decoding with each other and with the
    source's I/O. Work goes out in small chunks (fewer hand-offs between threads) and at most
    `2 × threads` chunks are in flight, which bounds memory.
    """
    threads = config.decode_threads or os.cpu_count() or 1
    pending: collections.deque[Future] = collections.deque()
    with ThreadPoolExecutor(threads, thread_name_prefix="devface-decode") as pool:
        try:
            for chunk in _chunks(liked):
                pending.append(pool.submit(_decode_chunk, chunk, config))
                if len(pending) >= 2 * threads:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()


CHUNK_IMAGES = 8
CHUNK_BYTES = 4_000_000


def _chunks(liked: Iterable[SourceImage]) -> Iterator[list[SourceImage]]:
    """Consecutive images in groups of at most CHUNK_IMAGES and (beyond one image) CHUNK_BYTES."""
    chunk: list[SourceImage] = []
    size = 0
    for image in liked:
        chunk.append(image)
        size += len(image.data)
        if len(chunk) >= CHUNK_IMAGES or size >= CHUNK_BYTES:
            yield chunk
            chunk, size = [], 0
    if chunk:
        yield chunk


def _pixels_or_reason(liked: SourceImage, config: Config) -> Outcome:
    try:
        return training_pixels(liked, config)
    except InvalidImageError as exc:
        return exc


def _decode_chunk(chunk: list[SourceImage], config: Config) -> list[Outcome]:
    return [_pixels_or_reason(image, config) for image in chunk]


class ImageBuffer:
    """Decoded images written in place into one page-aligned uint8 array, never copied or stacked.

    The array is an anonymous memory map reserved for `capacity` images up front: the operating system
    maps its pages lazily, so only the pages of images actually written become resident. A plain map
    also avoids the transparent huge pages NumPy requests for large arrays, whose 2 MiB first-touch
    faults made each append about 4× slower here. Page alignment lets TensorFlow use the same memory
    without a copy (see `gan.trainer.resident_images`).
    """

    MAX_RESERVED_BYTES = 8 * 2**30  # beyond this the buffer grows by doubling instead of reserving

    def __init__(self, image_size: int, capacity: int):
        self._shape = (image_size, image_size, 3)
        per_image = image_size * image_size * 3
        self._array = self._reserve(min(capacity, max(1, self.MAX_RESERVED_BYTES // per_image)))
        self.count = 0

    def _reserve(self, capacity: int) -> np.ndarray:
        mapping = mmap.mmap(-1, capacity * int(np.prod(self._shape)))
        return np.frombuffer(mapping, dtype=np.uint8).reshape((capacity, *self._shape))

    def append(self, pixels: np.ndarray) -> None:
        """Copy one (S, S, 3) uint8 image into the next slot."""
        if self.count == len(self._array):
            grown = self._reserve(2 * len(self._array))
            grown[: self.count] = self._array
            self._array = grown
        self._array[self.count] = pixels
        self.count += 1

    def images(self) -> np.ndarray:
        """The images written so far, (N, S, S, 3) uint8, sharing this buffer's memory."""
        return self._array[: self.count]
