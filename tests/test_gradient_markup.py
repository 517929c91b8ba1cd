"""Gradient markup and its cost (shared/gradient_fit.py, shared/gradients.py, shared/svg.py): stops only
where they change the rendering, pieces of one gradient share one `<defs>` entry, faint gradients on
small regions are not worth their markup, the written ends and colours render as fitted."""

import re

import numpy as np
import pytest

from shared.candidate import evaluate
from shared.features import compute_features
from shared.geometry import Drawing, Primitive
from shared.gradient_fit import fit_region, paint_colours
from shared.paint import Gradient, Stop
from shared.render import render_svg
from shared.svg import write_svg
from shared.tiers.tier1 import formula_params

SIDE = 128


def _ramp(xy: np.ndarray, start: list[float], end: list[float], length: float) -> np.ndarray:
    t = np.clip(xy[:, :1] / length, 0, 1)
    return np.column_stack([(1 - t) * start + t * end, np.ones(len(t))])


def test_a_straight_ramp_gets_two_stops_and_a_bent_one_three() -> None:
    rng = np.random.default_rng(1)
    xy = rng.uniform(0, 100, (3000, 2))
    straight = fit_region(xy, _ramp(xy, [0.9, 0.2, 0.1], [0.1, 0.3, 0.9], 100), 4)
    assert straight.paint is not None and len(straight.paint.stops) == 2
    t = xy[:, :1] / 100
    knee = np.minimum(t, 0.5) * 1.4 + np.maximum(t - 0.5, 0) * 0.2  # steep, then nearly flat
    bent = np.column_stack([0.1 + knee, 0.2 + 0 * t, 0.8 - 0.5 * knee, np.ones(len(t))])
    tent = fit_region(xy, bent, 4)
    assert tent.paint is not None and len(tent.paint.stops) == 3
    assert np.abs(paint_colours(tent.paint, xy) - bent).max() < 0.02


def test_a_faint_gradient_on_a_small_region_keeps_its_flat_fill() -> None:
    side = 256  # the square is 0.9 % of the image
    y, x = np.mgrid[0:side, 0:side] + 0.5
    inside = (np.abs(x - 128) < 12) & (np.abs(y - 128) < 12)
    shade = 120 + 6 * (x - 128) / 12  # 12 levels across a 24 px square: ~3.5 levels RMS
    rgb = np.where(inside[..., None], np.dstack([shade, shade, shade + 60]), 255)
    rgba = np.dstack([rgb, np.full((side, side), 255)]).astype(np.uint8)
    params = formula_params(compute_features(rgba))
    assert "Gradient" not in evaluate(rgba, params, compare_unrefined=False).svg
    # the same fit on the region alone passes the description-length rule: the byte rule drops it
    ys, xs = np.nonzero(inside)
    xy = np.column_stack([xs + 0.5, ys + 0.5])
    assert fit_region(xy, rgba[ys, xs].astype(float) / 255, 3).paint is not None


def test_pieces_of_one_gradient_share_one_definition() -> None:
    y, x = np.mgrid[0:SIDE, 0:SIDE] + 0.5
    t = (x / SIDE)[..., None]
    rgb = (1 - t) * np.array([230.0, 40, 40]) + t * np.array([40.0, 60, 220])
    gap = (np.abs(x - 64) < 10) | (np.abs(y - 64) > 48)  # two bars of one gradient, apart
    rgb = np.where(gap[..., None], 255, np.round(rgb))
    rgba = np.dstack([rgb, np.full((SIDE, SIDE), 255)]).astype(np.uint8)
    svg = evaluate(rgba, formula_params(compute_features(rgba)), compare_unrefined=False).svg
    assert svg.count("<linearGradient ") == 1
    assert len(re.findall(r'fill="url\(#a\)"', svg)) == 2


