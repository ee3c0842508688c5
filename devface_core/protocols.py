"""The whole contract between the core and the outside world: where liked images come from, where faces go."""

from __future__ import annotations

from typing import Iterator, Protocol, runtime_checkable

from devface_core.types import PublishedImage, SourceImage


@runtime_checkable
class ImageSource(Protocol):
    """Streams one user's liked images; an unknown user yields nothing."""

    def iter_images(self, user_id: str) -> Iterator[SourceImage]:
        """Yield the user's liked images one at a time, in a stable order. A source may also take a keyword
        `max_bytes`: it then reads no more than max_bytes + 1 bytes of any image, and may yield an image
        over it with a `problem` instead of its data (the dir source does)."""
        ...


@runtime_checkable
class ImageSink(Protocol):
    """Publishes a user's generated face atomically: readers see the old face or the new one."""

    def publish(self, user_id: str, image: PublishedImage) -> str:
        """Store the face and return a URI that says where it went. A sink may also offer
        `check_can_publish(user_id)`, cheaply raising a DevfaceError when it could not take that user's
        face (a folder not writable, a table missing, an id it cannot store): the pipeline asks it before
        reading a single like."""
        ...


@runtime_checkable
class ImageStore(ImageSource, Protocol):
    """A source that can also take new liked images (used for seeding)."""

    def add(self, user_id: str, data: bytes, name: str) -> str:
        """Add one liked image (encoded bytes) for a user and return where it went."""
        ...
