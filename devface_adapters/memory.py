"""The in-memory adapter: a real source, sink and store held in this process, shared by name.

`memory` and `memory:NAME` name spaces that live as long as the process, so one part of a program (or
a test) can seed liked images and another can read the published face.
"""

from __future__ import annotations

import threading
from typing import ClassVar, Iterator

import attrs

from devface_adapters.base import Adapter
from devface_adapters.hookspecs import hookimpl
from devface_core.types import PublishedImage, SourceImage
from devface_core.userid import validate_user_id


@attrs.define
class MemorySpace:
    """One named space: liked images and published faces per user, guarded by a lock."""

    name: str
    _liked: dict[str, list[SourceImage]] = attrs.Factory(dict)
    _published: dict[str, PublishedImage] = attrs.Factory(dict)
    _lock: threading.Lock = attrs.Factory(threading.Lock)

    def liked(self, user_id: str) -> list[SourceImage]:
        """A copy of a user's liked images (iteration never sees a concurrent change)."""
        with self._lock:
            return list(self._liked.get(user_id, ()))

    def add(self, user_id: str, data: bytes | str, name: str) -> str:
        """Append one liked image; return its key."""
        with self._lock:
            images = self._liked.setdefault(user_id, [])
            key = f"memory://{self.name}/{user_id}/{len(images):06d}-{name}"
            images.append(SourceImage(key=key, data=data, user_id=user_id))
            return key

    def users(self) -> list[str]:
        """Every user with liked images, sorted."""
        with self._lock:
            return sorted(user_id for user_id, images in self._liked.items() if images)

    def publish(self, user_id: str, image: PublishedImage) -> str:
        """Replace the user's published face in one assignment."""
        with self._lock:
            self._published[user_id] = image
        return f"memory://{self.name}/{user_id}.png"

    def published(self, user_id: str) -> PublishedImage | None:
        """The user's published face, if any."""
        with self._lock:
            return self._published.get(user_id)

    def clear(self) -> None:
        """Forget everything in this space."""
        with self._lock:
            self._liked.clear()
            self._published.clear()


class MemoryAdapter(Adapter):
    """Liked images and published faces kept in this process (`memory` or `memory:NAME`)."""

    name = "memory"
    summary = "in-process store shared by name; for tests and embedding"
    _spaces: ClassVar[dict[str, MemorySpace]] = {}
    _spaces_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, *, space: str = "default"):
        self.space = self.named(space)

    @classmethod
    def from_spec(cls, argument, options):
        """`memory:NAME` selects the space NAME."""
        return cls(space=argument or options.pop("space", "default"), **options)

    @classmethod
    def named(cls, space: str) -> MemorySpace:
        """The process-wide space with this name, created on first use."""
        with cls._spaces_lock:
            return cls._spaces.setdefault(space, MemorySpace(space))

    def iter_images(self, user_id: str) -> Iterator[SourceImage]:
        """Yield the user's liked images in the order they were added."""
        yield from self.space.liked(validate_user_id(user_id))

    def users(self) -> list[str]:
        """Every user with liked images in this space."""
        return self.space.users()

    def publish(self, user_id: str, image: PublishedImage) -> str:
        """Store the face for the user."""
        return self.space.publish(validate_user_id(user_id), image)

    def add(self, user_id: str, data: bytes, name: str) -> str:
        """Add a liked image for the user."""
        return self.space.add(validate_user_id(user_id), data, name)

    def _describe(self):
        return {"space": self.space.name}


@hookimpl
def devface_register_adapters(register):
    """Register the memory adapter."""
    register(MemoryAdapter)
