"""Primitives and curves on constructed images whose boundaries are known exactly (pixel coverage
computed by 8x8 supersampling, not by a renderer, so the truth is analytic)."""

import re

import numpy as np
import pytest

from shared.candidate import evaluate
from shared.edge_profiles import fill_colours
from shared.geometry import Primitive, parse_paths
from shared.paint import premultiplied
from shared.params import parse_params
from shared.pipeline import convert
from shared.primitive_shapes import fit_ellipse
from shared.primitives import edge_points, find_primitives, fit_primitive, snap
from tests.path_text import as_lines, on_curve_points

SIZE = 256
STEPS = {"mode": "polygon", "hierarchical": "stacked", "scale": 1.5, "alpha": "threshold", "simplify_px": 0.5,
         "refine": True, "refine_grid": 4, "primitives": True, "fit_curves": True}
COLOUR = (29, 78, 216)


def covered(inside, size: int = SIZE, supersample: int = 8) -> np.ndarray:
    """RGBA of one colour whose alpha is the exact share of each pixel where `inside(x, y)` holds."""
    yy, xx = (np.mgrid[: size * supersample, : size * supersample] + 0.5) / supersample
    coverage = inside(xx, yy).reshape(size, supersample, size, supersample).mean(axis=(1, 3))
    rgba = np.zeros((size, size, 4), np.uint8)
    rgba[..., :3] = COLOUR
    rgba[..., 3] = np.round(coverage * 255)
    return rgba


def attributes(svg: str, tag: str, units: float = 4.0) -> dict[str, float]:
    """The numeric attributes of the one `tag` element, in px at `units` view units per px (STEPS' 1/4 px
    grid unless given: `units_per_px`)."""
    found = re.findall(rf"<{tag} ([^>]*)/>", svg)
    assert len(found) == 1, svg
    values = dict(re.findall(r'(\w+)="([-\d. ]+)"', found[0]))
    return {k: float(v) / units for k, v in values.items() if " " not in v}


def units_per_px(svg: str) -> float:
    """The view units per input px of an SVG of a SIZE px input (Tier 1 picks its own view)."""
    return float(re.search(r'viewBox="0 0 ([\d.]+)', svg)[1]) / SIZE


@pytest.mark.parametrize("radius", [4.0, 7.3, 15.0, 33.3, 60.2, 120.0])
def test_a_circle_comes_out_as_one_circle_on_its_boundary(radius: float) -> None:
    cx, cy = 128.3, 127.6
    rgba = covered(lambda x, y: (x - cx) ** 2 + (y - cy) ** 2 < radius**2)
    svg = evaluate(rgba, parse_params(STEPS), compare_unrefined=False).svg
    circle = attributes(svg, "circle")
    radial = np.hypot(circle["cx"] - cx, circle["cy"] - cy) + abs(circle["r"] - radius)  # largest, anywhere
    assert radial <= 0.05, (radius, circle)


def circle_in(svg: str) -> tuple[float, float, float]:
    """(cx, cy, r) of the SVG's one `<circle>`, in px of a SIZE px input."""
    circle = attributes(svg, "circle", units_per_px(svg))
    return circle["cx"], circle["cy"], circle["r"]


@pytest.mark.parametrize(("cx", "cy", "radius"),
                         [(128.3, 230.6, 60.2), (20.4, 120.7, 45.3), (200.2, 30.3, 50.0)])
def test_a_disc_the_canvas_cuts_off_comes_out_as_one_circle(cx: float, cy: float, radius: float) -> None:
    """Its ring runs along the border where the canvas cuts it; the circle is fitted without those
    points, measured only inside the canvas, and written whole (the viewport clips it)."""
    svg = convert(covered(lambda x, y: (x - cx) ** 2 + (y - cy) ** 2 < radius**2), tier=1).svg
    assert svg.count("<path") == 0, svg
    assert np.allclose(circle_in(svg), (cx, cy, radius), atol=0.05), svg


