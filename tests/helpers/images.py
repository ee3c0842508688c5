"""Image factories for tests: every fixture image is made by code, never copied from elsewhere."""

from __future__ import annotations

import io
import zlib

import numpy as np
from PIL import Image, ImageDraw

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
    """Structured synthetic faces (what the demo source drew before it served the shipped base's faces),
    fitted to size×size uint8: fixed test data, whatever base devface ships."""
    from devface_core.imaging import fit_image, to_array

    seed = zlib.crc32(b"faces")
    return np.stack([to_array(fit_image(draw_face(np.random.default_rng([seed, index])), size))
                     for index in range(count)])


def textured_likes(count: int = 4, side: int = 32) -> np.ndarray:
    """Structured test faces with fine grain: what a photo holds beyond its half-side copy."""
    grain = np.random.default_rng(5).normal(0, 18, (count, side, side, 1))
    return np.clip(demo_faces(count, side) + grain, 0, 255).astype(np.uint8)


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
