import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from shared.config import Settings
from shared.errors import InputImageError
from shared.images import decode_image, load_image, read_image_header, sniff_format
from tests.conftest import disc
from tests.image_files import (
    animated,
    avif_bytes,
    cmyk_jpeg,
    favicon_ico,
    gray16,
    huge_header_png,
    ico_bytes,
    png_bytes,
)


def encoded(im: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def test_png_round_trip_keeps_pixels_and_hash() -> None:
    rgba = disc()
    image = decode_image(png_bytes(rgba))
    assert image.format == "PNG" and np.array_equal(image.rgba, rgba) and image.has_alpha
    assert image.rgba.flags.c_contiguous and len(image.sha256) == 64


@pytest.mark.parametrize(
    ("data", "flag", "fragment"),
    [
        (b"", None, "empty"),
        (b"hello, not an image", "unsupported", "PNG, JPEG, WebP, AVIF, GIF or ICO"),
        (png_bytes(disc())[:200], None, "corrupt"),
        (encoded(Image.new("RGB", (8, 8)), "BMP"), "unsupported", "not a supported image"),
        (encoded(Image.new("RGB", (8, 8)), "TIFF"), "unsupported", "not a supported image"),
    ],
)
def test_bad_bytes_raise_one_readable_error(data: bytes, flag: str | None, fragment: str) -> None:
    with pytest.raises(InputImageError) as info:
        decode_image(data)
    assert fragment in str(info.value)
    assert info.value.unsupported == (flag == "unsupported") and not info.value.too_large


def test_bomb_header_is_refused_before_decoding() -> None:
    t0 = time.perf_counter()
    with pytest.raises(InputImageError) as info:
        decode_image(huge_header_png())
    assert info.value.too_large and "10,000,000,000 pixels" in str(info.value)
    assert time.perf_counter() - t0 < 1.0  # a guard, not a benchmark: decoding would allocate 40 GB


def test_pixel_and_byte_limits_come_from_settings() -> None:
    data = png_bytes(disc(64))
    with pytest.raises(InputImageError, match="limit") as info:
        decode_image(data, Settings(max_pixels=64 * 63))
    assert info.value.too_large
    with pytest.raises(InputImageError, match="MB limit") as info:
        decode_image(data, Settings(max_upload_bytes=len(data) - 1))
    assert info.value.too_large
    assert read_image_header(data) == ("PNG", 64, 64)


def test_first_frame_of_animations() -> None:
    for fmt in ("GIF", "WEBP"):
        image = decode_image(animated(fmt))
        assert image.format == fmt
        r, _, b, a = image.rgba[16, 16]
        assert r > 200 and b < 60 and a == 255


def test_ico_gives_its_largest_frame_with_alpha() -> None:
    big, small = disc(48), disc(16, 6.0)
    data = favicon_ico(big)
    image = decode_image(data)
    assert image.format == "ICO" and (image.width, image.height) == (48, 48) and image.has_alpha
    assert np.abs(image.rgba.astype(int) - big.astype(int)).max() <= 1
    bitmap = io.BytesIO()
    Image.fromarray(small, "RGBA").save(bitmap, "ICO", sizes=[(16, 16)], bitmap_format="bmp")
    image = decode_image(bitmap.getvalue())
    assert (image.width, image.height) == (16, 16) and image.rgba[0, 0, 3] == small[0, 0, 3]
    assert sniff_format(data) == "ICO" and read_image_header(data) == ("ICO", 48, 48)


def test_avif_decodes_with_its_alpha() -> None:
    rgba = disc(48)
    data = avif_bytes(rgba)
    image = decode_image(data)
    assert image.format == "AVIF" and sniff_format(data) == "AVIF" and (image.width, image.height) == (48, 48)
    assert image.rgba[0, 0, 3] == 0 and image.rgba[24, 24, 3] == 255
    assert np.abs(image.rgba[24, 24, :3].astype(int) - rgba[24, 24, :3]).max() <= 8  # lossy
    assert sniff_format(b"\0\0\0\x18ftypheic") is None  # HEIC is no AVIF


def test_ico_frame_bomb_is_refused_before_decoding() -> None:
    """The directory says 16 x 16; the embedded PNG declares 100,000 x 100,000 (or, within Pillow's own
    guard, 5,000 x 5,000, over our 4096 x 4096 pixel limit): refused on the frame's header."""
    for width in (100_000, 5_000):
        with pytest.raises(InputImageError, match="limit") as info:
            decode_image(ico_bytes([png_bytes(disc(16)), huge_header_png(width, width)]))
        assert info.value.too_large
    with pytest.raises(InputImageError, match="corrupt"):
        decode_image(ico_bytes([b"\x89PNG\r\n\x1a\n"]))  # a frame cut short of its header
    with pytest.raises(InputImageError, match="corrupt"):
        decode_image(b"\x00\x00\x01\x00")


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    image = decode_image(gray16())
    assert image.rgba[16, 16, 0] == 255 and image.rgba[0, 0, 0] == 0
    arr = np.full((4, 4), 32768, np.uint16)
    assert abs(int(decode_image(encoded(Image.fromarray(arr), "PNG")).rgba[0, 0, 0]) - 128) <= 1


def test_cmyk_jpeg_becomes_rgb() -> None:
    image = decode_image(cmyk_jpeg())
    r, g, b, _ = (int(v) for v in image.rgba[16, 16])
    assert r < 60 and g > 200 and b > 200  # pure cyan


def test_palette_transparency_is_kept() -> None:
    im = Image.new("P", (8, 8), 0)
    im.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    im.paste(1, (0, 0, 4, 8))
    image = decode_image(encoded(im, "PNG", transparency=0))
    assert image.rgba[0, 0, 3] == 255 and image.rgba[0, 7, 3] == 0


def test_exif_orientation_is_applied() -> None:
    im = Image.new("RGB", (40, 20), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    image = decode_image(encoded(im, "JPEG", exif=exif.tobytes()))
    assert (image.width, image.height) == (20, 40)


def test_format_comes_from_content_not_name(tmp_path: Path) -> None:
    path = tmp_path / "really_a_png.jpg"
    path.write_bytes(png_bytes(disc()))
    assert load_image(path).format == "PNG"
    assert sniff_format(path.read_bytes()) == "PNG" and sniff_format(b"GIF89a...") == "GIF"
    assert sniff_format(b"RIFF\0\0\0\0WEBPVP8 ") == "WEBP" and sniff_format(b"<svg/>") is None


def test_load_image_errors_name_the_path(tmp_path: Path) -> None:
    with pytest.raises(InputImageError, match="no such file"):
        load_image(tmp_path / "missing.png")
    with pytest.raises(InputImageError, match="folder"):
        load_image(tmp_path)


def test_degenerate_but_valid_images() -> None:
    assert decode_image(png_bytes(np.zeros((1, 1, 4), np.uint8))).rgba.shape == (1, 1, 4)
    transparent = decode_image(png_bytes(np.zeros((8, 8, 4), np.uint8)))
    assert transparent.has_alpha and not transparent.rgba[..., 3].any()