@pytest.mark.parametrize(("cx", "cy", "radius", "bar"), [(128.3, 130.2, 40.4, (120.3, 138.6)),
                                                       (128.2, 127.7, 50.3, (160.2, 171.4))])
def test_a_wheel_in_front_of_a_bar_comes_out_as_one_circle(cx: float, cy: float, radius: float,
                                                           bar: tuple[float, float]) -> None:
    """A dark disc over a grey bar that runs into it from both sides (a wheel before a bumper): where
    the bar meets the disc, the edge's profile reads the junction of three colours, a few points up to
    0.4 px off the circle; they are left out of the last fit, as the traced ring follows the circle."""
    supersample = 8
    yy, xx = (np.mgrid[: SIZE * supersample, : SIZE * supersample] + 0.5) / supersample
    disc = (xx - cx) ** 2 + (yy - cy) ** 2 < radius**2
    beam = (yy > bar[0]) & (yy < bar[1]) & (xx > 20.3) & (xx < 236.6) & ~disc
    wheel, behind = (m.reshape(SIZE, supersample, SIZE, supersample).mean(axis=(1, 3)) for m in (disc, beam))
    alpha = wheel + behind
    rgba = np.zeros((SIZE, SIZE, 4), np.uint8)
    rgba[..., :3] = np.round((wheel[..., None] * [62, 67, 71] + behind[..., None] * [181, 190, 196])
                             / np.maximum(alpha, 1e-9)[..., None])
    rgba[..., 3] = np.round(alpha * 255)
    svg = convert(rgba, tier=1).svg
    assert np.allclose(circle_in(svg), (cx, cy, radius), atol=0.05), svg


@pytest.mark.parametrize(("rx", "ry", "angle"), [(20.0, 10.0, 0.0), (50.5, 30.2, 23.0), (6.0, 4.0, 70.0),
                                                 (110.0, 60.0, -35.0)])
def test_an_ellipse_comes_out_as_one_ellipse_on_its_boundary(rx: float, ry: float, angle: float) -> None:
    cx, cy, theta = 128.2, 127.7, np.radians(angle)

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        u = (x - cx) * np.cos(theta) + (y - cy) * np.sin(theta)
        v = -(x - cx) * np.sin(theta) + (y - cy) * np.cos(theta)
        return (u / rx) ** 2 + (v / ry) ** 2 < 1

    svg = evaluate(covered(inside), parse_params(STEPS), compare_unrefined=False).svg
    ellipse = attributes(svg, "ellipse")
    turn = re.search(r'rotate\(([-\d.]+)', svg)
    fitted = np.radians(float(turn.group(1))) if turn else 0.0
    t = np.linspace(0, 2 * np.pi, 720, endpoint=False)  # the fitted boundary against the true one
    a, b = ellipse["rx"] * np.cos(t), ellipse["ry"] * np.sin(t)
    px = ellipse["cx"] + a * np.cos(fitted) - b * np.sin(fitted)
    py = ellipse["cy"] + a * np.sin(fitted) + b * np.cos(fitted)
    u = (px - cx) * np.cos(theta) + (py - cy) * np.sin(theta)
    v = -(px - cx) * np.sin(theta) + (py - cy) * np.cos(theta)
    # distance from the true boundary, to first order: (level - 1) over the gradient of the level
    level = np.hypot(u / rx, v / ry)
    gradient = np.hypot(u / rx**2, v / ry**2) / level
    assert np.max(np.abs(level - 1) / gradient) <= 0.05


