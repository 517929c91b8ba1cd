"""Encoded test images built in memory: valid oddities and broken files."""

import io
import struct
import zlib

import numpy as np
from PIL import Image


def png_bytes(rgba: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    return buf.getvalue()


def jpeg_bytes(rgba: np.ndarray, quality: int) -> bytes:
    """The RGB of an image as a JPEG of the given quality (1-95)."""
    buffer = io.BytesIO()
    Image.fromarray(rgba[..., :3]).save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def jpeg_pixels_logo(side: int = 192) -> np.ndarray:
    """A generated flat-colour logo after a JPEG round trip, as RGBA pixels: a hard case for the router
    (its labels: a JPEG copy passed as pixels reaches 0.99 in no cheaper tier), which the pipeline does
    not clean up at 192 px (its noise stays under the damage estimate's threshold)."""
    from bench.synthetic import jpeg_degrade, shapes_logo

    rgba = shapes_logo(np.random.default_rng(0), side)
    return np.asarray(Image.open(io.BytesIO(jpeg_degrade(rgba, np.random.default_rng(0)))).convert("RGBA"))


def huge_header_png(width: int = 100_000, height: int = 100_000) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    body = chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def animated(fmt: str) -> bytes:
    frames = [Image.new("RGBA", (32, 32), c) for c in ((255, 0, 0, 255), (0, 0, 255, 255))]
    buf = io.BytesIO()
    frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buf.getvalue()


def gray16() -> bytes:
    arr = np.zeros((32, 32), np.uint16)
    arr[8:24, 8:24] = 65535
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    return buf.getvalue()


def cmyk_jpeg() -> bytes:
    buf = io.BytesIO()
    im = Image.new("CMYK", (32, 32), (0, 0, 0, 0))
    im.paste((255, 0, 0, 0), (8, 8, 24, 24))
    im.save(buf, "JPEG")
    return buf.getvalue()


def ico_bytes(frames: list[bytes]) -> bytes:
    """An ICO file whose directory points at `frames` (PNG files), its entries saying 16 x 16 whatever
    the frames hold."""
    header = struct.pack("<HHH", 0, 1, len(frames))
    offset = len(header) + 16 * len(frames)
    entries, body = b"", b""
    for frame in frames:
        entries += struct.pack("<BBBBHHII", 16, 16, 0, 0, 1, 32, len(frame), offset + len(body))
        body += frame
    return header + entries + body


def favicon_ico(rgba: np.ndarray) -> bytes:
    """`rgba` saved by Pillow as an ICO with a 16 x 16 frame beside it."""
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "ICO", sizes=[(16, 16), rgba.shape[1::-1]])
    return buf.getvalue()


def avif_bytes(rgba: np.ndarray, quality: int = 90) -> bytes:
    """`rgba` as an AVIF (Pillow's plugin, lossy at `quality`)."""
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "AVIF", quality=quality)
    return buf.getvalue()
