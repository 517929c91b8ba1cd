"""Flat fills measured away from the edges (shared/interior_fills.py)."""

import re
from dataclasses import replace

import numpy as np

from shared.geometry import Drawing
from shared.interior_fills import interior_fills
from shared.paint import Gradient, Stop
from shared.pipeline import convert


def anti_aliased_disc(size: int, radius: float, fg: tuple[int, int, int],
                      bg: tuple[int, int, int]) -> np.ndarray:
    """An opaque disc of `fg` on `bg`, edges anti-aliased by 4x4 supersampled coverage."""
    yy, xx = np.mgrid[0:size, 0:size] + 0.5
    coverage = np.zeros((size, size))
    for dy in (np.arange(4) + 0.5) / 4 - 0.5:
        for dx in (np.arange(4) + 0.5) / 4 - 0.5:
            coverage += (xx + dx - size / 2) ** 2 + (yy + dy - size / 2) ** 2 <= radius * radius
    coverage = coverage[..., None] / 16
    rgb = np.round(np.array(bg) * (1 - coverage) + np.array(fg) * coverage).astype(np.uint8)
    return np.dstack([rgb, np.full((size, size), 255, np.uint8)])


def fills(svg: str) -> list[str]:
    return re.findall(r'fill="(#[0-9A-Fa-f]{6})"', svg)


def test_a_small_highlight_keeps_its_own_colour() -> None:
    """The engine averages a 5 px white disc with its anti-aliased rim (#F4F4F4 before this step)."""
    result = convert(anti_aliased_disc(64, 5.0, (255, 255, 255), (0, 0, 0)), tier=1)
    assert fills(result.svg) == ["#000000", "#FFFFFF"]
    assert result.figures.ssim >= 0.999


def test_colours_are_the_inputs_own() -> None:
    result = convert(anti_aliased_disc(96, 10.0, (250, 200, 30), (20, 40, 120)), tier=1)
    assert sorted(fills(result.svg)) == ["#142878", "#FAC81E"]


def squares(fills: tuple[str, ...], inner: tuple[int, int, int, int]) -> Drawing:
    """A 32 px ground (shape 0) with a square (shape 1) over it at `inner` = x0, y0, x1, y1."""
    x0, y0, x1, y1 = inner
    vertices = np.array([[0, 0], [32, 0], [32, 32], [0, 32], [x0, y0], [x1, y0], [x1, y1], [x0, y1]], float)
    return Drawing(32, 32, fills, vertices, np.array([0, 4, 8]), np.array([0, 1]), view=(32.0, 32.0))


def two_colour_image(inner: tuple[int, int, int, int]) -> np.ndarray:
    rgba = np.zeros((32, 32, 4), np.uint8)
    rgba[..., 3] = 255
    x0, y0, x1, y1 = inner
    rgba[y0:y1, x0:x1, :3] = (240, 20, 60)
    return rgba


def test_each_flat_shape_takes_the_median_of_its_inner_pixels() -> None:
    inner = (8, 8, 24, 24)
    out = interior_fills(squares(("#101010", "#E01E40"), inner), two_colour_image(inner))
    assert out.fills == ("#000000", "#F0143C")


def test_gradients_translucent_and_tiny_shapes_keep_their_paint() -> None:
    inner = (8, 8, 24, 24)
    image = two_colour_image(inner)
    gradient = Gradient("linear", (8.0, 8.0, 24.0, 8.0), (Stop(0.0, "#E01E40"), Stop(1.0, "#F0143C")))
    painted = squares(("#101010", "#E01E40"), inner)
    assert interior_fills(replace(painted, paints={1: gradient}), image).fills[1] == "#E01E40"
    assert interior_fills(replace(painted, opacity={1: 0.5}), image).fills[1] == "#E01E40"
    tiny = (14, 14, 18, 18)  # 4 x 4 px: no pixel lies 2 px inside it
    assert interior_fills(squares(("#101010", "#E01E40"), tiny), two_colour_image(tiny)).fills[1] == "#E01E40"


def test_partly_transparent_pixels_do_not_count() -> None:
    inner = (8, 8, 24, 24)
    image = two_colour_image(inner)
    image[..., 3] = 0  # the ground is transparent: shape 0 shows no opaque pixel
    image[8:24, 8:24, 3] = 255
    out = interior_fills(squares(("#101010", "#E01E40"), inner), image)
    assert out.fills == ("#101010", "#F0143C")


def test_a_thin_bar_takes_the_colour_one_pixel_inside_it() -> None:
    """A 4 px bar has no pixel 2 px inside it; its two middle rows are its own colour (a chart's
    gridlines were drawn #DEE5E5 for #DCE2E2)."""
    bar = (4, 14, 28, 18)
    image = two_colour_image(bar)
    image[13, 4:28, :3] = image[18, 4:28, :3] = (128, 17, 30)  # anti-aliased rows beside it
    assert interior_fills(squares(("#000000", "#E01E40"), bar), image).fills[1] == "#F0143C"