@pytest.mark.parametrize(("outer", "inner", "shift"), [(90.0, 60.0, 0.0), (50.3, 20.7, 12.4)])
def test_a_rings_outline_and_hole_are_written_as_arcs_that_keep_the_hole(outer: float, inner: float,
                                                                         shift: float) -> None:
    from shared.render import render_svg

    cx, cy = 128.4, 127.3

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        disc = (x - cx) ** 2 + (y - cy) ** 2 < outer**2
        return disc & ((x - cx - shift) ** 2 + (y - cy) ** 2 >= inner**2)

    rgba = covered(inside)
    svg = evaluate(rgba, parse_params(STEPS), compare_unrefined=False).svg
    d = re.findall(r' d="([^"]*)"', svg)
    assert len(d) == 1 and d[0].count("a") == 4 and "l" not in d[0] and "c" not in d[0], svg
    arcs = re.findall(r"M([-\d.]+),([-\d.]+)a([-\d.]+) ([-\d.]+) [-\d.]+ 1 ([01]) ", d[0])
    parsed = [(*(float(v) / 4 for v in arc[:4]), int(arc[4])) for arc in arcs]  # a 1/4 px grid
    (x0, y0, r0, _, sweep0), (x1, y1, r1, _, sweep1) = parsed
    assert {sweep0, sweep1} == {0, 1}  # the hole runs the other way round
    for (x, y, r), (true_cx, true_r) in zip(((x0, y0, r0), (x1, y1, r1)), ((cx, outer), (cx + shift, inner)),
                                            strict=True):
        assert abs(x - r - true_cx) + abs(y - cy) + abs(r - true_r) <= 0.1, (x, y, r)
    rendered = render_svg(svg, SIZE, SIZE)
    assert rendered[round(cy), round(cx + shift), 3] == 0  # the hole is empty
    assert rendered[round(cy), round(cx - (outer + inner) / 2 + shift / 2), 3] == 255


def rounded_box(x0: float, y0: float, w: float, h: float, r: float):
    """`inside(x, y)` of an upright rectangle with corners rounded by `r` px."""
    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        qx = np.abs(x - (x0 + w / 2)) - (w / 2 - r)
        qy = np.abs(y - (y0 + h / 2)) - (h / 2 - r)
        return np.hypot(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0) < r
    return inside


def test_a_rounded_frames_outline_and_hole_are_written_as_sides_and_arcs_that_keep_the_hole() -> None:
    """A rounded rectangle with a rounded rectangular hole (an app badge's frame): a compound shape,
    so each ring is written inside the path as four sides and four quarter arcs, the hole the other
    way round."""
    from shared.render import render_svg

    outer, hole = rounded_box(40.3, 50.6, 170.0, 140.0, 24.0), rounded_box(70.2, 80.4, 110.0, 80.0, 10.0)
    rgba = covered(lambda x, y: outer(x, y) & ~hole(x, y))
    svg = evaluate(rgba, parse_params(STEPS), compare_unrefined=False).svg
    d = re.findall(r' d="([^"]*)"', svg)
    assert len(d) == 1 and d[0].count("a") == 8 and "c" not in d[0] and "q" not in d[0], svg
    sweeps = re.findall(r"a[-\d.]+ [-\d.]+ 0 0 ([01]) ", d[0])
    assert sorted(sweeps) == ["0"] * 4 + ["1"] * 4  # the hole runs the other way round
    for radius in (24.0, 10.0):
        assert f"a{radius * 4:g} {radius * 4:g} " in d[0] or any(
            abs(float(r) / 4 - radius) <= 0.1 for r in re.findall(r"a([-\d.]+) ", d[0])), d[0]
    rendered = render_svg(svg, SIZE * 4, SIZE * 4)[..., 3] / 255.0
    truth = covered(lambda x, y: outer(x / 4, y / 4) & ~hole(x / 4, y / 4), SIZE * 4, 2)[..., 3] / 255.0
    assert rendered[130 * 4, 125 * 4] == 0  # the hole is empty
    length = 2 * (170 + 140 + 110 + 80) - (8 - 2 * np.pi) * (24 + 10)  # of the edges, px
    assert np.abs(rendered - truth).sum() / 16 / length <= 0.03  # the mean distance (px) between the edges
    # (0.077 px as sides and facets)


