"""Safe decoding of untrusted image bytes to RGBA arrays.

Format is detected from content, never from a name. Size limits are checked on the header, before any
pixel is decoded, so a decompression bomb costs nothing (an ICO's frames too: each frame's own PNG or
bitmap header is read, since Pillow decodes the largest frame as it opens the file). A favicon's ICO
gives its largest frame. AVIF is read through Pillow's own plugin (libavif, which has its own size
limit too). Every failure is an `InputImageError` whose message can be shown to a user as it is.
"""

import hashlib
import io
import os
import re
import struct
import warnings
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from shared.colour_profiles import in_srgb
from shared.config import Settings, get_settings
from shared.errors import InputImageError

ACCEPTED_FORMATS: frozenset[str] = frozenset({"PNG", "JPEG", "WEBP", "AVIF", "GIF", "ICO"})
_UNSUPPORTED = "not a supported image (PNG, JPEG, WebP, AVIF, GIF or ICO)"
_CORRUPT = "the image data is corrupt or truncated"
_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (_PNG_MAGIC, 0, "PNG"),
    (b"\xff\xd8\xff", 0, "JPEG"),
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
    (b"WEBP", 8, "WEBP"),
    (b"ftypavif", 4, "AVIF"),
    (b"ftypavis", 4, "AVIF"),  # an animated AVIF: its first frame
    (b"\x00\x00\x01\x00", 0, "ICO"),
)


@dataclass(frozen=True)
class DecodedImage:
    """An image ready for tracing: HxWx4 uint8, straight alpha, C-contiguous, in sRGB; `notes` say what
    decoding did to it beyond that (a colour profile converted)."""

    rgba: np.ndarray
    format: str
    sha256: str
    notes: tuple[str, ...] = ()

    @property
    def width(self) -> int:
        return int(self.rgba.shape[1])

    @property
    def height(self) -> int:
        return int(self.rgba.shape[0])

    @property
    def has_alpha(self) -> bool:
        return bool((self.rgba[..., 3] != 255).any())


def sniff_format(data: bytes) -> str | None:
    """The accepted format named by the magic bytes, or None (no decoding is done)."""
    for magic, offset, name in _MAGIC:
        if data[offset : offset + len(magic)] == magic and (name != "WEBP" or data[:4] == b"RIFF"):
            return name
    return None


def _check_size(nbytes: int, settings: Settings) -> None:
    if nbytes == 0:
        raise InputImageError("the file is empty")
    if nbytes > settings.max_upload_bytes:
        limit = settings.max_upload_bytes / 1_048_576
        raise InputImageError(f"the file is larger than the {limit:g} MB limit", too_large=True)


def _check_dimensions(width: int, height: int, settings: Settings) -> None:
    if width < 1 or height < 1:
        raise InputImageError(f"the image has no pixels ({width}x{height})")
    if width > settings.max_side or height > settings.max_side or width * height > settings.max_pixels:
        raise InputImageError(
            f"the image is {width}x{height} pixels; the limit is {settings.max_pixels:,} pixels "
            f"and {settings.max_side} per side",
            too_large=True,
        )


