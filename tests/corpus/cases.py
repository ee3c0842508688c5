"""The bad-input corpus: every case is generated here by code, with the outcome devface must give.

Image cases are liked-image data (bytes or text, as a store would hold them); user-id cases are ids. An
outcome is one of: DECODED (the image trains, with `pixel` the colour expected at its centre), SKIPPED
(the run goes on without it; `reason` must appear in the report), or REJECTED (the run stops with `error`,
before anything is read or written).
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from typing import Callable

import attrs
import numpy as np
from PIL import Image

from devface_core.errors import ConfigError, NoImagesError

DECODED, SKIPPED, REJECTED = "decoded", "skipped", "rejected"
RED, GREEN, BLUE, WHITE = (220, 30, 30), (30, 200, 60), (40, 60, 220), (255, 255, 255)
HUGE_TEXT_LIMIT = 200_000  # max_image_bytes the corpus runs with, so "huge" stays cheap to generate


@attrs.frozen
class ImageCase:
    """One liked image and what must happen to it."""

    name: str
    make: Callable[[], bytes | str]
    outcome: str
    reason: str = ""  # SKIPPED: text the skip reason must contain
    pixel: tuple[int, int, int] | None = None  # DECODED: colour at `at`, within tolerance
    at: tuple[float, float] = (0.5, 0.5)  # where to look, as fractions of (height, width)


@attrs.frozen
class UserCase:
    """One user id and what must happen to a run for it."""

    name: str
    user_id: str
    outcome: str
    error: type[Exception] | None = None
    by_source: dict[str, type[Exception]] = attrs.field(factory=dict)  # where a source differs


def encoded(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def solid_png(colour=RED, size=(24, 24)) -> bytes:
    return encoded(Image.new("RGB", size, colour), "PNG")


def png_chunk(kind: bytes, payload: bytes, crc: int | None = None) -> bytes:
    """One PNG chunk: length, type, payload, CRC (the correct one unless given)."""
    crc = zlib.crc32(kind + payload) if crc is None else crc
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def raw_png(width: int, height: int, rows: Callable[[], bytes], bit_depth=8, colour_type=2) -> bytes:
    """A PNG built chunk by chunk, its pixel rows streamed through zlib (so huge images cost little)."""
    header = struct.pack(">IIBBBBB", width, height, bit_depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", rows()) + png_chunk(b"IEND", b"")


def decompression_bomb() -> bytes:
    """A 30 000 × 30 000 black 1-bit PNG: about 30 KB stored, 2.7 GB once decoded as RGB."""
    def rows() -> bytes:
        compressor = zlib.compressobj(9)
        row = b"\x00" * (1 + 30_000 // 8 + 1)
        return b"".join(compressor.compress(row) for _ in range(30_000)) + compressor.flush()

    return raw_png(30_000, 30_000, rows, bit_depth=1, colour_type=0)


def bad_crc_png() -> bytes:
    """A valid PNG whose IDAT checksum is wrong (a bit flipped in storage)."""
    data = solid_png(GREEN)
    idat = data.index(b"IDAT")
    length = struct.unpack(">I", data[idat - 4 : idat])[0]
    crc_at = idat + 4 + length
    return data[:crc_at] + bytes([data[crc_at] ^ 0xFF]) + data[crc_at + 1 :]


def cmyk_jpeg() -> bytes:
    return encoded(Image.new("CMYK", (24, 24), (0, 255, 255, 0)), "JPEG", quality=95)  # pure red ink


def png_16bit() -> bytes:
    pixels = np.full((24, 24), 40000, dtype=np.uint16)
    return encoded(Image.fromarray(pixels), "PNG")  # uint16 → Pillow's 16-bit greyscale mode


def palette_with_transparency() -> bytes:
    image = Image.new("P", (24, 24), 0)
    image.putpalette([*BLUE, *RED] + [0] * 762)
    image.paste(1, (0, 0, 24, 12))
    return encoded(image, "PNG", transparency=1)  # top half transparent → white, bottom half blue


def grey_with_alpha() -> bytes:
    image = Image.new("LA", (24, 24), (90, 255))
    return encoded(image, "PNG")


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (24, 24), colour) for colour in (GREEN, RED, BLUE)]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def exif_rotated_jpeg() -> bytes:
    """Stored 40×20 (blue left half, red right half) with orientation 6: upright it is 20×40, red at the bottom."""
    image = Image.new("RGB", (40, 20), BLUE)
    image.paste(RED, (20, 0, 40, 20))
    exif = image.getexif()
    exif[0x0112] = 6
    return encoded(image, "JPEG", exif=exif.tobytes(), quality=95)


def heic_like() -> bytes:
    """An ISO-BMFF 'ftyp heic' header, as an iPhone photo begins: a format Pillow cannot read."""
    return struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00mif1heic" + b"\x00" * 64


def data_url(data: bytes, mime: str = "image/png") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


IMAGE_CASES: tuple[ImageCase, ...] = (
    ImageCase("png", lambda: solid_png(RED), DECODED, pixel=RED),
    ImageCase("data_url_png", lambda: data_url(solid_png(GREEN)), DECODED, pixel=GREEN),
    ImageCase("plain_base64", lambda: base64.b64encode(solid_png(BLUE)).decode(), DECODED, pixel=BLUE),
    ImageCase("urlsafe_base64_wrapped", lambda: base64.urlsafe_b64encode(solid_png(RED)).decode().rstrip("=")
              .replace("A", "A\n", 3), DECODED, pixel=RED),
    ImageCase("truncated_png", lambda: solid_png(RED, (64, 64))[:60], SKIPPED, reason="not an image"),
    ImageCase("png_bad_crc", bad_crc_png, SKIPPED, reason="checksum"),
    ImageCase("zero_bytes", lambda: b"", SKIPPED, reason="empty image data"),
    ImageCase("text_named_png", lambda: b"these are not the pixels you are looking for\n", SKIPPED,
              reason="not an image"),
    ImageCase("base64_invalid_chars", lambda: "iVBORw0KGgo$$$$not*base64!!", SKIPPED, reason="not an image"),
    ImageCase("data_url_wrong_mime", lambda: data_url(solid_png(), "text/plain"), SKIPPED,
              reason="MIME type 'text/plain'"),
    ImageCase("data_url_no_payload", lambda: "data:image/png;base64,", SKIPPED, reason="no payload"),
    ImageCase("data_url_not_base64", lambda: "data:image/png,rawtext", SKIPPED, reason="not base64"),
    ImageCase("decompression_bomb", decompression_bomb, SKIPPED, reason="too large"),
    ImageCase("huge_base64_text", lambda: "A" * (HUGE_TEXT_LIMIT + 4), SKIPPED, reason="larger than"),
    ImageCase("one_pixel", lambda: solid_png(GREEN, (1, 1)), DECODED, pixel=GREEN),
    ImageCase("extreme_aspect", lambda: solid_png(BLUE, (3000, 3)), DECODED, pixel=BLUE),
    ImageCase("cmyk_jpeg", cmyk_jpeg, DECODED, pixel=(255, 0, 0)),
    ImageCase("png_16bit_grey", png_16bit, DECODED, pixel=(156, 156, 156)),
    ImageCase("palette_transparency", palette_with_transparency, DECODED, pixel=BLUE, at=(0.85, 0.5)),
    ImageCase("palette_transparent_half", palette_with_transparency, DECODED, pixel=WHITE, at=(0.15, 0.5)),
    ImageCase("greyscale", lambda: encoded(Image.new("L", (24, 24), 128), "PNG"), DECODED, pixel=(128, 128, 128)),
    ImageCase("grey_alpha_LA", grey_with_alpha, DECODED, pixel=(90, 90, 90)),
    ImageCase("animated_gif_first_frame", animated_gif, DECODED, pixel=GREEN),
    ImageCase("exif_rotated_jpeg", exif_rotated_jpeg, DECODED, pixel=RED, at=(0.9, 0.5)),
    ImageCase("webp", lambda: encoded(Image.new("RGB", (24, 24), RED), "WEBP", lossless=True), DECODED, pixel=RED),
    ImageCase("bmp", lambda: encoded(Image.new("RGB", (24, 24), GREEN), "BMP"), DECODED, pixel=GREEN),
    ImageCase("heic_like_unknown", heic_like, SKIPPED, reason="not an image"),
    ImageCase("rgba_canvas_transparent", lambda: encoded(Image.new("RGBA", (24, 24), (0, 0, 0, 0)), "PNG"),
              DECODED, pixel=WHITE),
)

USER_CASES: tuple[UserCase, ...] = (
    UserCase("nul_byte", "ali\x00ce", REJECTED, ConfigError),
    UserCase("empty", "", REJECTED, ConfigError),
    UserCase("dot_dot_slash", "../alice", REJECTED, NoImagesError, by_source={"dir": ConfigError}),
    UserCase("sql_injection", "alice'); DROP TABLE tbl_save_image; --", REJECTED, NoImagesError),
    UserCase("unicode", "アリス-émilie-🙂", DECODED),
)
