"""Fringe strips of stacked traces (shared/fringes.py): a thin shape of an edge's mix colour lying on
shapes painted before it is dropped; a thin line of its own colour, a strip over nothing and a wide
shape stay; on a 1024 px export Tier 1's SVG comes out smaller and no worse for it. With the edges
unmixed before tracing (shared/preprocess.py, `unmixed`) the engine traces no strips in either layering."""

import numpy as np
import pytest

from shared.candidate import trace_drawing
from shared.features import compute_features
from shared.fringes import drop_fringes, mean_widths, mix_distance
from shared.geometry import Drawing
from shared.pipeline import convert
from shared.render import render_svg
from shared.tiers.tier1 import formula_params

SIDE = 32
PLATE, RED, STRIP = (0.0, 0.0, 32.0, 32.0), (8.0, 8.0, 24.0, 24.0), (7.0, 8.0, 8.0, 24.0)  # x0 y0 x1 y1


def _square(box: tuple[float, float, float, float]) -> list[tuple[float, float]]:
    x0, y0, x1, y1 = box
    return [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]


def _drawing(boxes: list[tuple[float, float, float, float]], fills: tuple[str, ...]) -> Drawing:
    rings = [_square(b) for b in boxes]
    vertices = np.array([p for ring in rings for p in ring], float)
    offsets = np.append(0, np.cumsum([len(r) for r in rings]))
    return Drawing(SIDE, SIDE, fills, vertices, offsets, np.arange(len(rings)), view=(SIDE * 1.0, SIDE * 1.0))


def test_mean_width_is_a_strips_width() -> None:
    widths = mean_widths(_drawing([PLATE, RED, STRIP], ("#ffffff", "#ff0000", "#ff8080")))
    assert widths[2] == pytest.approx(2 * 16 / 34)  # 1 x 16 px: 2 x area / perimeter
    assert widths[1] == pytest.approx(8.0)


def test_a_strip_of_the_edges_mix_colour_on_earlier_shapes_is_dropped() -> None:
    drawing = _drawing([PLATE, RED, STRIP], ("#ffffff", "#ff0000", "#ff8080"))  # half red, half white
    assert drop_fringes(drawing).fills == ("#ffffff", "#ff0000")


@pytest.mark.parametrize(("boxes", "fills"), [
    ([PLATE, RED, STRIP], ("#ffffff", "#ff0000", "#0000ff")),  # a thin blue line: a colour of its own
    ([RED, STRIP], ("#ff0000", "#ff8080")),  # half of it over nothing: dropping it would leave a gap
    ([PLATE, RED, (4.0, 8.0, 8.0, 24.0)], ("#ffffff", "#ff0000", "#ff8080")),  # 4 px wide: not a fringe
])
def test_lines_strips_over_nothing_and_wide_shapes_stay(boxes: list, fills: tuple[str, ...]) -> None:
    drawing = _drawing(boxes, fills)
    assert drop_fringes(drawing).fills == fills


def test_degenerate_and_empty_shapes_pass() -> None:
    rings = np.array(_square(PLATE) + _square(RED), float)
    empty = Drawing(SIDE, SIDE, ("#ffffff", "#ff0000", "#ff8080"), rings, np.array([0, 4, 8]),
                    np.array([0, 1]), view=(SIDE * 1.0, SIDE * 1.0))  # shape 2 has no ring
    assert drop_fringes(empty).fills == empty.fills
    vertices = np.array([*_square(PLATE), (5.0, 5.0), (6.0, 5.0)], float)  # a 2-vertex ring: no area
    flat = Drawing(SIDE, SIDE, ("#ffffff", "#ff8080"), vertices, np.array([0, 4, 6]), np.array([0, 1]),
                   view=(SIDE * 1.0, SIDE * 1.0))
    assert drop_fringes(flat).fills == flat.fills


def test_mix_distance() -> None:
    red, white = np.array([255.0, 0, 0]), np.array([255.0, 255, 255])
    assert mix_distance(np.array([255.0, 128, 128]), red, white) == pytest.approx(0.0, abs=1e-9)
    assert mix_distance(np.array([0.0, 0, 255]), red, white) > 100
    assert mix_distance(np.array([250.0, 5, 0]), red, None) == pytest.approx(5.0)


def _export(side: int) -> np.ndarray:
    """A flag-like icon rendered at `side` px: a red disc on a light rounded plate."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 36 36">'
           '<rect x="0" y="5" width="36" height="26" rx="4" fill="#eeeeee"/>'
           '<circle cx="18" cy="18" r="7" fill="#ed1b2f"/></svg>')
    return render_svg(svg, side, side)


def test_a_1024_px_export_comes_out_smaller_and_no_worse() -> None:
    rgba = _export(1024)
    kept = convert(rgba, tier=1, overrides={"drop_fringes": False})
    dropped = convert(rgba, tier=1)
    assert dropped.params.steps.drop_fringes and dropped.params.engine.hierarchical == "stacked"
    assert dropped.figures.paths < kept.figures.paths, (kept.svg, dropped.svg)
    assert dropped.figures.bytes < kept.figures.bytes
    assert dropped.figures.ssim >= kept.figures.ssim - 0.0005


@pytest.mark.parametrize("side", [256, 1024])
@pytest.mark.parametrize("layering", ["stacked", "cutout"])
def test_unmixed_edges_are_traced_without_strips(side: int, layering: str) -> None:
    """Tier 1's trace of the plate and disc (1.5x, its bicubic edges 2-3 px wide): 5 shapes at 256 px
    and 8 at 1024 px with the edges' mix pixels as they are, the plate and the disc alone with them
    unmixed (Tier 1 unmixes an image without smooth shading)."""
    rgba = _export(side)
    params = formula_params(compute_features(rgba)).with_overrides({"hierarchical": layering})
    assert params.steps.unmix
    assert len(trace_drawing(rgba, params).fills) == 2
    assert len(trace_drawing(rgba, params.with_overrides({"unmix": False})).fills) > 2
