"""Decoding every way a source stores an image, fitting to the training size, encoding for sinks."""

from __future__ import annotations

import base64

import numpy as np
import pytest
from PIL import Image

from devface_core.errors import ConfigError, InvalidImageError
from devface_core.imaging import decode_image, decode_pixels, encode_png, fit_image, to_array, to_data_url
from tests.helpers import images


def test_raw_base64_and_data_url_decode_to_the_same_pixels():
    raw = images.png((10, 120, 200))
    forms = [raw, base64.b64encode(raw).decode(), base64.b64encode(raw), to_data_url(raw)]
    decoded = [to_array(decode_image(form, "k")) for form in forms]
    for pixels in decoded:
        assert np.array_equal(pixels, decoded[0])
    assert tuple(decoded[0][0, 0]) == (10, 120, 200)


@pytest.mark.parametrize("fmt,mime", [("JPEG", "image/jpeg"), ("WEBP", "image/webp"), ("GIF", "image/gif")])
def test_data_urls_of_other_image_types_decode(fmt, mime):
    data = images.encoded(images.solid((0, 200, 0), (20, 20)), fmt)
    image = decode_image(to_data_url(data, mime), "k")
    assert image.mode == "RGB" and image.size == (20, 20)
    assert image.getpixel((10, 10))[1] > 150


def test_exif_orientation_is_applied():
    assert decode_image(images.exif_rotated_jpeg(), "k").size == (30, 60)


def test_transparency_is_composited_onto_white():
    pixels = to_array(decode_image(images.rgba_png(), "k"))
    assert tuple(pixels[5, 5]) == (255, 255, 255)
    assert tuple(pixels[5, 120]) == (255, 0, 0)


def test_sixteen_bit_and_cmyk_become_rgb():
    sixteen = Image.fromarray(np.full((8, 8), 65535, dtype=np.uint16))
    assert tuple(to_array(decode_image(images.encoded(sixteen), "k"))[0, 0]) == (255, 255, 255)
    cmyk = images.encoded(Image.new("CMYK", (8, 8), (0, 0, 0, 0)), "JPEG")
    assert decode_image(cmyk, "k").mode == "RGB"


@pytest.mark.parametrize(
    "data,reason",
    [
        (b"", "empty"),
        (b"hello, this is a text file", "not an image"),
        (images.truncated_png(), "not an image"),
        ("data:text/plain;base64,aGVsbG8=", "MIME type 'text/plain'"),
        ("data:image/png;base64,", "no payload"),
        ("@@@ not base64 @@@", "not an image"),
    ],
)
def test_non_images_raise_invalid_image_error_naming_the_key(data, reason):
    with pytest.raises(InvalidImageError) as error:
        decode_image(data, "tbl_save_image row 42")
    assert error.value.key == "tbl_save_image row 42"
    assert reason in str(error.value)


def test_decompression_bomb_is_rejected_before_decoding():
    bomb = images.encoded(Image.new("1", (8000, 8000)))
    with pytest.raises(InvalidImageError, match="too large"):
        decode_image(bomb, "bomb.png", max_pixels=10_000_000)


@pytest.mark.parametrize("mode", ["crop", "pad", "stretch"])
def test_every_fit_mode_gives_a_square_of_the_training_size(mode):
    wide = images.solid((0, 0, 0), (120, 40))
    assert fit_image(wide, 32, mode).size == (32, 32)


def test_pad_fills_with_white_and_crop_does_not():
    wide = images.solid((0, 0, 0), (120, 40))
    assert tuple(to_array(fit_image(wide, 32, "pad"))[0, 16]) == (255, 255, 255)
    assert tuple(to_array(fit_image(wide, 32, "crop"))[0, 16]) == (0, 0, 0)


def test_unknown_fit_mode_is_a_config_error():
    with pytest.raises(ConfigError):
        fit_image(images.solid(), 32, "squash")


def test_png_encoding_is_deterministic_and_round_trips():
    pixels = np.random.default_rng(1).integers(0, 255, (16, 16, 3), dtype=np.uint8)
    assert encode_png(pixels) == encode_png(pixels.copy())
    assert np.array_equal(to_array(decode_image(encode_png(pixels), "k")), pixels)


@pytest.mark.parametrize("mode, key, keyed_pixel", [("RGB", (255, 0, 0), (255, 0, 0)), ("L", 0, 0)])
def test_a_colour_key_tRNS_becomes_white_like_any_transparent_pixel(mode, key, keyed_pixel):
    image = Image.new(mode, (4, 4), keyed_pixel)
    image.putpixel((0, 0), (10, 200, 30) if mode == "RGB" else 90)
    pixels = decode_pixels(images.encoded(image, "PNG", transparency=key), "keyed.png")
    assert tuple(pixels[3, 3]) == (255, 255, 255)  # the key colour: transparent
    assert tuple(pixels[0, 0]) == ((10, 200, 30) if mode == "RGB" else (90, 90, 90))
