"""A run reads a user's likes from the source once: the training set and the likes' detail (upscaling.py) both
look at the first likes, and a second read of them cost a second query, or up to a hundred more object reads.

The first `count` likes read are kept (their encoded data, at most KEPT_BYTES in all) and a second look that
asks for no more than those is served from memory; anything else reads the source again, as before.
"""

from __future__ import annotations

import itertools
from typing import Iterator

from devface_core.dataset import liked_images
from devface_core.protocols import ImageSource
from devface_core.types import SourceImage

KEPT_BYTES = 64 * 2**20  # beyond this (a user's first likes are huge) a second look reads the source again


class LikesReadOnce:
    """One run's view of a source: the first `count` likes of the first read are kept for a second look."""

    def __init__(self, source: ImageSource, count: int) -> None:
        self.source = source
        self.count = count
        self._kept: list[SourceImage] = []
        self._read_as: tuple[str, int | None] | None = None  # the user and max_bytes the kept likes were read for
        self._whole = False  # the kept likes are the user's first `count`, or all they have

    def iter_images(self, user_id: str, max_bytes: int | None = None) -> Iterator[SourceImage]:
        """The source's likes of `user_id`: the first read from the source, a second look from memory when the
        likes kept cover it (stop before their end), else from the source again."""
        if self._whole and self._read_as == (user_id, max_bytes):
            yield from self._kept
            yield from self._rest(user_id, max_bytes)
            return
        if self._read_as is not None:
            yield from self._from_source(user_id, max_bytes)
            return
        yield from self._first_read(user_id, max_bytes)

    def _first_read(self, user_id: str, max_bytes: int | None) -> Iterator[SourceImage]:
        self._read_as, size, keeping = (user_id, max_bytes), 0, self.count > 0
        source_likes = self._from_source(user_id, max_bytes)
        try:
            for image in source_likes:
                if keeping and len(self._kept) < self.count:
                    size += len(image.data)
                    keeping = size <= KEPT_BYTES
                    self._kept.append(image)
                    self._whole = keeping and len(self._kept) == self.count
                yield image
            self._whole = keeping  # read to the end: what was kept is all the user has
        finally:
            _close(source_likes)  # a source holding a cursor or a connection lets it go now, not when collected
            if not self._whole:
                self._kept.clear()

    def _rest(self, user_id: str, max_bytes: int | None) -> Iterator[SourceImage]:
        """The likes after the kept ones: a look that goes past them reads the source again from there."""
        if len(self._kept) < self.count:
            return  # the user has no more
        source_likes = self._from_source(user_id, max_bytes)
        try:
            for image in itertools.islice(source_likes, len(self._kept), None):
                yield image
        finally:
            _close(source_likes)

    def _from_source(self, user_id: str, max_bytes: int | None) -> Iterator[SourceImage]:
        if max_bytes is None:
            return iter(self.source.iter_images(user_id))
        return iter(liked_images(self.source, user_id, max_bytes))


def _close(likes: Iterator[SourceImage]) -> None:
    close = getattr(likes, "close", None)
    if callable(close):
        close()