def ico_frame_sizes(data: bytes) -> list[tuple[int, int]]:
    """(width, height) of every frame of an ICO file from the frames' own headers (an embedded PNG's
    IHDR, a bitmap's DIB header, whose height counts the AND mask too), not from the directory, whose
    byte-sized entries say at most 256; a frame whose header lies past the data raises corrupt."""
    sizes = []
    try:
        for index in range(struct.unpack_from("<H", data, 4)[0]):
            offset = struct.unpack_from("<I", data, 6 + 16 * index + 12)[0]
            if data[offset : offset + 8] == _PNG_MAGIC:
                sizes.append(struct.unpack_from(">II", data, offset + 16))
            else:
                width, height = struct.unpack_from("<ii", data, offset + 4)
                sizes.append((abs(width), abs(height) // 2))
    except struct.error as exc:
        raise InputImageError(_CORRUPT) from exc
    if not sizes:
        raise InputImageError(_CORRUPT)
    return sizes


def _bomb_error(exc: Exception, settings: Settings) -> InputImageError:
    """Pillow's own guard (in `Image.open`, for images far over any sane size) in our words."""
    found = re.search(r"\((\d+) pixels\)", str(exc))
    size = f"{int(found.group(1)):,} pixels" if found else "too many pixels"
    return InputImageError(f"the image declares {size}; the limit is {settings.max_pixels:,} pixels",
                           too_large=True)


def _open(data: bytes, settings: Settings) -> Image.Image:
    """Open lazily: only the header is read; pixels are decoded later, after our limits pass."""
    found = sniff_format(data)
    if found is None:
        raise InputImageError(_UNSUPPORTED, unsupported=True)
    if found == "ICO":  # Pillow decodes the largest frame as it opens the file: its size is checked first
        for width, height in ico_frame_sizes(data):
            _check_dimensions(width, height, settings)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb_error(exc, settings) from exc
    except UnidentifiedImageError as exc:
        raise InputImageError(_CORRUPT) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise InputImageError(_CORRUPT) from exc
    return im


def _checked_open(data: bytes, settings: Settings) -> Image.Image:
    """The image opened (`_open`) with every limit checked."""
    _check_size(len(data), settings)
    im = _open(data, settings)
    _check_dimensions(im.width, im.height, settings)
    return im


def read_image_header(data: bytes, settings: Settings | None = None) -> tuple[str, int, int]:
    """(format, width, height) from the header, with every limit checked; no pixels are decoded (but an
    ICO's largest frame, which Pillow decodes as it opens the file once its size has passed)."""
    im = _checked_open(data, settings or get_settings())
    return str(im.format), im.width, im.height


def _to_rgba(im: Image.Image) -> np.ndarray:
    """Any Pillow mode to straight-alpha RGBA uint8; 16-bit and float data scaled, not clipped."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        arr = np.asarray(im, dtype=np.float64)
        peak = 65535.0 if im.mode.startswith("I;16") or arr.max() > 255 else 255.0
        grey = np.clip(arr / peak * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    if im.mode == "F":
        arr = np.asarray(im, dtype=np.float64)
        scale = 255.0 if arr.max() <= 1.0 else 1.0
        grey = np.clip(arr * scale + 0.5, 0, 255).astype(np.uint8)
        return np.dstack([grey, grey, grey, np.full_like(grey, 255)])
    if im.mode == "P" and "transparency" in im.info:
        im = im.convert("RGBA")
    elif im.mode in ("CMYK", "YCbCr", "LAB", "HSV"):
        im = im.convert("RGB")
    return np.ascontiguousarray(np.asarray(im.convert("RGBA"), dtype=np.uint8))


def decode_image(data: bytes, settings: Settings | None = None) -> DecodedImage:
    """Decode the first frame of an accepted image to RGBA, EXIF orientation applied, an embedded colour
    profile's colours converted to sRGB (shared/colour_profiles.py)."""
    settings = settings or get_settings()
    im = _checked_open(data, settings)
    fmt = str(im.format)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im.seek(0)
            im.load()
            im = ImageOps.exif_transpose(im) or im
            im, profile = in_srgb(im)
            rgba = _to_rgba(im)
    except InputImageError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _bomb_error(exc, settings) from exc
    except (OSError, SyntaxError, ValueError, EOFError, struct.error) as exc:
        raise InputImageError(_CORRUPT) from exc
    notes = (f"colours converted to sRGB from the embedded profile '{profile}'",) if profile else ()
    return DecodedImage(rgba=rgba, format=fmt, sha256=hashlib.sha256(data).hexdigest(), notes=notes)


def read_limited(stream: BinaryIO, settings: Settings | None = None) -> bytes:
    """At most the upload limit plus one byte of `stream` (a file, standard input): decoding then
    reports an input over the limit without the whole of it in memory."""
    return stream.read((settings or get_settings()).max_upload_bytes + 1)


def load_image(path: str | os.PathLike[str], settings: Settings | None = None) -> DecodedImage:
    """Read at most the upload limit (+1 byte, to detect overflow) from `path` and decode it."""
    settings = settings or get_settings()
    try:
        with open(path, "rb") as fh:
            data = read_limited(fh, settings)
    except FileNotFoundError:
        raise InputImageError(f"no such file: {path}") from None
    except IsADirectoryError:
        raise InputImageError(f"{path} is a folder, not an image file") from None
    except OSError as exc:
        raise InputImageError(f"cannot read {path}: {exc.strerror}") from None
    return decode_image(data, settings)


def encode_png(rgba: np.ndarray) -> bytes:
    """PNG bytes of an RGBA uint8 array (fast compression: for tests and difference images)."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba), "RGBA").save(buf, "PNG", compress_level=1)
    return buf.getvalue()
