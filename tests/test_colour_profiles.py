"""Embedded colour profiles (shared/colour_profiles.py): an image's colours are read in sRGB, whatever
space its file declares."""

import json
import re
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from cli.main import app
from shared.images import decode_image
from shared.pipeline import convert_bytes
from tests.image_files import DISPLAY_P3, matrix_icc_profile, png_bytes

# sRGB's colorants adapted to D50, as its ICC profiles store them (columns: red, green, blue)
SRGB_D50 = np.array([(0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)]).T
P3_D50 = np.array([(0.5151, 0.2412, -0.0011), (0.2919, 0.6922, 0.0419), (0.1571, 0.0666, 0.7841)]).T


def p3_in_srgb(rgb: tuple[int, int, int]) -> np.ndarray:
    """A Display P3 colour (2.2 gamma, as DISPLAY_P3 has it) in sRGB by the colorimetry itself: linear
    P3 to XYZ, XYZ to linear sRGB, clipped to its gamut, sRGB's transfer curve."""
    linear = np.linalg.solve(SRGB_D50, P3_D50 @ ((np.array(rgb) / 255.0) ** 2.2)).clip(0, 1)
    encoded = np.where(linear <= 0.0031308, 12.92 * linear, 1.055 * linear ** (1 / 2.4) - 0.055)
    return np.round(encoded * 255)


def swatches() -> np.ndarray:
    """Four 8x8 swatches in a row, the last one half transparent."""
    rgba = np.zeros((8, 32, 4), np.uint8)
    for k, colour in enumerate([(200, 60, 40, 255), (40, 160, 90, 255), (128, 128, 128, 255),
                                (10, 20, 200, 128)]):
        rgba[:, 8 * k : 8 * k + 8] = colour
    return rgba


def test_a_display_p3_png_is_read_in_srgb_with_its_alpha() -> None:
    image = decode_image(png_bytes(swatches(), DISPLAY_P3))
    for k, colour in enumerate([(200, 60, 40), (40, 160, 90), (128, 128, 128), (10, 20, 200)]):
        got = image.rgba[4, 8 * k + 4]
        assert np.abs(got[:3].astype(int) - p3_in_srgb(colour)).max() <= 1, (colour, got)
    assert image.rgba[4, 4].tolist()[:3] != [200, 60, 40]  # a P3 red is a more saturated sRGB red
    assert image.rgba[..., 3].tolist() == swatches()[..., 3].tolist()
    assert image.notes == ("colours converted to sRGB from the embedded profile 'Display P3 (test)'",)


def test_srgb_profiles_broken_profiles_and_none_leave_the_pixels_as_they_are() -> None:
    plain = decode_image(png_bytes(swatches()))
    srgb = matrix_icc_profile("sRGB IEC61966-2.1 (test)", *map(tuple, SRGB_D50.T), 2.2)
    for data in (png_bytes(swatches(), srgb), png_bytes(swatches(), b"not a profile" * 10)):
        image = decode_image(data)
        assert image.rgba.tolist() == plain.rgba.tolist() and image.notes == ()
    assert plain.notes == ()


def test_a_conversion_draws_the_srgb_colour_and_says_so(tmp_path: Path) -> None:
    rgba = np.full((64, 64, 4), 255, np.uint8)
    rgba[16:48, 16:48, :3] = (200, 60, 40)
    data = png_bytes(rgba, DISPLAY_P3)
    result = convert_bytes(data, tier=1)
    fills = {tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))
             for h in re.findall(r'fill="#([0-9a-f]{6})"', result.svg, re.IGNORECASE)}
    expected = p3_in_srgb((200, 60, 40))
    assert any(np.abs(np.array(f) - expected).max() <= 2 for f in fills), fills
    assert any("Display P3 (test)" in note for note in result.notes)
    src = tmp_path / "p3.png"
    src.write_bytes(data)
    res = CliRunner().invoke(app, ["convert", str(src), "-o", str(tmp_path / "p3.svg"), "--tier", "1",
                                   "--json"])
    assert res.exit_code == 0, res.output
    assert any("sRGB" in note for note in json.loads(res.stdout)["notes"])
