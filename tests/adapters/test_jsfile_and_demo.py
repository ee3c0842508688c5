"""The jsfile sink's identifier rules and module form, and the demo source's determinism."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from devface_adapters.demo import DemoAdapter
from devface_adapters.jsfile import JavaScriptFileAdapter, check_identifier
from devface_core.errors import ConfigError
from devface_core.imaging import decode_image, encode_png
from devface_core.types import PublishedImage


@pytest.mark.parametrize("bad", ["1abc", "my-face", "const", "a b", "", "x;alert(1)"])
def test_invalid_identifiers_are_refused(bad):
    with pytest.raises(ConfigError, match="not a valid JavaScript identifier"):
        check_identifier(bad)


def test_module_form_is_an_importable_es_module(tmp_path):
    path = tmp_path / "face.mjs"
    sink = JavaScriptFileAdapter(path=str(path), identifier="FACE", module="true")
    png = encode_png(np.zeros((4, 4, 3), np.uint8))
    sink.publish("alice", PublishedImage(png=png, width=4, height=4, step=1))
    script = f"import('{path.as_uri()}').then(m => process.stdout.write(m.FACE.slice(0, 22)))"
    result = subprocess.run(["node", "-e", script], capture_output=True, text=True, check=True)
    assert result.stdout == "data:image/png;base64,"


def test_demo_faces_are_deterministic_per_user_and_decode():
    first = [image.data for image in DemoAdapter(count="3").iter_images("alice")]
    again = [image.data for image in DemoAdapter(count="3").iter_images("alice")]
    other = [image.data for image in DemoAdapter(count="3").iter_images("bob")]
    assert first == again and first != other
    assert decode_image(first[0], "demo").size == (128, 128)