def test_a_rounded_rectangle_comes_out_as_one_rect_with_rx() -> None:
    x0, y0, w, h, r = 40.3, 60.2, 150.0, 90.0, 20.0
    svg = evaluate(covered(rounded_box(x0, y0, w, h, r)), parse_params(STEPS), compare_unrefined=False).svg
    rect = attributes(svg, "rect")
    assert svg.count("<path") == 0
    for name, value in (("x", x0), ("y", y0), ("width", w), ("height", h), ("rx", r)):
        assert rect[name] == pytest.approx(value, abs=0.1), (name, rect)


def test_a_pill_shaped_bar_comes_out_as_one_rect_with_round_ends() -> None:
    """A bar with semicircular ends (a stadium: corner radius = half its height). Tier 1's free fit of
    the radius overshot the half height on it and the bar stayed a polygon with faceted ends."""
    x0, y0, w, h = 20.2, 30.7, 200.0, 12.5

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        qx = np.abs(x - (x0 + w / 2)) - (w / 2 - h / 2)
        qy = np.abs(y - (y0 + h / 2))
        return np.hypot(np.maximum(qx, 0), qy) < h / 2

    svg = convert(covered(inside), tier=1).svg
    assert svg.count("<path") == 0
    rect = attributes(svg, "rect", units_per_px(svg))
    for name, value in (("x", x0), ("y", y0), ("width", w), ("height", h), ("rx", h / 2)):
        assert rect[name] == pytest.approx(value, abs=0.1), (name, rect)


def test_a_rounded_square_filling_the_canvas_comes_out_as_one_rect() -> None:
    """An app-icon-like rounded square whose sides lie on the image's border: only its corners have an
    outside to measure the edge against (shared/primitives.py, `inside_image`)."""
    r = 30.0
    square = rounded_box(0.0, 0.0, SIZE, SIZE, r)
    svg = evaluate(covered(square), parse_params(STEPS), compare_unrefined=False).svg
    rect = attributes(svg, "rect")
    assert svg.count("<path") == 0
    assert rect["rx"] == pytest.approx(r, abs=0.5)
    assert rect.get("x", 0.0) <= 0.1 and rect["width"] >= SIZE - 0.2


def test_a_plate_ending_in_the_outermost_pixels_keeps_its_measured_sides() -> None:
    """A button-like rounded plate whose sides lie 0.66 px inside the border (emojione's new-button):
    the outermost pixels are part covered, and the edge in them is measured against the transparent
    outside the canvas. Read as a copy of the border pixel, that outside matched nothing, the sides
    stayed at the trace's 1 px and the plate stayed a polygon."""
    x0, r = 0.656, 27.4
    x1 = SIZE - x0

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        half, middle = (x1 - x0) / 2, SIZE / 2
        qx, qy = np.abs(x - middle) - (half - r), np.abs(y - middle) - (half - r)
        return np.hypot(np.maximum(qx, 0), np.maximum(qy, 0)) + np.minimum(np.maximum(qx, qy), 0) < r

    svg = convert(covered(inside), tier=1).svg
    assert svg.count("<path") == 0, svg
    rect = attributes(svg, "rect", units_per_px(svg))  # asserts one rect
    for name, value in (("x", x0), ("y", x0), ("width", x1 - x0), ("height", x1 - x0)):
        assert rect[name] == pytest.approx(value, abs=0.1), (name, rect)
    assert rect["rx"] == pytest.approx(r, abs=0.25)


