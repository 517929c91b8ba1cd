"""Gradient fills (shared/gradients.py, shared/gradient_fit.py): synthetic gradients come out as one
shape with one gradient, flat images and noise never get one, identical gradients are written once."""

import re

import numpy as np
import pytest

from bench.dataset import has_gradient
from bench.synthetic import render
from shared import gradient_profile, gradients, rasterise
from shared.candidate import evaluate
from shared.features import compute_features
from shared.geometry import Drawing
from shared.gradient_fit import fit_region, paint_colours
from shared.paint import Gradient, Stop
from shared.params import ConversionParams
from shared.render import render_svg
from shared.svg import write_svg
from shared.tiers.tier1 import formula_params

SIDE = 128
RED, BLUE = np.array([230.0, 40, 40]), np.array([40.0, 60, 220])


def _square(kind: str) -> np.ndarray:
    y, x = np.mgrid[0:SIDE, 0:SIDE] + 0.5
    t = x / SIDE if kind == "linear" else np.hypot(x - SIDE / 2, y - SIDE / 2) / (SIDE / np.sqrt(2))
    rgb = RED + (BLUE - RED) * t[..., None]
    return np.dstack([np.round(rgb), np.full((SIDE, SIDE), 255)]).astype(np.uint8)


def _params(rgba: np.ndarray, **steps: object) -> ConversionParams:
    return formula_params(compute_features(rgba)).with_overrides({"gradients": True, **steps})


def _elements(svg: str) -> int:
    return len(re.findall(r"<(?:path|circle|ellipse|rect)\b", svg))


def _colour_error(svg: str, rgba: np.ndarray) -> float:
    """Mean absolute RGB difference of the rendering, as a share of full scale."""
    drawn = render_svg(svg, rgba.shape[1], rgba.shape[0]).astype(float)
    return float(np.abs(drawn[..., :3] - rgba[..., :3].astype(float)).mean() / 255)


@pytest.mark.parametrize("kind", ["linear", "radial"])
def test_gradient_square_is_one_shape_with_one_gradient(kind: str) -> None:
    rgba = _square(kind)
    svg = evaluate(rgba, _params(rgba), compare_unrefined=False).svg
    assert _elements(svg) == 1
    assert svg.count(f"<{kind}Gradient ") == 1 and svg.count("Gradient ") == 1
    assert _colour_error(svg, rgba) < 0.02
    without = evaluate(rgba, _params(rgba, gradients=False), compare_unrefined=False).svg
    assert _colour_error(without, rgba) > 0.05  # the flat trace is far off: the test can fail


def test_a_shaded_disc_touching_the_canvas_gets_its_gradient() -> None:
    # its anti-aliased rim where it touches the canvas's edges is no edge inside it (0.946 flat)
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128"><defs><linearGradient id="g" '
           'x2="0" y2="1"><stop offset="0" stop-color="#f0b040"/><stop offset="1" stop-color="#a04010"/>'
           '</linearGradient></defs><circle cx="64" cy="64" r="64" fill="url(#g)"/></svg>')
    rgba = render(svg, SIDE)
    result = evaluate(rgba, _params(rgba), compare_unrefined=False)
    assert result.svg.count("<linearGradient ") == 1 and _elements(result.svg) == 1
    assert result.figures.ssim > 0.99


def test_a_four_stop_radial_from_a_corner_keeps_its_shape() -> None:
    """devicon's odin: a 4-stop radial centred on a rounded plate's corner, padded past its radius. Three
    stops cannot draw its ramp and its flat end, and the fit bent it into a tilted ellipse (0.945);
    the default allows four, which the description length takes only where they pay."""
    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 128 128"><defs><radialGradient id="g" '
           'cx="0" cy="0" r="128" gradientUnits="userSpaceOnUse"><stop offset="0" stop-color="#189cff"/>'
           '<stop offset=".58" stop-color="#138eeb"/><stop offset=".8" stop-color="#0971bf"/>'
           '<stop offset="1" stop-color="#005493"/></radialGradient></defs>'
           '<rect width="128" height="128" rx="13" fill="url(#g)"/></svg>')
    rgba = render(svg, SIDE)
    result = evaluate(rgba, _params(rgba), compare_unrefined=False)
    assert _elements(result.svg) == 1 and result.svg.count("<radialGradient ") == 1
    assert result.figures.ssim > 0.98 and _colour_error(result.svg, rgba) < 0.01
    three = evaluate(rgba, _params(rgba, gradient_stops=3), compare_unrefined=False)
    assert three.figures.ssim < 0.95  # the test can fail


def test_bands_of_a_fine_trace_merge_into_one_gradient() -> None:
    rgba = _square("linear")
    params = _params(rgba, color_precision=8, layer_difference=4, filter_speckle=0)
    banded = evaluate(rgba, params.with_overrides({"gradients": False}), compare_unrefined=False).svg
    assert _elements(banded) >= 4  # the tracer posterises the gradient into bands
    svg = evaluate(rgba, params, compare_unrefined=False).svg
    assert _elements(svg) == 1 and svg.count("<linearGradient ") == 1
    assert _colour_error(svg, rgba) < 0.02


