"""Idle pools: an item goes to one run at a time, by key, and at most `limit` wait, the least recent key's first
dropped."""

from __future__ import annotations

import threading

from devface_core.idle_pool import IdlePool


def test_an_item_given_back_is_lent_once_to_a_run_with_its_key():
    pool = IdlePool(limit=2)
    pool.give_back("base a", "engine 1")
    assert pool.take("base b") is None
    assert pool.take("base a") == "engine 1"
    assert pool.take("base a") is None and len(pool) == 0


def test_over_the_limit_the_key_given_back_to_longest_ago_loses_its_items_first():
    pool = IdlePool(limit=2)
    for key, item in (("a", 1), ("b", 2), ("a", 3)):
        pool.give_back(key, item)
    assert len(pool) == 2 and pool.take("b") is None
    assert pool.take("a") == 3 and pool.take("a") == 1


def test_limit_zero_keeps_nothing():
    pool = IdlePool(limit=0)
    pool.give_back("a", 1)
    assert len(pool) == 0 and pool.take("a") is None


def test_a_key_whose_items_are_all_lent_leaves_no_empty_entry_for_the_bound_to_trip_on():
    # A worker serving two bases: one base out while two of the other come back (IndexError before de7e341).
    pool = IdlePool(limit=1)
    pool.give_back("a", 1)
    assert pool.take("a") == 1
    pool.give_back("b", 2)
    pool.give_back("b", 3)
    assert len(pool) == 1 and pool.take("b") == 3


class GarbageCollectedDuringTake(str):
    """A key whose hashing gives another item back, as an engine's finalizer can while `take` holds the lock."""

    pool: IdlePool

    def __hash__(self) -> int:
        self.pool.give_back("collected", "engine")
        return str.__hash__(self)


def test_giving_back_from_inside_take_on_the_same_thread_does_not_deadlock():
    pool = IdlePool(limit=4)
    key = GarbageCollectedDuringTake("a")
    key.pool = pool
    worker = threading.Thread(target=pool.take, args=(key,), daemon=True)
    worker.start()
    worker.join(timeout=60)  # returns at once unless the lock deadlocks, which never resolves
    assert not worker.is_alive() and pool.take("collected") == "engine"