@pytest.mark.parametrize("angle", [0.0, 17.0, 40.0])
def test_a_squares_corners_stay_within_a_tenth_of_a_pixel(angle: float) -> None:
    centre, half, theta = np.array([115.3, 121.2]), 75.0, np.radians(angle)
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    corners = centre + np.array([[-half, -half], [half, -half], [half, half], [-half, half]]) @ rotation.T

    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        u = (x - centre[0]) * np.cos(theta) + (y - centre[1]) * np.sin(theta)
        v = -(x - centre[0]) * np.sin(theta) + (y - centre[1]) * np.cos(theta)
        return (np.abs(u) < half) & (np.abs(v) < half)

    # on a 1/16 px grid: a 1/4 px grid alone can move a corner by 0.18 px
    svg = evaluate(covered(inside), parse_params({**STEPS, "refine_grid": 16}), compare_unrefined=False).svg
    vertices, _, _ = parse_paths([as_lines(re.search(r' d="([^"]*)"', svg).group(1))])
    vertices = vertices / 16
    assert len(vertices) == 4, svg
    nearest = np.min(np.hypot(*(vertices[:, None, :] - corners[None]).transpose(2, 0, 1)), axis=0)
    assert nearest.max() <= 0.1, nearest


@pytest.mark.parametrize("offset", [0.2, 0.3, 0.4])
def test_tier1_keeps_all_four_corners_of_a_square_traced_with_cut_corners(offset: float) -> None:
    """A 115.4 px square 0.2-0.4 px off the pixel grid is traced with all four corners cut by ~0.6 px;
    each must come back sharp (shared/curves.py, `restore_corners`). Every other corner stayed cut
    (the corner restored before it had dropped a vertex its check asked for), and the cut was then
    rounded into a 1 px arc."""
    low, high = 70 + offset, 70 + offset + 115.4
    svg = convert(covered(lambda x, y: (x > low) & (x < high) & (y > low) & (y < high)), tier=1).svg
    view = units_per_px(svg)
    paths = re.findall(r' d="([^"]*)"', svg)
    assert len(paths) == 1 and not re.search(r"[qtcsa]", paths[0]), svg
    vertices, _, _ = parse_paths([as_lines(paths[0])])
    corners = np.array([[low, low], [high, low], [high, high], [low, high]])
    assert len(vertices) == 4, svg
    nearest = np.min(np.hypot(*(vertices[:, None, :] / view - corners[None]).transpose(2, 0, 1)), axis=0)
    assert nearest.max() <= 0.1, nearest


