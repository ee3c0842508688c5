"""The `demo` source: faces drawn by the base that ships with devface, so devface runs with no data at all.

`scripts/ship_base.py` wrote them (`demo_faces/`): the shipped base's own samples on noise of a fixed seed,
none picked by hand, so they are devface's own work. Each user likes their own selection of them, in their
own order (a permutation seeded by the user id), delivered as PNG data URLs as the web front end stores
likes; a user with more likes than there are faces sees them again, mirrored.
"""

from __future__ import annotations

import zlib
from pathlib import Path
from typing import Iterator

import numpy as np
from PIL import Image, ImageOps

from devface_adapters.base import Adapter, positive_int
from devface_adapters.hookspecs import hookimpl
from devface_core.imaging import encode_png, to_data_url
from devface_core.types import SourceImage
from devface_core.userid import validate_user_id

FACES = Path(__file__).parent / "demo_faces"


def shipped_faces() -> list[Image.Image]:
    """The demo faces, in file order."""
    return [Image.open(path).convert("RGB") for path in sorted(FACES.glob("*.png"))]


class DemoAdapter(Adapter):
    """Faces of the shipped base for any user, with no storage behind them (`demo` or `demo:COUNT`)."""

    name = "demo"
    summary = "faces drawn by devface's shipped base; runs with no data"

    def __init__(self, *, count: str = "12", size: str = "128"):
        self.count, self.size = positive_int(count, "demo option count"), positive_int(size, "demo option size")

    @classmethod
    def from_spec(cls, argument, options):
        """`demo:COUNT` sets how many faces each user has."""
        if argument:
            options["count"] = argument
        return cls(**options)

    def iter_images(self, user_id: str) -> Iterator[SourceImage]:
        """Yield the user's faces as PNG data URLs, the same every time."""
        faces = shipped_faces()
        order = np.random.default_rng(zlib.crc32(validate_user_id(user_id).encode("utf-8"))).permutation(len(faces))
        for index in range(self.count):
            face = faces[order[index % len(faces)]].resize((self.size, self.size), Image.Resampling.BICUBIC)
            if (index // len(faces)) % 2:
                face = ImageOps.mirror(face)
            yield SourceImage(key=f"demo:{user_id}/{index:03d}", data=to_data_url(encode_png(face)), user_id=user_id)

    def _describe(self):
        return {"count": self.count}


@hookimpl
def devface_register_adapters(register):
    """Register the demo adapter."""
    register(DemoAdapter)