def test_written_ends_and_short_colours_render_the_fitted_gradient() -> None:
    paint = Gradient("linear", (3.0, 4.0, 9.0, 7.0), (Stop(0.0, "#ff0000"), Stop(1.0, "#0000ff")))
    square = np.array([[0, 0], [12, 0], [12, 12], [0, 12]], float)
    drawing = Drawing(12, 12, ("#000000",), square, np.array([0, 4]), np.array([0]), paints={0: paint},
                      view=(12.0, 12.0))
    svg = write_svg(drawing)
    assert 'stop-color="#f00"' in svg and 'stop-color="#00f"' in svg
    assert ' x1="0"' not in svg and ' y1="0"' not in svg  # one of them slid to 0 and left out
    ends = [float(v) for v in re.findall(r' [xy][12]="([-\d.]+)"', svg)]
    assert len(ends) == 3
    drawn = render_svg(svg, 12, 12)[..., :3].astype(float) / 255
    yy, xx = np.mgrid[0:12, 0:12] + 0.5
    expected = paint_colours(paint, np.column_stack([xx.ravel(), yy.ravel()]))[:, :3].reshape(12, 12, 3)
    assert np.abs(drawn - expected).max() < 0.03


def _lit_bar() -> np.ndarray:
    """A 100 x 24 px bar lit along its middle: colour by elliptical distance (axes 80 and 14 px)."""
    y, x = np.mgrid[0:SIDE, 0:SIDE] + 0.5
    t = np.clip(np.hypot((x - 64) / 80, (y - 64) / 14), 0, 1)[..., None]
    rgb = (1 - t) * np.array([250.0, 200, 60]) + t * np.array([200.0, 30, 90])
    inside = (np.abs(x - 64) < 50) & (np.abs(y - 64) < 12)
    rgb = np.where(inside[..., None], np.round(rgb), 255)
    return np.dstack([rgb, np.full((SIDE, SIDE), 255)]).astype(np.uint8)


def test_a_bar_lit_along_its_middle_gets_an_elliptical_gradient() -> None:
    rgba = _lit_bar()
    ys, xs = np.nonzero((np.abs(np.arange(SIDE) + 0.5 - 64)[:, None] < 10)
                        & (np.abs(np.arange(SIDE) + 0.5 - 64)[None, :] < 48))
    xy, colours = np.column_stack([xs + 0.5, ys + 0.5]), rgba[ys, xs].astype(float) / 255
    fit = fit_region(xy, colours, 3)
    assert fit.paint is not None and fit.paint.kind == "radial" and len(fit.paint.points) == 5
    assert fit.rms < 2 / 255
    ratio, angle = fit.paint.points[3:]
    assert abs(ratio - 14 / 80) < 0.03 and min(abs(angle) % 180, 180 - abs(angle) % 180) < 2
    svg = evaluate(rgba, formula_params(compute_features(rgba)), compare_unrefined=False).svg
    assert svg.count("gradientTransform=") == 1 and _elements(svg) == 2  # the plate and the bar
    drawn = render_svg(svg, SIDE, SIDE)[..., :3].astype(float)
    assert np.abs(drawn - rgba[..., :3]).mean() / 255 < 0.01


def test_an_elliptical_gradients_shape_is_searched_not_only_read_off_a_quadratic() -> None:
    # a bounding-box radial on a tilted oval (ratio 0.7, 25 degrees): a cone of colour, light at its
    # centre, which a quadratic's Hessian reads as ratio 0.78; searched, it is fitted at its own shape
    truth = Gradient("radial", (56.0, 58.0, 60.0, 0.7, 25.0),
                     (Stop(0.0, "#a0c8f0"), Stop(0.55, "#3070b0"), Stop(1.0, "#103050")))
    inside = np.hypot(np.arange(SIDE)[:, None] + 0.5 - 58, np.arange(SIDE)[None, :] + 0.5 - 56) < 38
    ys, xs = np.nonzero(inside)
    xy = np.column_stack([xs + 0.5, ys + 0.5])
    fit = fit_region(xy, np.round(paint_colours(truth, xy) * 255) / 255, 3)
    assert fit.paint is not None and fit.paint.kind == "radial" and len(fit.paint.points) == 5
    ratio, angle = fit.paint.points[3:]
    assert abs(ratio - 0.7) < 0.03 and min(abs(angle - 25) % 180, 180 - abs(angle - 25) % 180) < 3
    assert np.hypot(fit.paint.points[0] - 56, fit.paint.points[1] - 58) < 1.0
    assert fit.rms < 1 / 255  # the quadratic's shape leaves 2.3 / 255