def polygon(corners: np.ndarray):
    """`inside(x, y)` of a simple polygon (even-odd crossings)."""
    def inside(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        odd = np.zeros(x.shape, bool)
        for (x0, y0), (x1, y1) in zip(corners, np.roll(corners, -1, axis=0), strict=True):
            crosses = (y0 > y) != (y1 > y)
            odd ^= crosses & (x < x0 + (y - y0) * (x1 - x0) / np.where(y1 == y0, 1.0, y1 - y0))
        return odd
    return inside


@pytest.mark.parametrize("shift", [0.3, 0.6])
def test_tier1_keeps_a_chevrons_concave_corner_sharp(shift: float) -> None:
    """A chevron whose notch is a 90 degree concave corner between 45 degree sides (devicon's capacitor):
    the trace cuts the notch's tip by ~3 px, and the cut is restored where the input's notch is sharp
    (shared/curves.py, `sharpness`). The convex test alone never passed there: the cut stayed, its
    nearest vertex 0.71 px off the tip, or a side ran into the notch as a curve."""
    chevron = np.array([(60, 40), (140, 120), (60, 200), (35, 175), (90, 120), (35, 65)], float)
    corners = chevron + np.array([shift + 0.1, 0.2])
    svg = convert(covered(polygon(corners)), tier=1).svg
    paths = re.findall(r' d="([^"]*)"', svg)
    assert len(paths) == 1, svg
    view = units_per_px(svg)
    ends = np.array(on_curve_points(paths[0])) / view
    nearest = np.min(np.hypot(*(ends[:, None, :] - corners[None]).transpose(2, 0, 1)), axis=0)
    assert nearest.max() <= 0.2, (nearest, svg)


def test_without_primitives_a_circle_is_fitted_with_a_few_smooth_cubics() -> None:
    rgba = covered(lambda x, y: (x - 128.3) ** 2 + (y - 127.6) ** 2 < 60.2**2)
    curved = evaluate(rgba, parse_params({**STEPS, "primitives": False}), compare_unrefined=False)
    polygon = evaluate(rgba, parse_params({**STEPS, "primitives": False, "fit_curves": False}),
                       compare_unrefined=False)
    d = re.search(r' d="([^"]*)"', curved.svg).group(1)
    assert "c" in d and "l" not in d, d
    assert curved.figures.ssim >= polygon.figures.ssim - 0.0005


def test_the_rounded_rectangles_jacobian_matches_central_differences() -> None:
    from shared.primitive_shapes import _rect_distance, _rect_distance_jacobian

    points = np.random.default_rng(1).uniform(-30, 30, (400, 2))
    for v in ([1.0, 2.0, 12.0, 8.0, 3.0, 0.3], [-2.0, 1.0, 20.0, 5.0, 4.5, -0.7]):
        at = np.array(v)
        analytic = _rect_distance_jacobian(points, *at)
        numeric = np.stack([(_rect_distance(points, *(at + e)) - _rect_distance(points, *(at - e))) / 2e-6
                            for e in np.eye(6) * 1e-6], axis=1)
        assert np.abs(analytic - numeric).max() < 1e-5


def test_a_concave_ring_is_not_tried_as_a_primitive() -> None:
    from shared.primitives import convex

    angles = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    circle = np.c_[50 + 30 * np.cos(angles), 50 + 30 * np.sin(angles)]
    crescent = circle.copy()
    crescent[:10] = 50 + 0.3 * (crescent[:10] - 50)  # a bite out of the disc
    assert convex(circle)
    assert not convex(crescent)
    assert not convex(np.c_[np.arange(8.0), np.arange(8.0)])  # all on a line


def test_an_ellipse_the_input_cannot_tell_from_a_circle_is_snapped_to_a_circle() -> None:
    cx, cy, radius = 128.3, 127.6, 49.75
    rgba = covered(lambda x, y: (x - cx) ** 2 + (y - cy) ** 2 < radius**2)
    near_circle = Primitive("ellipse", cx + 0.1, cy, radius + 0.02, radius - 0.02, angle=-12.4)
    snapped = snap(near_circle, premultiplied(rgba), fill_colours(["#1d4ed8"])[0])
    assert snapped is not None and snapped.kind == "circle", snapped
    assert np.hypot(snapped.cx - cx, snapped.cy - cy) + abs(snapped.rx - radius) <= 0.05
    squashed = Primitive("ellipse", cx, cy, radius, radius * 0.9)  # a true ellipse stays one
    inside = covered(lambda x, y: ((x - cx) / radius) ** 2 + ((y - cy) / (radius * 0.9)) ** 2 < 1)
    kept = snap(squashed, premultiplied(inside), fill_colours(["#1d4ed8"])[0])
    assert kept is not None and kept.kind == "ellipse"


def test_a_repeated_vertex_never_turns_into_a_nan_corner() -> None:
    """A zero-length edge (a ring's repeated vertex, as a 512 px JPEG's trace had) has no line: where
    it would meet another edge there is no point (it gave NaN with a division by zero)."""
    from shared.corners import lines_meet, restore_corners

    point, other = np.array([36.5, 343.25]), np.array([35.75, 340.75])
    assert lines_meet(point, np.zeros(2), other, np.array([-0.25, -63.0])) is None
    square = np.array([[0, 0], [20, 0], [20, 0], [21, 1], [21, 20], [0, 20], [0, 10]], float)
    assert np.isfinite(restore_corners(square, 40.0)).all()


def test_a_small_disc_upscaled_before_tracing_comes_out_as_one_circle_on_its_boundary() -> None:
    """A 64 px disc on a transparent ground is upscaled 4x before tracing (shared/damage.py); its traced
    edge wavers 0.25 px about the circle there (the small image's own aliasing), and the primitives'
    tolerances are in the input's pixels (`source_px`): one <circle> within 0.05 input px."""
    size, centre, radius = 64, 32.3, 22.4
    rgba = covered(lambda x, y: (x - centre) ** 2 + (y - centre) ** 2 <= radius**2, size)
    result = convert(rgba, tier=1)
    assert "small input upscaled 4.0x before tracing" in result.notes
    found = re.findall(r"<circle ([^>]*)/>", result.svg)
    assert len(found) == 1 and "<path" not in result.svg, result.svg
    unit = 2048 / size  # the viewBox's units per input px
    values = {k: float(v) / unit for k, v in re.findall(r'(\w+)="([-\d.]+)"', found[0])}
    assert abs(values["cx"] - centre) < 0.05 and abs(values["cy"] - centre) < 0.05
    assert abs(values["r"] - radius) < 0.05


def test_of_kinds_that_fit_within_a_loose_tolerance_the_nearest_is_taken() -> None:
    """A flat rounded rectangle (a slot, 24 x 8 px, corners of 3 px) fits an ellipse within a loose
    tolerance too; the rounded rectangle, far nearer, is taken (KIND_SLACK)."""
    centres = [(3.0, 3.0), (21.0, 3.0), (21.0, 5.0), (3.0, 5.0)]  # the corners' arcs, a quarter turn each
    ring = np.array([(cx + 3 * np.cos(t), cy + 3 * np.sin(t)) for k, (cx, cy) in enumerate(centres)
                     for t in np.linspace(np.pi * (1 + k / 2), np.pi * (1.5 + k / 2), 6)])
    points, weights = edge_points(ring)
    assert fit_ellipse(points, weights) is not None
    loose = fit_primitive(points, weights, tolerance=2.0, max_error=4.0)
    assert loose is not None and loose.kind == "rect", loose


def test_a_gradient_disc_traced_flat_snaps_to_its_true_circle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A disc shaded by a radial gradient from pale yellow to orange, traced as one flat region: its
    boundary points are measured against the colour the input shows inside the rim, so the circle lands
    within 0.03 px of the true one (against the flat fill its radius came out 0.067 px short)."""
    import shared.primitives
    from shared.candidate import trace_drawing
    from shared.features import compute_features
    from shared.refine import refine_drawing
    from shared.render import render_svg
    from shared.tiers.tier1 import formula_params

    svg = ('<svg xmlns="http://www.w3.org/2000/svg" width="256" height="256" viewBox="0 0 128 128"><defs>'
           '<radialGradient id="g" cx="0.35" cy="0.35" r="0.75"><stop offset="0" stop-color="#ffe08a"/>'
           '<stop offset="1" stop-color="#d9822b"/></radialGradient></defs>'
           '<circle cx="63.3" cy="64.6" r="50.2" fill="url(#g)"/></svg>')
    rgba = render_svg(svg, 256, 256)
    params = formula_params(compute_features(rgba))
    refined = refine_drawing(trace_drawing(rgba, params), rgba, params.steps.refine_grid)
    circles = {}
    for on in (True, False):
        monkeypatch.setattr(shared.primitives, "PRIMITIVE_INSIDES", on)
        fitted = find_primitives(refined, rgba).fitted.values()
        (circles[on],) = [o for o in fitted if isinstance(o, Primitive)]
    on, off = circles[True], circles[False]
    assert on.kind == "circle" and np.hypot(on.cx - 126.6, on.cy - 129.2) <= 0.03
    assert abs(on.rx - 100.4) <= 0.03
    assert off.rx < 100.4 - 0.05


def test_a_faint_disc_on_a_flat_ground_is_measured_as_its_circle(monkeypatch: pytest.MonkeyPatch) -> None:
    """A crater of emojione's full moon: #E0D03A on #F5EB35, a contrast of 0.136, under MIN_CONTRAST.
    Its profiles are clean steps (`LOW_CONTRAST`), so its edge is measured: one circle on its boundary.
    Without (LOW_CONTRAST at MIN_CONTRAST) it stayed the trace's polygon."""
    import shared.edge_profiles

    disc = covered(lambda x, y: np.hypot(x - 118.3, y - 131.6) < 37.2)[..., 3:] / 255.0
    rgba = np.full((SIZE, SIZE, 4), 255, np.uint8)
    rgba[..., :3] = np.round(np.array([245, 235, 53]) * (1 - disc) + np.array([224, 208, 58]) * disc)
    circle = attributes(convert(rgba, tier=1).svg, "circle")  # in 1/4 px: halved, px on Tier 1's 1/8 grid
    assert abs(circle["cx"] / 2 - 118.3) < 0.05 and abs(circle["cy"] / 2 - 131.6) < 0.05
    assert abs(circle["r"] / 2 - 37.2) < 0.05
    monkeypatch.setattr(shared.edge_profiles, "LOW_CONTRAST", shared.edge_profiles.MIN_CONTRAST)
    assert "<circle" not in convert(rgba, tier=1).svg


@pytest.mark.parametrize("radius", [2.1, 2.5, 2.9])
def test_tier1_writes_a_dot_of_a_few_pixels_as_one_circle(radius: float) -> None:
    """A dot of radius 2-3 px is traced as a square or a pentagon (4-5 vertices), which was never tried
    as a primitive; its spline kept a corner where a facet turns past 80 degrees (gutenberg's dots:
    almonds at 4x)."""
    cx, cy = 100.3, 90.6
    svg = convert(covered(lambda x, y: (x - cx) ** 2 + (y - cy) ** 2 < radius**2), tier=1).svg
    assert "<path" not in svg, svg
    circle = attributes(svg, "circle", units_per_px(svg))
    assert np.hypot(circle["cx"] - cx, circle["cy"] - cy) + abs(circle["r"] - radius) <= 0.1, circle


@pytest.mark.parametrize("side", [4.6, 6.2, 8.1])
def test_tier1_keeps_a_small_square_a_square(side: float) -> None:
    """The other side of trying rings of 4-5 vertices as circles and rectangles: a small sharp square
    must stay four corners (its measured edge rejects a circle or a rounded rectangle; one of 3.3 px is
    traced as a diamond, and may come out as the circle of its area)."""
    low = 60.35
    rgba = covered(lambda x, y: (x > low) & (x < low + side) & (y > low) & (y < low + side))
    svg = convert(rgba, tier=1).svg
    paths = re.findall(r' d="([^"]*)"', svg)
    assert len(paths) == 1 and not re.search(r"[qtcsa]", paths[0]) and "<circle" not in svg, svg


def test_a_notch_below_a_hole_is_not_restored_up_through_the_bar_between_them() -> None:
    """An R's leg notch whose 5 px top edge is a cut the ring turns concave at: its sides' lines meet 5 px
    up, just under the bowl's counter (a hole). Sampled beside the counter's edge, the convex test took
    the counter for the outside and the filled bar for a sharp corner, and the notch was restored up
    through the bar (the `ram` logo); told the corner is concave, the notch test finds the bar filled."""
    from shared.corners import restore_corners, sharpness

    outline = np.array([[10, 10], [64, 10], [64, 60], [57, 60], [35, 38], [30, 38], [30, 60], [10, 60]])
    counter = np.array([[28.5, 15], [50, 15], [50, 32.8], [28.5, 32.8]])
    size = 72
    rgba = covered(lambda x, y: polygon(outline)(x, y) & ~polygon(counter)(x, y), size)
    ring = outline.astype(float)
    fill = np.array([*COLOUR, 255]) / 255.0
    restored = restore_corners(ring, 40.0, sharpness(premultiplied(rgba), fill))
    assert np.array_equal(restored, ring), restored  # the notch's top edge stays
