"""Image bytes in and out: decode what sources store, fit faces to the training size, encode PNG and data URLs.

Decoding happens here, once: raw bytes, base64 text or a data URL of any image MIME type that Pillow reads.
"""

from __future__ import annotations

import base64
import binascii
import io
import re

import numpy as np
import pybase64
from PIL import Image, ImageOps, UnidentifiedImageError

from devface_core.choices import FIT_MODES
from devface_core.errors import ConfigError, InvalidImageError
from devface_core.pngfast import PNG_SIGNATURE, plain_png_image, png_chunks

DEFAULT_MAX_PIXELS = 40_000_000
WHITE = (255, 255, 255)
_DATA_URL = re.compile(r"^data:(?P<mime>[^;,]*)(?P<params>(;[^;,]*)*),(?P<payload>.*)$", re.DOTALL)


def image_bytes(data: bytes | str, key: str) -> bytes:
    """Return the encoded image inside raw bytes, base64 text or a data URL."""
    if isinstance(data, bytes) and not _looks_textual(data):
        return data
    text = data.decode("ascii", "replace") if isinstance(data, bytes) else data
    text = text.strip()
    if text.startswith("data:"):
        return _data_url_payload(text, key)
    try:
        return _b64decode(text, key)
    except InvalidImageError:
        if isinstance(data, bytes):
            return data  # text-like raw bytes (a PPM header, say): let Pillow judge them
        raise


def _looks_textual(data: bytes) -> bool:
    """True when bytes are base64 or a data URL rather than an encoded image."""
    head = data[:64].lstrip()
    return head.startswith(b"data:") or bool(head) and re.fullmatch(rb"[A-Za-z0-9+/=_\-\s]+", head) is not None


def _data_url_payload(text: str, key: str) -> bytes:
    """Decode the payload of a base64 data URL whose MIME type is an image."""
    match = _DATA_URL.match(text)
    if match is None:
        raise InvalidImageError(key, "malformed data URL")
    mime = match["mime"].lower()
    if not mime.startswith("image/"):
        raise InvalidImageError(key, f"data URL has MIME type {mime or '(none)'!r}, not image/*")
    if ";base64" not in match["params"].lower():
        raise InvalidImageError(key, "data URL is not base64-encoded")
    if not match["payload"].strip():
        raise InvalidImageError(key, "data URL has no payload")
    return _b64decode(match["payload"], key)


def _b64decode(text: str, key: str) -> bytes:
    """Strict base64 (standard or URL-safe alphabet, whitespace ignored)."""
    try:
        return pybase64.b64decode(text, validate=True)  # the common case: SIMD, about 40× the standard library
    except (binascii.Error, ValueError):
        pass
    compact = re.sub(r"\s+", "", text)
    if "-" in compact or "_" in compact:
        compact = compact.replace("-", "+").replace("_", "/")
    compact += "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidImageError(key, "not an image (neither image bytes nor valid base64)") from None