def test_a_band_merges_only_where_its_gradient_fits_it_as_well_as_its_flat_colour() -> None:
    tolerance = 0.02
    assert gradients.band_fit_limit(0.0, tolerance) == pytest.approx(1 / 255)  # exact flat fills stay flat
    assert gradients.band_fit_limit(0.01, tolerance) == pytest.approx(0.01)
    assert gradients.band_fit_limit(0.022, tolerance) == pytest.approx(tolerance)
    # a band of mostly edge pixels, which no flat colour fits: a gradient that fits it clearly better
    assert gradients.band_fit_limit(0.05, tolerance) == pytest.approx(0.05 * gradients.EDGE_BAND_FIT)
    assert tolerance < gradients.band_fit_limit(0.05, tolerance) < 0.05


def test_flat_image_never_gets_a_gradient() -> None:
    y, x = np.mgrid[0:SIDE, 0:SIDE] + 0.5
    disc = np.clip(40 - np.hypot(x - 64, y - 64) + 0.5, 0, 1)[..., None]  # anti-aliased edge
    rgb = disc * np.array([20.0, 120, 200]) + (1 - disc) * 255
    rgba = np.dstack([np.round(rgb), np.full((SIDE, SIDE), 255)]).astype(np.uint8)
    svg = evaluate(rgba, _params(rgba), compare_unrefined=False).svg
    assert "Gradient" not in svg


def test_noise_never_gets_a_gradient() -> None:
    rng = np.random.default_rng(7)
    rgba = np.dstack([rng.integers(0, 256, (SIDE, SIDE, 3)), np.full((SIDE, SIDE), 255)]).astype(np.uint8)
    svg = evaluate(rgba, _params(rgba), compare_unrefined=False).svg
    assert "Gradient" not in svg
    # a region of mild noise about one colour: the parameters cost more than they explain
    xy = rng.uniform(0, 64, (4000, 2))
    colours = np.clip(0.5 + rng.normal(0, 0.02, (4000, 4)), 0, 1)
    assert fit_region(xy, colours, 4).paint is None


def test_fit_region_recovers_a_linear_ramp() -> None:
    rng = np.random.default_rng(3)
    xy = rng.uniform(0, 100, (3000, 2))
    t = (xy @ np.array([0.6, 0.8]) / 140)[:, None]  # stops are evenly spaced: a ramp end to end
    colours = np.column_stack([(1 - t) * [0.9, 0.1, 0.2] + t * [0.1, 0.3, 0.9], np.ones(len(t))])
    fit = fit_region(xy, colours, 3)
    assert fit.paint is not None and fit.paint.kind == "linear"
    assert np.abs(paint_colours(fit.paint, xy) - colours).max() < 0.01


def test_a_stop_turning_early_is_placed_there() -> None:
    """A logo's gradient turning within its first fifth (devicon's talos: yellow to orange in its first
    20 %, then to red): the middle stop is placed at the turn, not halfway, and the fit is truer than
    with evenly spaced stops."""
    rng = np.random.default_rng(5)
    xy = rng.uniform(0, 100, (3000, 2))
    t = xy[:, 1] / 100
    stops = np.array([[1.0, 0.82, 0.0], [1.0, 0.45, 0.0], [0.87, 0.09, 0.18]])
    rgb = np.column_stack([np.interp(t, [0.0, 0.2, 1.0], stops[:, k]) for k in range(3)])
    colours = np.column_stack([rgb, np.ones(len(t))])
    fit = fit_region(xy, colours, 3)
    assert fit.paint is not None and fit.paint.kind == "linear"
    offsets = [s.offset for s in fit.paint.stops]
    assert len(offsets) == 3 and round(min(offsets[1], 1 - offsets[1]), 2) == 0.2  # either way along y
    assert np.abs(paint_colours(fit.paint, xy) - colours).max() < 0.02
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(gradient_profile, "PLACE_ROUNDS", 0)
        even = fit_region(xy, colours, 3)
    assert even.rms > 3 * fit.rms


