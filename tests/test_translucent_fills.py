"""Translucent fills (shared/translucency.py): shapes of partial alpha over transparency are traced as
shapes of their own and written with their `fill-opacity`; opaque and merely anti-aliased images are
traced as before."""

import re

import numpy as np
import pytest

from shared.candidate import evaluate
from shared.edge_profiles import fill_colours
from shared.features import compute_features
from shared.geometry import Drawing, merge_consecutive_fills
from shared.params import StepParams
from shared.pipeline import convert
from shared.preprocess import prepare_layers
from shared.quality import measure
from shared.render import render_svg
from shared.svg import write_svg
from shared.tiers.tier1 import formula_params

SIDE = 256
OPACITY = re.compile(r'fill="(#[0-9A-Fa-f]{3,6})" fill-opacity="([.\d]+)"')


def coverage(mask_fn, side: int = SIDE, ss: int = 4) -> np.ndarray:
    """Anti-aliased coverage (0-1) of the region where `mask_fn(x, y)` holds, by 4x4 supersampling."""
    yy, xx = (np.mgrid[: side * ss, : side * ss] + 0.5) / ss
    return mask_fn(xx, yy).reshape(side, ss, side, ss).mean(axis=(1, 3))


def over(image: np.ndarray, colour: tuple[int, int, int], cover: np.ndarray, alpha: float) -> np.ndarray:
    """`image` (straight RGBA uint8) with a layer of `colour` at `alpha` times `cover` painted over it."""
    src_a = cover * alpha
    dst = image.astype(float) / 255.0
    out_a = src_a + dst[..., 3] * (1 - src_a)
    rgb = np.array(colour) / 255.0 * src_a[..., None] + dst[..., :3] * dst[..., 3:4] * (1 - src_a[..., None])
    rgb = np.where(out_a[..., None] > 0, rgb / np.maximum(out_a[..., None], 1e-9), 0.0)
    return np.round(np.dstack([rgb, out_a]) * 255).astype(np.uint8)


def blank() -> np.ndarray:
    return np.zeros((SIDE, SIDE, 4), np.uint8)


def disc(cx: float, cy: float, r: float) -> np.ndarray:
    return coverage(lambda x, y: np.hypot(x - cx, y - cy) < r)


