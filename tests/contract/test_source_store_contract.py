"""What every source and store must do: stream, keep order and bytes, know no unknown user, isolate users."""

from __future__ import annotations

import collections.abc

from devface_core.imaging import image_bytes
from devface_core.protocols import ImageSource, ImageStore
from devface_core.types import SourceImage
from tests.helpers import images


def _seed(store, user_id, count):
    payloads = [images.png((10 * i, 0, 0)) for i in range(count)]
    for index, payload in enumerate(payloads):
        store.add(user_id, payload, f"like-{index:02d}.png")
    return payloads


def _stored_images(store, user_id):
    """The encoded image bytes a source yields (it may store them as raw bytes, base64 or a data URL)."""
    return [image_bytes(item.data, item.key) for item in store.iter_images(user_id)]


def test_it_satisfies_the_protocols(store_harness):
    store = store_harness.store()
    assert isinstance(store, ImageSource) and isinstance(store, ImageStore)


def test_round_trip_keeps_order_and_bytes(store_harness):
    store = store_harness.store()
    payloads = _seed(store, "alice", 3)
    liked = list(store.iter_images("alice"))
    assert _stored_images(store, "alice") == payloads
    assert all(isinstance(item, SourceImage) and item.user_id == "alice" for item in liked)
    assert len({item.key for item in liked}) == 3


def test_images_are_streamed_not_returned_as_a_list(store_harness):
    store = store_harness.store()
    _seed(store, "alice", 2)
    stream = store.iter_images("alice")
    assert isinstance(stream, collections.abc.Iterator)
    assert not isinstance(stream, collections.abc.Sequence)
    assert next(stream).user_id == "alice"


def test_unknown_user_yields_nothing(store_harness):
    store = store_harness.store()
    _seed(store, "alice", 1)
    assert list(store.iter_images("mallory")) == []


def test_users_see_only_their_own_images(store_harness):
    store = store_harness.store()
    alice = _seed(store, "alice", 2)
    store.add("bob", images.png((0, 0, 255)), "bob.png")
    assert _stored_images(store, "alice") == alice
    assert len(list(store.iter_images("bob"))) == 1


def test_adding_the_same_name_twice_keeps_both(store_harness):
    store = store_harness.store()
    store.add("alice", images.png((1, 1, 1)), "same.png")
    store.add("alice", images.png((2, 2, 2)), "same.png")
    assert len(list(store.iter_images("alice"))) == 2
