"""The `demo` source: deterministic synthetic faces drawn with Pillow, so devface runs with no data at all.

Each user gets their own family of faces (skin, hair and eye colours drawn from a seed made of the user
id), delivered as PNG data URLs exactly as the web front end stores likes.
"""

from __future__ import annotations

import zlib
from typing import Iterator

import numpy as np
from PIL import Image, ImageDraw

from devface_adapters.base import Adapter, positive_int
from devface_adapters.hookspecs import hookimpl
from devface_core.imaging import encode_png, to_data_url
from devface_core.types import SourceImage
from devface_core.userid import validate_user_id

SKIN_TONES = ((241, 194, 167), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172))
HAIR_COLOURS = ((35, 25, 20), (90, 56, 37), (180, 140, 80), (60, 60, 60), (140, 50, 30))


def draw_face(rng: np.random.Generator, size: int = 128) -> Image.Image:
    """One face-like picture: background, hair, face, eyes, brows, nose and mouth, jittered by `rng`."""
    image = Image.new("RGB", (size, size), tuple(int(c) for c in rng.integers(150, 256, 3)))
    draw = ImageDraw.Draw(image)
    s = size / 128
    jitter = lambda spread: float(rng.uniform(-spread, spread)) * s  # noqa: E731
    hair = HAIR_COLOURS[rng.integers(len(HAIR_COLOURS))]
    skin = SKIN_TONES[rng.integers(len(SKIN_TONES))]
    draw.ellipse([24 * s + jitter(4), 12 * s + jitter(4), 104 * s + jitter(4), 110 * s], fill=hair)
    draw.ellipse([34 * s + jitter(3), 26 * s + jitter(3), 94 * s + jitter(3), 112 * s + jitter(3)], fill=skin)
    eye_y = 58 * s + jitter(3)
    for eye_x in (50 * s + jitter(2), 78 * s + jitter(2)):
        draw.ellipse([eye_x - 6 * s, eye_y - 4 * s, eye_x + 6 * s, eye_y + 4 * s], fill=(255, 255, 255))
        draw.ellipse([eye_x - 3 * s, eye_y - 3 * s, eye_x + 3 * s, eye_y + 3 * s], fill=(40, 30, 30))
        draw.line([eye_x - 7 * s, eye_y - 9 * s, eye_x + 7 * s, eye_y - 10 * s], fill=hair, width=max(1, int(2 * s)))
    draw.line([64 * s, 64 * s, 61 * s, 80 * s, 66 * s, 81 * s], fill=(150, 100, 80), width=max(1, int(s)))
    mouth_y = 92 * s + jitter(3)
    draw.arc([52 * s, mouth_y - 6 * s, 76 * s, mouth_y + 6 * s], 20, 160, fill=(170, 60, 60), width=max(1, int(3 * s)))
    return image


class DemoAdapter(Adapter):
    """Synthetic faces for any user, with no storage behind them (`demo` or `demo:COUNT`)."""

    name = "demo"
    summary = "synthetic Pillow-drawn faces; runs with no data"

    def __init__(self, *, count: str = "24", size: str = "128"):
        self.count, self.size = positive_int(count, "demo option count"), positive_int(size, "demo option size")

    @classmethod
    def from_spec(cls, argument, options):
        """`demo:COUNT` sets how many faces each user has."""
        if argument:
            options["count"] = argument
        return cls(**options)

    def iter_images(self, user_id: str) -> Iterator[SourceImage]:
        """Yield the user's faces as PNG data URLs, the same every time."""
        seed = zlib.crc32(validate_user_id(user_id).encode("utf-8"))
        for index in range(self.count):
            face = draw_face(np.random.default_rng([seed, index]), self.size)
            yield SourceImage(key=f"demo:{user_id}/{index:03d}", data=to_data_url(encode_png(face)), user_id=user_id)

    def _describe(self):
        return {"count": self.count}


@hookimpl
def devface_register_adapters(register):
    """Register the demo adapter."""
    register(DemoAdapter)
