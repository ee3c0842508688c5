"""Idle pools: what a finished run built (a compiled engine, a loaded base), kept by key for the next run that
needs the same, so that a long-lived process (`devface watch`, a Celery worker) builds it once.

A pool lends each item to one run at a time and keeps at most `limit` idle items; over it, the items of the key
given back to longest ago go first, so the bases or settings a process serves most stay warm (limit 0:
nothing is kept). Warm engines (gan/engines.py) and warm latent bases (gan/latent_pool.py) each keep one.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, Hashable, TypeVar

Item = TypeVar("Item")


class IdlePool(Generic[Item]):
    """Items waiting for their next run, by key, at most `limit` of them."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._idle: OrderedDict[Hashable, list[Item]] = OrderedDict()
        # Reentrant: an engine's Trainer gives it back from its finalizer, which garbage collection can run
        # inside `take` on the same thread.
        self._lock = threading.RLock()

    def take(self, key: Hashable) -> Item | None:
        """An idle item for `key`, now out of the pool, or None when none waits."""
        with self._lock:
            items = self._idle.get(key)
            if not items:
                return None
            item = items.pop()
            if not items:
                del self._idle[key]  # an empty entry would be the "oldest" the bound evicts from
            return item

    def give_back(self, key: Hashable, item: Item) -> None:
        """Keep `item` for the next run that asks for `key`; over the limit, drop the least recent key's items."""
        with self._lock:
            self._idle.setdefault(key, []).append(item)
            self._idle.move_to_end(key)
            while self._count() > self.limit:
                oldest = next(iter(self._idle))
                self._idle[oldest].pop(0)
                if not self._idle[oldest]:
                    del self._idle[oldest]

    def clear(self) -> None:
        """Drop every idle item."""
        with self._lock:
            self._idle.clear()

    def __len__(self) -> int:
        with self._lock:
            return self._count()

    def _count(self) -> int:
        return sum(len(items) for items in self._idle.values())
