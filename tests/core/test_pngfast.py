"""The libpng fast path gives exactly Pillow's pixels, and hands every PNG that is not plain back to Pillow."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from devface_core.errors import InvalidImageError
from devface_core.imaging import decode_image, decode_pixels, to_array
from devface_core.pngfast import exif_orientation, plain_png_image


def _png(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", **options)
    return buffer.getvalue()


def _random(mode: str, channels: int, seed: int = 0) -> Image.Image:
    pixels = np.random.default_rng(seed).integers(0, 256, (37, 53, channels), dtype=np.uint8)
    if channels == 4:
        pixels[0, :, 3], pixels[1, :, 3] = 0, 255  # fully transparent and fully opaque rows too
    return Image.fromarray(pixels, mode)


@pytest.mark.parametrize("mode,channels", [("RGB", 3), ("RGBA", 4)])
def test_plain_pngs_decode_to_exactly_pillows_pixels(mode, channels):
    png = _png(_random(mode, channels))
    assert plain_png_image(png, "k", 10**8) is not None
    fast = decode_pixels(png, "k")
    assert fast.dtype == np.uint8 and fast.shape == (37, 53, 3)
    assert np.array_equal(fast, to_array(decode_image(png, "k")))


def test_opaque_rgba_keeps_its_colours():
    pixels = np.zeros((8, 8, 4), np.uint8)
    pixels[...] = (10, 20, 30, 255)
    assert tuple(decode_pixels(_png(Image.fromarray(pixels, "RGBA")), "k")[3, 3]) == (10, 20, 30)


@pytest.mark.parametrize("image", [
    Image.new("L", (9, 9), 128),
    Image.new("P", (9, 9), 3),
    Image.fromarray(np.full((9, 9), 40000, np.uint16)),
], ids=["grey", "palette", "16-bit"])
def test_pngs_that_are_not_plain_go_to_pillow_and_still_decode(image):
    png = _png(image)
    assert plain_png_image(png, "k", 10**8) is None
    assert decode_pixels(png, "k").shape == (9, 9, 3)


def test_transparency_chunk_and_exif_go_to_pillow():
    keyed = _png(Image.new("RGB", (9, 9), (1, 2, 3)), transparency=(1, 2, 3))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate
    rotated = _png(Image.new("RGB", (20, 10), (1, 2, 3)), exif=exif.tobytes())
    assert plain_png_image(keyed, "k", 10**8) is None
    assert plain_png_image(rotated, "k", 10**8) is None
    assert decode_pixels(rotated, "k").shape == (20, 10, 3)


def test_truncated_pixel_data_is_an_invalid_image_naming_the_key():
    png = _png(_random("RGB", 3))
    idat = png.index(b"IDAT")
    with pytest.raises(InvalidImageError, match="row 7.*not an image"):
        plain_png_image(png[: idat + 40], "row 7", 10**8)


def test_size_limit_is_checked_before_decoding():
    with pytest.raises(InvalidImageError, match="too large"):
        plain_png_image(_png(_random("RGB", 3)), "k", 100)


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
def test_exif_orientation_is_read_in_either_byte_order(orientation):
    exif = Image.Exif()
    exif[0x010E] = "a description first"
    exif[0x0112] = orientation
    tiff = exif.tobytes()
    assert exif_orientation(tiff) == orientation
    assert exif_orientation(tiff[6:] if tiff.startswith(b"Exif") else tiff) == orientation
    big_endian = Image.Exif()
    big_endian.endian = ">"
    big_endian[0x0112] = orientation
    assert exif_orientation(big_endian.tobytes()) == orientation


def test_exif_without_orientation_is_upright():
    exif = Image.Exif()
    exif[0x010E] = "no orientation"
    assert exif_orientation(exif.tobytes()) == 1
