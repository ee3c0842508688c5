"""What every sink must do: publish atomically, return a URI, replace (never duplicate), isolate users."""

from __future__ import annotations

import pytest

from devface_core.errors import ConfigError
from devface_core.imaging import encode_png
from devface_core.protocols import ImageSink
from devface_core.types import PublishedImage
from tests.contract.harness import png_size
import numpy as np


def _face(value: int, step: int = 10) -> PublishedImage:
    png = encode_png(np.full((492, 500, 3), value, np.uint8))
    return PublishedImage(png=png, width=500, height=492, step=step, score=None, metadata={"note": "test"})


def test_it_satisfies_the_protocol(sink_harness):
    assert isinstance(sink_harness.sink(), ImageSink)


def test_publish_returns_a_uri_and_stores_the_png(sink_harness):
    sink = sink_harness.sink()
    uri = sink.publish("alice", _face(100))
    assert isinstance(uri, str) and "://" in uri
    assert sink_harness.read_published(sink, "alice") == _face(100).png
    assert png_size(sink_harness.read_published(sink, "alice")) == (500, 492)


def test_republishing_replaces_and_leaves_no_temporary_files(sink_harness):
    sink = sink_harness.sink()
    sink.publish("alice", _face(100, step=1))
    sink.publish("alice", _face(200, step=2))
    assert sink_harness.read_published(sink, "alice") == _face(200).png
    assert sink_harness.leftovers(sink) == []


def test_each_user_keeps_their_own_face(sink_harness):
    sink = sink_harness.sink()
    sink.publish("alice", _face(10))
    sink.publish("bob", _face(20))
    assert sink_harness.read_published(sink, "alice") == _face(10).png
    assert sink_harness.read_published(sink, "bob") == _face(20).png


def test_an_unusable_user_id_is_refused_before_writing(sink_harness):
    sink = sink_harness.sink()
    with pytest.raises(ConfigError):
        sink.publish("bad\x00id", _face(10))
    assert sink_harness.read_published(sink, "bad") is None
