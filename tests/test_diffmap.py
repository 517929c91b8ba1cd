"""The difference map: zero where the SVG matches, located where it does not."""

import io

import numpy as np
from PIL import Image

from shared.diffmap import difference, heat_map_png

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
