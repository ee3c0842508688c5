"""A run reads each like from the source once: a second look at the first likes is served from memory."""

from __future__ import annotations

import itertools

from devface_core import read_once
from devface_core.read_once import LikesReadOnce
from tests.helpers.sources import CountingSource


def likes(space: str, count: int) -> CountingSource:
    """`count` likes of ann's (their data need not decode: nothing here decodes), reads counted from 0."""
    store = CountingSource(space=space)
    store.space.clear()
    for index in range(count):
        store.add("ann", f"like {index}".encode(), f"{index}.png")
    CountingSource.reads = 0
    return store


def keys(images) -> list[str]:
    return [image.key for image in images]


def test_a_second_look_at_the_first_likes_reads_nothing_again():
    run = LikesReadOnce(likes("read-once", 6), 4)
    first = keys(run.iter_images("ann", max_bytes=100))
    assert keys(itertools.islice(run.iter_images("ann", max_bytes=100), 4)) == first[:4]
    assert CountingSource.reads == 6


def test_a_look_past_the_kept_likes_reads_the_rest_from_the_source_in_order():
    run = LikesReadOnce(likes("read-once-past", 6), 4)
    first = keys(run.iter_images("ann", max_bytes=100))
    assert keys(run.iter_images("ann", max_bytes=100)) == first


def test_a_user_with_fewer_likes_than_kept_is_looked_at_again_from_memory():
    run = LikesReadOnce(likes("read-once-few", 3), 4)
    first = keys(run.iter_images("ann", max_bytes=100))
    assert keys(run.iter_images("ann", max_bytes=100)) == first and CountingSource.reads == 3


def test_the_source_is_read_again_when_the_first_read_kept_too_little(monkeypatch):
    stopped = LikesReadOnce(likes("read-once-stopped", 6), 4)
    assert len(keys(itertools.islice(stopped.iter_images("ann", max_bytes=100), 2))) == 2  # stopped early
    assert len(keys(itertools.islice(stopped.iter_images("ann", max_bytes=100), 4))) == 4
    assert CountingSource.reads == 2 + 4
    monkeypatch.setattr(read_once, "KEPT_BYTES", 12)  # two likes' data: the first read stops keeping at the third
    heavy = LikesReadOnce(likes("read-once-heavy", 6), 4)
    list(heavy.iter_images("ann", max_bytes=100))
    assert len(keys(itertools.islice(heavy.iter_images("ann", max_bytes=100), 4))) == 4
    assert CountingSource.reads == 6 + 4


def test_another_user_or_size_limit_is_read_from_the_source():
    run = LikesReadOnce(likes("read-once-other", 3), 4)
    list(run.iter_images("ann", max_bytes=100))
    assert keys(run.iter_images("bob", max_bytes=100)) == []
    assert len(keys(run.iter_images("ann", max_bytes=5))) == 3
    assert CountingSource.reads == 3 + 3