def test_an_elliptical_gradient_renders_as_fitted() -> None:
    paint = Gradient("radial", (22.0, 17.0, 15.0, 0.3, -33.0),
                     (Stop(0.0, "#ff0000"), Stop(0.5, "#00ff00"), Stop(1.0, "#0000ff")))
    square = np.array([[0, 0], [40, 0], [40, 40], [0, 40]], float)
    for view, grid in (((40.0, 40.0), False), ((160.0, 160.0), True), ((40.0, 40.00001), False)):
        drawing = Drawing(40, 40, ("#000000",), square, np.array([0, 4]), np.array([0]), paints={0: paint},
                          view=view, grid=grid)
        drawn = render_svg(write_svg(drawing), 40, 40)[..., :3].astype(float) / 255
        yy, xx = np.mgrid[0:40, 0:40] + 0.5
        expected = paint_colours(paint, np.column_stack([xx.ravel(), yy.ravel()]))[:, :3].reshape(40, 40, 3)
        assert np.abs(drawn - expected).mean() < 0.002 and np.abs(drawn - expected).max() < 0.02


@pytest.mark.parametrize("paint", [
    Gradient("radial", (17.0, 16.0, 18.0, 0.7, 80.0), (Stop(0.0, "#a0c8f0"), Stop(0.55, "#3070b0"),
                                                        Stop(1.0, "#103050"))),
    Gradient("radial", (18.0, 17.0, 14.0), (Stop(0.0, "#f0e040"), Stop(1.0, "#c03010"))),
    Gradient("linear", (10.0, 8.0, 26.0, 30.0), (Stop(0.0, "#ffffff"), Stop(1.0, "#2040a0"))),
])
def test_a_gradient_on_a_turned_primitive_renders_as_fitted(paint: Gradient) -> None:
    # the element's rotate() turns its user space, in which userSpaceOnUse gradients are drawn
    ellipse = Primitive("ellipse", 20.0, 20.0, 12.0, 17.0, angle=-40.0)
    ring = np.zeros((4, 2))  # the primitive stands for its ring
    for view, grid in (((40.0, 40.0), False), ((320.0, 320.0), True)):
        drawing = Drawing(40, 40, ("#000000",), ring, np.array([0, 4]), np.array([0]), fitted={0: ellipse},
                          paints={0: paint}, view=view, grid=grid)
        svg = write_svg(drawing)
        assert "rotate(-40" in svg
        drawn = render_svg(svg, 40, 40).astype(float) / 255
        yy, xx = np.mgrid[0:40, 0:40] + 0.5
        inside = (np.hypot(xx - 20, yy - 20) < 10).ravel()  # well inside the ellipse
        expected = paint_colours(paint, np.column_stack([xx.ravel(), yy.ravel()]))[inside, :3]
        error = np.abs(drawn[..., :3].reshape(-1, 3)[inside] - expected)
        assert error.mean() < 0.004 and error.max() < 0.03


def test_a_slightly_turned_primitive_shares_its_gradient() -> None:
    # turned by 0.2 degrees, the bar's points move 0.06 px: its gradient changes by a third of a level
    paint = Gradient("linear", (0.0, 0.0, 0.0, 40.0), (Stop(0.0, "#ffffff"), Stop(1.0, "#2040a0")))
    bar = Primitive("rect", 12.0, 20.0, 6.0, 16.0, angle=0.2, corner=5.0)
    square = np.array([[24, 4], [36, 4], [36, 36], [24, 36]], float)
    drawing = Drawing(40, 40, ("#000000", "#000000"), np.vstack([np.zeros((4, 2)), square]),
                      np.array([0, 4, 8]), np.array([0, 1]), fitted={0: bar}, paints={0: paint, 1: paint},
                      view=(320.0, 320.0), grid=True)
    svg = write_svg(drawing)
    assert "rotate(.2" in svg and svg.count("<linearGradient") == 1


def _elements(svg: str) -> int:
    return len(re.findall(r"<(?:path|circle|ellipse|rect)\b", svg))
