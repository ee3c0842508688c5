"""Image factories for tests: every fixture image is made by code, never copied from elsewhere."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

ORIENTATION_TAG = 0x0112


def solid(color=(200, 40, 40), size=(40, 40), mode="RGB") -> Image.Image:
    """A single-colour image."""
    return Image.new(mode, size, color)


def encoded(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    """An image encoded in a format."""
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def png(color=(200, 40, 40), size=(40, 40), mode="RGB") -> bytes:
    """PNG bytes of a solid image."""
    return encoded(solid(color, size, mode))


def rgba_png(size=(128, 128)) -> bytes:
    """A fully transparent-left / opaque-red-right RGBA PNG, as a browser canvas writes."""
    pixels = np.zeros((size[1], size[0], 4), dtype=np.uint8)
    pixels[:, size[0] // 2 :] = (255, 0, 0, 255)
    return encoded(Image.fromarray(pixels, "RGBA"))


def exif_rotated_jpeg() -> bytes:
    """A 60×30 JPEG (red top half... stored sideways) with EXIF orientation 6: upright it is 30×60."""
    image = Image.new("RGB", (60, 30), (0, 0, 255))
    exif = image.getexif()
    exif[ORIENTATION_TAG] = 6
    return encoded(image, "JPEG", exif=exif.tobytes())


def truncated_png() -> bytes:
    """A PNG cut in the middle of its pixel data."""
    data = encoded(Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)))
    return data[: len(data) // 2]


def face_like(seed: int, size: int = 64) -> bytes:
    """A noisy but structured test picture as PNG bytes."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (size, size, 3), dtype=np.uint8)
    return encoded(Image.fromarray(pixels))


def demo_faces(count: int = 8, size: int = 32) -> np.ndarray:
    """Structured synthetic faces (the demo source's drawings), decoded and fitted to size×size uint8."""
    from devface_adapters.demo import DemoAdapter
    from devface_core.imaging import decode_image, fit_image, to_array

    liked = DemoAdapter(count=str(count)).iter_images("faces")
    return np.stack([to_array(fit_image(decode_image(image.data, image.key), size)) for image in liked])
