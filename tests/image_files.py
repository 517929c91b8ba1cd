"""Encoded test images built in memory: valid oddities and broken files."""

import io
import struct
import zlib

import numpy as np
from PIL import Image


def png_bytes(rgba: np.ndarray, icc_profile: bytes | None = None) -> bytes:
    """An RGBA image as a PNG, with `icc_profile` embedded where given."""
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG", **({"icc_profile": icc_profile} if icc_profile else {}))
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


def matrix_icc_profile(description: str, red: tuple[float, float, float], green: tuple[float, float, float],
                       blue: tuple[float, float, float], gamma: float) -> bytes:
    """An ICC v2 RGB display profile (matrix and gamma curves) built byte by byte: the colorants are the
    primaries' XYZ adapted to D50, as ICC profiles store them."""

    def s15(v: float) -> bytes:  # s15Fixed16Number
        return struct.pack(">i", round(v * 65536))

    def xyz(v: tuple[float, float, float]) -> bytes:
        return b"XYZ \0\0\0\0" + b"".join(s15(c) for c in v)

    def padded(body: bytes) -> bytes:
        return body + b"\0" * (-len(body) % 4)

    ascii_name = description.encode() + b"\0"
    desc = padded(b"desc\0\0\0\0" + struct.pack(">I", len(ascii_name)) + ascii_name + b"\0" * 78)
    curve = b"curv\0\0\0\0" + struct.pack(">IH", 1, round(gamma * 256)) + b"\0\0"
    d50 = (0.9642, 1.0, 0.8249)
    tags = [(b"desc", desc), (b"cprt", padded(b"text\0\0\0\0none\0")), (b"wtpt", xyz(d50)),
            (b"rXYZ", xyz(red)), (b"gXYZ", xyz(green)), (b"bXYZ", xyz(blue)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    first = 128 + 4 + 12 * len(tags)
    table, data = b"", b""
    for signature, body in tags:
        table += signature + struct.pack(">II", first + len(data), len(body))
        data += body
    header = (struct.pack(">I", first + len(data)) + b"\0" * 4 + struct.pack(">I", 0x02100000)
              + b"mntrRGB XYZ " + b"\0" * 12 + b"acsp" + b"\0" * 28 + b"".join(s15(c) for c in d50)
              + b"\0" * 48)
    return header + struct.pack(">I", len(tags)) + table + data


DISPLAY_P3 = matrix_icc_profile("Display P3 (test)", (0.5151, 0.2412, -0.0011), (0.2919, 0.6922, 0.0419),
                                (0.1571, 0.0666, 0.7841), 2.2)
"""Display P3's primaries and white (D65, stored adapted to D50) with a 2.2 gamma curve."""