def decode_image(data: bytes | str, key: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Decode stored image data to an upright RGB Pillow image, or raise InvalidImageError naming `key`."""
    encoded = image_bytes(data, key)
    if not encoded:
        raise InvalidImageError(key, "empty image data")
    if encoded.startswith(PNG_SIGNATURE):
        png_chunks(encoded, key)
    return _decoded_upright(encoded, key, max_pixels)


def _decoded_upright(encoded: bytes, key: str, max_pixels: int) -> Image.Image:
    """Pillow's decode of encoded bytes whose PNG checksums (if any) were already checked, upright RGB."""
    image = _open_checked(encoded, key, max_pixels)
    try:
        image.load()
        if _may_be_rotated(image):
            image = ImageOps.exif_transpose(image)
        return to_rgb(image)
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidImageError(key, f"not an image ({_short(exc)})") from None


def decode_pixels(data: bytes | str, key: str, max_pixels: int = DEFAULT_MAX_PIXELS) -> np.ndarray:
    """Decode stored image data to upright (H, W, 3) uint8 RGB pixels, or raise InvalidImageError naming `key`."""
    encoded = image_bytes(data, key)
    if encoded.startswith(PNG_SIGNATURE):
        image = plain_png_image(encoded, key, max_pixels)  # checks every chunk's checksum on the way
        return to_array(to_rgb(image) if image is not None else _decoded_upright(encoded, key, max_pixels))
    return to_array(decode_image(encoded, key, max_pixels))


def _may_be_rotated(image: Image.Image) -> bool:
    """False when the image surely has no EXIF orientation: parsing EXIF costs more than decoding a small
    PNG, and most liked images have none. TIFF keeps orientation among its own tags, so it is always read."""
    exif = image.info.get("exif")
    return image.format == "TIFF" or bool(exif) and (b"\x12\x01" in exif or b"\x01\x12" in exif)


def _open_checked(encoded: bytes, key: str, max_pixels: int) -> Image.Image:
    """Open lazily and refuse decompression bombs before any pixel is decoded."""
    # Pillow only warns between its limit and twice it; the max_pixels check below refuses those, and
    # no warnings filter is touched here because filters are process-wide and decoding runs in threads.
    try:
        image = Image.open(io.BytesIO(encoded))
    except Image.DecompressionBombError:
        raise InvalidImageError(key, "image too large (decompression bomb)") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise InvalidImageError(key, f"not an image ({_short(exc)})") from None
    width, height = image.size
    if width * height > max_pixels:
        raise InvalidImageError(key, f"image too large ({width}x{height} > {max_pixels} pixels)")
    return image


def image_mime(encoded: bytes, key: str) -> str:
    """The MIME type of encoded image bytes (image/png, image/jpeg, …), or InvalidImageError."""
    image = _open_checked(encoded, key, DEFAULT_MAX_PIXELS)
    return image.get_format_mimetype() or "application/octet-stream"


def _short(exc: Exception) -> str:
    """First line of an exception message, for one-line reports."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return re.sub(r"<_io\.BytesIO object at 0x[0-9a-f]+>", "<bytes>", text).strip()


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to RGB: transparency is composited onto white, 16-bit is scaled, CMYK converted."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        wide = np.asarray(image, dtype=np.uint32)
        image = Image.fromarray((wide >> 8).clip(0, 255).astype(np.uint8), "L")
    # "transparency" on P is a palette's alpha; on RGB and L it is a colour key (PNG's tRNS): both become alpha.
    if image.mode in ("P", "RGB", "L") and "transparency" in image.info or image.mode in ("LA", "La", "PA", "RGBa"):
        image = image.convert("RGBA")
    if image.mode == "RGBA" and image.getchannel("A").getextrema()[0] == 255:
        return image.convert("RGB")  # opaque: nothing to composite, and convert is much cheaper than paste
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, WHITE)
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def fit_image(image: Image.Image, size: int, mode: str = "crop") -> Image.Image:
    """Fit an RGB image into a size×size square by centre `crop`, white `pad` or `stretch`."""
    target = (size, size)
    if mode == "crop":
        return ImageOps.fit(image, target, Image.Resampling.LANCZOS)
    if mode == "pad":
        return ImageOps.pad(image, target, Image.Resampling.LANCZOS, color=WHITE)
    if mode == "stretch":
        return image.resize(target, Image.Resampling.LANCZOS)
    raise ConfigError(f"fit mode {mode!r}: expected one of {', '.join(FIT_MODES)}")


def to_array(image: Image.Image) -> np.ndarray:
    """An RGB image as a (H, W, 3) uint8 array."""
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def resize_array(pixels: np.ndarray, width: int, height: int) -> Image.Image:
    """A (H, W, 3) uint8 array resized to width×height with a high-quality filter."""
    return Image.fromarray(pixels, "RGB").resize((width, height), Image.Resampling.LANCZOS)


def resized_faces(faces: np.ndarray, side: int) -> np.ndarray:
    """uint8 faces (N, S, S, 3) resized to side×side by resize_array's filter, as uint8 (N, side, side, 3)."""
    return np.stack([to_array(resize_array(face, side, side)) for face in faces])


def encode_png(image: Image.Image | np.ndarray) -> bytes:
    """PNG bytes for an image or a uint8 array (deterministic: same pixels, same bytes)."""
    if isinstance(image, np.ndarray):
        image = Image.fromarray(image)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=False)
    return buffer.getvalue()


def to_base64(data: bytes) -> str:
    """Standard base64 text of some bytes."""
    return base64.b64encode(data).decode("ascii")


def to_data_url(data: bytes, mime: str = "image/png") -> str:
    """A `data:<mime>;base64,…` URL for some encoded image bytes."""
    return f"data:{mime};base64,{to_base64(data)}"
