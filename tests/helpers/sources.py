"""A real source that also counts what was read: for tests that assert a check ran before any like was."""

from __future__ import annotations

from devface_adapters.memory import MemoryAdapter


class CountingSource(MemoryAdapter):
    """The memory source, counting the likes read (class-wide: reset `reads` before use)."""

    reads = 0

    def iter_images(self, user_id):
        """The memory source's images, each counted as it is read."""
        for image in super().iter_images(user_id):
            CountingSource.reads += 1
            yield image
