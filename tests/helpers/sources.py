"""A real source that also counts what was read: for tests that assert a check ran before any like was."""

from __future__ import annotations

from devface_adapters.memory import MemoryAdapter
from tests.helpers.images import face_like


class CountingSource(MemoryAdapter):
    """The memory source, counting the likes read (class-wide: reset `reads` before use)."""

    reads = 0

    def iter_images(self, user_id):
        """The memory source's images, each counted as it is read."""
        for image in super().iter_images(user_id):
            CountingSource.reads += 1
            yield image


def two_users(space: str) -> MemoryAdapter:
    """ann's and bob's likes (four 16×16 test pictures each) in a memory space of their own."""
    store = MemoryAdapter(space=space)
    for user in ("ann", "bob"):
        for index in range(4):
            store.add(user, face_like(index + 7 * len(user), 16), f"{index}.png")
    return store
