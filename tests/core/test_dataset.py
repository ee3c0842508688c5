"""Loading a user's images: source order kept through the decode threads, bad ones reported, one buffer."""

from __future__ import annotations

import attrs
import numpy as np
import pytest

from devface_core import dataset
from devface_core.dataset import ImageBuffer, load_training_set
from devface_core.types import SourceImage
from tests.helpers.images import png


class ListSource:
    """An ImageSource over a fixed list (the core only needs `iter_images`)."""

    def __init__(self, images):
        self.images = images
        self.consumed = 0

    def iter_images(self, user_id):
        for image in self.images:
            self.consumed += 1
            yield image


def liked(index: int, data: bytes) -> SourceImage:
    return SourceImage(key=f"row-{index}", user_id="alice", data=data)


def red_level(index: int) -> bytes:
    return png(color=(index, 0, 0), size=(8, 8))


@pytest.mark.parametrize("threads", [1, 3])
def test_images_keep_source_order_and_skips_keep_their_keys(tiny_config, threads):
    images = [liked(i, b"not an image" if i % 7 == 3 else red_level(i)) for i in range(40)]
    config = attrs.evolve(tiny_config, decode_threads=threads)
    loaded = load_training_set(ListSource(images), "alice", config)
    kept = [i for i in range(40) if i % 7 != 3]
    assert loaded.images[:, 0, 0, 0].tolist() == kept
    assert [skip.key for skip in loaded.skipped] == ["row-3", "row-10", "row-17", "row-24", "row-31", "row-38"]
    assert loaded.images_read == 40


def test_max_images_stops_reading_and_counts_only_what_was_used(tiny_config):
    source = ListSource([liked(i, red_level(i)) for i in range(100)])
    loaded = load_training_set(source, "alice", attrs.evolve(tiny_config, max_images=10, decode_threads=2))
    assert loaded.images[:, 0, 0, 0].tolist() == list(range(10))
    assert loaded.images_read == 10
    # Decoding runs ahead of the buffer by at most 2 × threads chunks plus the one being gathered.
    assert source.consumed <= 10 + (2 * 2 + 1) * dataset.CHUNK_IMAGES < 100


def test_chunks_split_by_count_and_by_bytes(monkeypatch):
    monkeypatch.setattr(dataset, "CHUNK_BYTES", 100)
    images = [liked(i, b"x" * 60) for i in range(5)]
    assert [len(chunk) for chunk in dataset._chunks(images)] == [2, 2, 1]
    monkeypatch.setattr(dataset, "CHUNK_BYTES", 10**9)
    many = [liked(i, b"x") for i in range(dataset.CHUNK_IMAGES + 1)]
    assert [len(chunk) for chunk in dataset._chunks(many)] == [dataset.CHUNK_IMAGES, 1]


def test_buffer_grows_past_its_reservation_without_losing_images(monkeypatch):
    per_image = 4 * 4 * 3
    monkeypatch.setattr(ImageBuffer, "MAX_RESERVED_BYTES", 2 * per_image)
    buffer = ImageBuffer(4, capacity=1000)
    for value in range(5):
        buffer.append(np.full((4, 4, 3), value, np.uint8))
    assert buffer.images()[:, 0, 0, 0].tolist() == [0, 1, 2, 3, 4]
    assert buffer.images().ctypes.data % 64 == 0


def test_whitespace_in_base64_is_still_accepted(tiny_config):
    import base64

    text = base64.encodebytes(red_level(200)).decode()  # wrapped at 76 columns, as MIME tools write it
    assert "\n" in text.strip()
    loaded = load_training_set(ListSource([liked(0, text)]), "alice", tiny_config)
    assert loaded.images[0, 0, 0].tolist() == [200, 0, 0]