def box(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    return coverage(lambda x, y: (x >= x0) & (x < x1) & (y >= y0) & (y < y1))


def tier1_svg(rgba: np.ndarray) -> str:
    return evaluate(rgba, formula_params(compute_features(rgba)), compare_unrefined=False).svg


def opacities(svg: str) -> list[tuple[str, float]]:
    return [(colour, float(value)) for colour, value in OPACITY.findall(svg)]


def test_a_40_percent_disc_is_one_shape_at_its_opacity() -> None:
    rgba = over(blank(), (40, 90, 200), disc(128, 128, 80), 0.4)
    svg = tier1_svg(rgba)
    found = opacities(svg)
    assert len(found) == 1 and abs(found[0][1] - 0.4) <= 0.03
    colour = found[0][0].lstrip("#")
    rgb = [int(colour[i : i + 2], 16) for i in (0, 2, 4)]
    assert np.abs(np.array(rgb) - [40, 90, 200]).max() <= 4
    assert len(re.findall(r"<(?:path|circle|ellipse|rect)\b", svg)) == 1
    assert measure(svg, rgba).ssim > 0.99


def test_a_70_percent_disc_beside_an_opaque_square_keeps_both() -> None:
    """Through the pipeline (the image's peak alpha is 255, so no whole-image opacity applies): the
    70 % disc was drawn opaque before."""
    rgba = over(over(blank(), (20, 20, 20), box(20, 20, 90, 90), 1.0), (200, 40, 40), disc(170, 170, 60), 0.7)
    result = convert(rgba, tier=1)
    found = opacities(result.svg)
    assert len(found) == 1 and abs(found[0][1] - 0.7) <= 0.03
    assert result.figures.ssim > 0.99


def test_an_opaque_anti_aliased_disc_has_no_translucent_layer() -> None:
    rgba = over(blank(), (200, 40, 40), disc(128, 128, 80), 1.0)
    prepared, layer = prepare_layers(rgba, StepParams(alpha="threshold"))
    assert layer is None
    assert set(np.unique(prepared[..., 3]).tolist()) == {0, 255}
    assert "fill-opacity" not in tier1_svg(rgba)


def test_one_colour_at_two_opacities_gives_two_shapes() -> None:
    """Side by side, in one colour: the engine sees them as two colours (shared/translucency.py)."""
    rgba = over(over(blank(), (30, 30, 30), box(30, 60, 128, 196), 0.3), (30, 30, 30), box(128, 60, 226, 196),
                0.7)
    found = sorted(a for _, a in opacities(tier1_svg(rgba)))
    assert len(found) == 2
    assert found[0] == pytest.approx(0.3, abs=0.03) and found[1] == pytest.approx(0.7, abs=0.03)


@pytest.mark.parametrize("translucent_on_top", [True, False])
def test_a_translucent_square_overlapping_an_opaque_one(translucent_on_top: bool) -> None:
    """Where they overlap the input is opaque (the translucent square's colour over the opaque one, or
    the opaque one alone); the translucent square's own part is drawn at its opacity."""
    solid, glass = box(40, 40, 150, 150), box(100, 100, 220, 220)
    if translucent_on_top:
        rgba = over(over(blank(), (230, 200, 20), solid, 1.0), (20, 60, 220), glass, 0.45)
    else:
        rgba = over(over(blank(), (20, 60, 220), glass, 0.45), (230, 200, 20), solid, 1.0)
    svg = tier1_svg(rgba)
    found = opacities(svg)
    assert len(found) == 1 and found[0][1] == pytest.approx(0.45, abs=0.03)
    assert measure(svg, rgba).ssim > 0.99


def test_a_translucent_disc_inside_an_opaque_ring_shows_no_ring_through_it() -> None:
    """A stacked trace paints a shape under the shapes it encloses: the ring would fill the translucent
    disc's hole and show through it."""
    ring = coverage(lambda x, y: (np.hypot(x - 128, y - 128) < 110) & (np.hypot(x - 128, y - 128) >= 60))
    rgba = over(over(blank(), (20, 20, 120), ring, 1.0), (240, 120, 0), disc(128, 128, 60), 0.5)
    svg = tier1_svg(rgba)
    assert len(opacities(svg)) == 1
    centre = render_svg(svg, SIDE, SIDE)[100:156, 100:156].astype(int)
    assert np.abs(centre - rgba[100:156, 100:156]).max() <= 2
    assert measure(svg, rgba).ssim > 0.985  # the ring's anti-aliased inner edge over the disc's: a seam


def test_fill_colours_are_premultiplied_by_opacity() -> None:
    colours = fill_colours(["#FF0000", "#0000FF"], {1: 0.4})
    assert colours.tolist() == [[1.0, 0.0, 0.0, 1.0], [0.0, 0.0, 0.4, 0.4]]


def test_written_opacity_and_merging() -> None:
    square = np.array([[0, 0], [4, 0], [4, 4], [0, 4]], float)
    drawing = Drawing(8, 8, ("#112233", "#112233", "#112233"), np.vstack([square, square + 4, square + 2]),
                      np.array([0, 4, 8, 12]), np.array([0, 1, 2]), opacity={1: 0.4, 2: 0.4}, view=(8.0, 8.0))
    svg = write_svg(drawing)
    assert svg.count('fill-opacity=".4"') == 2
    merged = merge_consecutive_fills(drawing)
    assert len(merged.fills) == 2 and merged.opacity == {1: 0.4}  # the opaque shape stays apart
    assert write_svg(merged).count('fill-opacity=".4"') == 1
