"""The difference map: zero where the SVG matches, located where it does not."""

import io

import numpy as np
import pytest
from PIL import Image

from shared import diffmap
from shared.diffmap import difference, heat_map, heat_map_png
from shared.quality import measure

SQUARE = ('<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20" viewBox="0 0 20 20">'
          '<path d="M0,0H20V20H0Z" fill="#FF0000"/></svg>')


def red_square() -> np.ndarray:
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[...] = (255, 0, 0, 255)
    return rgba


def test_identical_image_gives_a_zero_map() -> None:
    assert difference(red_square(), SQUARE).max() == 0.0


def test_a_changed_region_is_located_and_transparency_counts() -> None:
    rgba = red_square()
    rgba[5:8, 10:14] = (0, 0, 255, 255)  # blue patch the SVG does not have
    rgba[15:18, 2:4, 3] = 0  # a transparent hole the SVG paints red
    diff = difference(rgba, SQUARE)
    assert np.allclose(diff[5:8, 10:14], 1.0) and np.allclose(diff[15:18, 2:4], 1.0)
    outside = np.ones_like(diff, bool)
    outside[5:8, 10:14] = outside[15:18, 2:4] = False
    assert diff[outside].max() == 0.0


def test_heat_map_is_a_png_of_the_input_size() -> None:
    image = Image.open(io.BytesIO(heat_map_png(red_square(), SQUARE)))
    assert image.format == "PNG" and image.size == (20, 20) and image.mode == "RGB"


def test_bands_do_not_change_the_result(monkeypatch: pytest.MonkeyPatch) -> None:
    rgba = red_square()
    rgba[3:17:2, 4:9] = (0, 128, 0, 90)  # half-transparent stripes across several bands
    whole = difference(rgba, SQUARE)
    monkeypatch.setattr(diffmap, "BAND_ROWS", 3)
    assert np.array_equal(difference(rgba, SQUARE), whole)


def test_units_are_a_fraction_of_full_scale_like_the_figures() -> None:
    rgba = red_square()
    rgba[0, 0] = (255, 0, 0, 128)  # the SVG is opaque: over black the red differs by 127 levels
    assert np.isclose(difference(rgba, SQUARE)[0, 0], 127 / 255, atol=1e-6)
    assert measure(SQUARE, red_square()).ssim == 1.0 and measure(SQUARE, rgba).ssim < 1.0


def test_heat_map_colours_only_the_changed_pixels() -> None:
    rgba = red_square()
    rgba[10, 10] = (255, 255, 255, 255)  # 255 levels off in green and blue: white on the map
    shown = heat_map(rgba, SQUARE)
    assert tuple(shown[10, 10]) == (255, 255, 255)
    grey = round(255 / 3 * diffmap.BACKDROP)  # red over white, as grey, faint
    others = np.delete(shown.reshape(-1, 3), 10 * 20 + 10, axis=0)
    assert (others == grey).all()