def test_placement_trials_from_cell_moments_match_the_hat_basis() -> None:
    """`placed_profile` scores each trial placement from per-cell moments; on any knots at cell
    boundaries (a stop at 1/3 for 4 stops, the rest on the 1/20 grid) the SSE is the hat basis' own."""
    rng = np.random.default_rng(7)
    t = rng.uniform(3.0, 180.0, 2500)
    x = (t - t.min()) / np.ptp(t)
    bent = np.clip(np.interp(x, [0, 0.3, 1], [0.1, 0.9, 0.6]) + rng.normal(0, 0.02, len(t)), 0, 1)
    colours = np.column_stack([bent, x, 1 - x * x, np.ones(len(t))])
    energy = float((colours**2).sum())
    moments = gradient_profile._CellMoments(t, colours, 60)
    for fractions in ([0, 0.5, 1], [0, 0.15, 1], [0, 1 / 3, 0.85, 1], [0, 0.05, 2 / 3, 1]):
        knots = np.array(fractions, float)
        expected = gradient_profile.profile(t, colours, len(knots), energy, knots)[2]
        assert moments.sse(knots, energy) == pytest.approx(expected, rel=1e-9)


def test_identical_gradients_are_written_once_with_short_ids() -> None:
    paint = Gradient("linear", (0.0, 0.0, 10.0, 0.0), (Stop(0.0, "#ff0000"), Stop(1.0, "#0000ff", 0.5)))
    other = Gradient("radial", (5.0, 5.0, 4.0), (Stop(0.0, "#ffffff"), Stop(1.0, "#000000")))
    square = np.array([[0, 0], [10, 0], [10, 10], [0, 10]], float)
    drawing = Drawing(10, 10, ("#000000",) * 3, np.vstack([square] * 3), np.array([0, 4, 8, 12]),
                      np.array([0, 1, 2]), paints={0: paint, 1: other, 2: paint}, view=(10.0, 10.0))
    svg = write_svg(drawing)
    assert svg.count("<linearGradient ") == 1 and svg.count("<radialGradient ") == 1
    assert 'id="a" gradientUnits="userSpaceOnUse"' in svg and 'id="b"' in svg
    assert svg.count('fill="url(#a)"') == 2 and svg.count('fill="url(#b)"') == 1
    assert 'stop-opacity=".5"' in svg
    drawn = render_svg(svg, 10, 10)
    assert drawn[5, 0, 0] > 200 and drawn[5, 9, 2] > 100  # red at the start, blue at the end


def test_dev_set_gradient_flag_comes_from_the_source() -> None:
    shaded = '<svg><defs><radialGradient id="a"/></defs><path fill="url(#a)" d="M0 0h1v1z"/></svg>'
    assert has_gradient("twemoji:1f600", shaded)
    assert not has_gradient("twemoji:1f600", '<svg><path fill="#fff" d="M0 0h1v1z"/></svg>')
    assert has_gradient("generated:gradient:3", None) and not has_gradient("generated:shapes:3", None)


def test_a_fading_square_gets_stop_opacity() -> None:
    x = np.mgrid[0:SIDE, 0:SIDE][1] + 0.5
    alpha = np.round(np.clip(1.2 - x / SIDE, 0, 1) * 255)
    rgba = np.dstack([np.full((SIDE, SIDE), 30), np.full((SIDE, SIDE), 120), np.full((SIDE, SIDE), 220),
                      alpha]).astype(np.uint8)
    faded = evaluate(rgba, _params(rgba), compare_unrefined=False)
    flat = evaluate(rgba, _params(rgba, gradients=False), compare_unrefined=False)
    # the translucent part is traced apart from the opaque band (shared/translucency.py): two shapes
    assert "stop-opacity" in faded.svg and _elements(faded.svg) <= 2
    assert faded.figures.ssim > flat.figures.ssim + 0.02 and faded.figures.ssim > 0.95


def _winding_by_rays(rings: list[np.ndarray], height: int, width: int) -> np.ndarray:
    """The winding number of every pixel centre, one centre at a time: edges crossing the centre's row
    left of it, +1 going down (y growing), -1 going up."""
    y, x = np.mgrid[0:height, 0:width] + 0.5
    total = np.zeros((height, width), int)
    for ring in rings:
        for (x0, y0), (x1, y1) in zip(ring, np.roll(ring, -1, axis=0), strict=True):
            if y0 == y1:
                continue
            spans = (np.minimum(y0, y1) <= y) & (y < np.maximum(y0, y1))
            crossing = x0 + (y - y0) / (y1 - y0) * (x1 - x0)
            total += np.where(spans & (crossing < x), 1 if y1 > y0 else -1, 0)
    return total


def test_winding_matches_a_ray_count_per_pixel() -> None:
    rng = np.random.default_rng(5)
    for _ in range(40):
        rings = [rng.random((int(rng.integers(3, 12)), 2)) * 40 - 4 for _ in range(int(rng.integers(1, 4)))]
        assert np.array_equal(rasterise.winding(rings, 32, 32), _winding_by_rays(rings, 32, 32))
    outer = np.array([[2.2, 2.2], [29.7, 2.2], [29.7, 29.7], [2.2, 29.7]])
    hole = outer[::-1] * 0.5 + 8.0  # the other way round: its inside has winding 0
    covered = rasterise.winding([outer, hole], 32, 32) != 0
    assert covered[5, 5] and not covered[16, 16] and not covered[0, 0]
