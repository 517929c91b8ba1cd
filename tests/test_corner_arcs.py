"""Rounded corners between straight sides as circular arcs (shared/corner_arcs.py, used by
shared/splines.py): the arc tangent to both sides is found though the polygon's vertices sit off the
tangent points, is written as quadratics within 0.31 % of its radius, and is refused where the sides
barely turn or the tangent points lie out of reach; through the pipeline a rounded rectangle's bends
that stayed polygons become arcs, truer at 4x."""

import numpy as np
import pytest

from shared.corner_arcs import CornerArc, Side, corner_arc, run_arc
from shared.pipeline import convert
from shared.quality import alpha_aware_ssim
from shared.render import render_svg
from tests.test_splines import NO_PRIMITIVES, SIDE, _rounded_rectangle

CENTRE, RADIUS = np.array([50.0, 50.0]), 12.0


def _quarter(tail_off: float = 1.5, reach: float = 5.0) -> tuple[Side, Side, np.ndarray]:
    """A quarter circle from (50, 38) along +x to (62, 50) along +y, its sides' polygon vertices 1.5 px
    before the first tangent point and `tail_off` px after the second, and points on it and its sides."""
    head = Side(np.array([48.5, 38.0]), np.array([1.0, 0.0]), reach)
    tail = Side(np.array([62.0, 50.0 + tail_off]), np.array([0.0, 1.0]), reach)
    angles = np.radians(np.linspace(-90, 0, 25))
    arc = CENTRE + RADIUS * np.column_stack([np.cos(angles), np.sin(angles)])
    sides = np.array([[46.0, 38.0], [48.0, 38.0], [62.0, 52.0], [62.0, 54.0]])
    return head, tail, np.vstack([arc, sides])


def _quadratic(start: np.ndarray, control: np.ndarray, end: np.ndarray) -> np.ndarray:
    u = np.linspace(0, 1, 50)[:, None]
    return (1 - u) ** 2 * start + 2 * u * (1 - u) * control + u**2 * end


def test_the_tangent_circle_is_found_from_vertices_off_the_tangent_points() -> None:
    head, tail, data = _quarter()
    arc = corner_arc(head, tail, data, np.ones(len(data)))
    assert arc is not None
    assert np.allclose(arc.start, [50.0, 38.0], atol=0.01)
    assert np.allclose(arc.ends[-1], [62.0, 50.0], atol=0.01)
    assert arc.errors.max() < 0.01
    assert len(arc.controls) == 2  # 90 degrees in two 45-degree quadratics
    starts = np.vstack([arc.start[None], arc.ends[:-1]])
    for start, control, end in zip(starts, arc.controls, arc.ends, strict=True):
        radii = np.hypot(*(_quadratic(start, control, end) - CENTRE).T)
        assert radii.min() > RADIUS - 0.01 and radii.max() < RADIUS * 1.0031 + 0.01
    joint = (arc.controls[0] + arc.controls[1]) / 2  # a quadratic B-spline: `t` continues it
    assert np.allclose(joint, arc.ends[0], atol=1e-9)


@pytest.mark.parametrize("case", ["barely turning", "out of reach", "too few points"])
def test_no_arc_where_the_sides_barely_turn_or_it_lies_out_of_reach(case: str) -> None:
    # out of reach: the head's tangent length lies within 13-14 px of the sides' crossing, the tail's
    # within 10-11 px
    head, tail, data = _quarter(*((-1.5, 0.5) if case == "out of reach" else (1.5, 5.0)))
    if case == "barely turning":
        tail = Side(tail.vertex, np.array([np.cos(0.01), np.sin(0.01)]), tail.reach)
    if case == "too few points":
        data = data[:2]
    assert corner_arc(head, tail, data, np.ones(len(data))) is None


def test_a_rounded_rectangles_polygon_bends_become_arcs_truer_at_4x(monkeypatch: pytest.MonkeyPatch) -> None:
    """At a 24 px corner radius (128 px image) the arcs tangent to the sides are truer at 4x than what
    the spline fit makes of the bends without them (at 1x within 0.001: the polygon fits the anti-aliased
    pixels as closely; 0.0005 until the sides' bent segments were split before refinement,
    `refine.split_bends`, which took the arcs' 4x 0.99384 -> 0.99403 and 1x 0.99812 -> 0.99779). The
    spline fit left the bends polygons (4x 0.99365 against the arcs' 0.99398) until its points moved to
    their nearest segment (shared/spline_fit.py, `_nearer_segments`): 0.99367 against 0.99385; and 0.99398
    against 0.99403 since a bend's 10 px facets that bow are no straight sides to split it at
    (shared/straight_sides.py, `STRAIGHT_BOW_PX`)."""
    import shared.splines

    rgba, source = _rounded_rectangle(SIDE, 24.0), _rounded_rectangle(SIDE * 4, 24.0)
    arcs = convert(rgba, tier=1, overrides=NO_PRIMITIVES)
    monkeypatch.setattr(shared.splines, "ARC_REACH", 0.0)
    polygons = convert(rgba, tier=1, overrides=NO_PRIMITIVES)
    assert arcs.svg != polygons.svg
    at_4x = [alpha_aware_ssim(source, render_svg(r.svg, SIDE * 4, SIDE * 4))[0] for r in (polygons, arcs)]
    assert at_4x[1] > at_4x[0] + 0.00002
    assert arcs.figures.ssim > polygons.figures.ssim - 0.001


def _on_arc(centre: np.ndarray, radius: float, degrees: np.ndarray) -> np.ndarray:
    angles = np.radians(degrees)
    return centre + radius * np.column_stack([np.cos(angles), np.sin(angles)])


def _arc_radii(arc: CornerArc, centre: np.ndarray) -> np.ndarray:
    starts = np.vstack([arc.start[None], arc.ends[:-1]])
    return np.concatenate([np.hypot(*(_quadratic(s, c, e) - centre).T)
                           for s, c, e in zip(starts, arc.controls, arc.ends, strict=True)])


def test_a_runs_arc_is_its_measured_points_circle_with_a_corner_moved_along_its_side() -> None:
    """A 60-degree run of radius 40 px between a corner on a radial side (its polygon vertex 0.5 px off
    the circle, along the side) and a fixed corner; points measured with 0.02 px noise, the last one
    0.4 px off (the rounded foot of a corner): the circle is found within 0.03 px, the first corner
    moves onto it along its side, and the quadratics join as one B-spline."""
    centre, radius = np.array([100.0, 100.0]), 40.0
    points = _on_arc(centre, radius, np.linspace(-60.0, 0.0, 31))
    outward = (points[0] - centre) / radius
    vertex = points[0] + 0.5 * outward
    data = points[1:-1] + np.random.default_rng(3).normal(0.0, 0.02, (29, 2))
    data[-1] += 0.4 * (data[-1] - centre) / radius
    arc = run_arc(vertex, points[-1], data, np.ones(len(data), bool), Side(vertex, outward, 1.0), None)
    assert arc is not None
    assert np.allclose(arc.start, points[0], atol=0.03)
    assert np.array_equal(arc.ends[-1], points[-1])
    radii = _arc_radii(arc, centre)
    assert np.abs(radii - radius).max() < 0.03
    assert np.allclose((arc.controls[:-1] + arc.controls[1:]) / 2, arc.ends[:-1], atol=1e-9)


def test_a_ring_cut_by_a_shape_over_it_is_one_arc_the_long_way_round() -> None:
    """The inner edge of a stroked circle that a shape painted over it cuts (a C): a run of 330 degrees
    between two fixed corners 28 px apart across the cut, points measured with 0.08 px noise:
    one arc within 0.03 px of the circle, turning the long way round (through the run's points, not
    across the cut), where a spline would follow the noise."""
    centre, radius = np.array([110.0, 97.5]), 54.6
    points = _on_arc(centre, radius, np.linspace(15.0, 345.0, 200))
    data = points[1:-1] + np.random.default_rng(7).normal(0.0, 0.08, (198, 2))
    arc = run_arc(points[0], points[-1], data, np.ones(len(data), bool), None, None)
    assert arc is not None
    assert np.abs(_arc_radii(arc, centre) - radius).max() < 0.03
    assert len(arc.controls) >= 330 / 45
    middle = arc.ends[len(arc.ends) // 2]
    assert middle[0] < centre[0] - radius / 2  # the far side of the circle from the cut at 0 degrees


def test_a_run_arc_passes_its_fixed_corners_and_needs_three_measured_points() -> None:
    """A corner without a side to move along stays where it is: the circle bends through one 0.3 px off
    and its errors tell the caller (shared/splines.py compares them with the spline's)."""
    centre, radius = np.array([100.0, 100.0]), 40.0
    points = _on_arc(centre, radius, np.linspace(-60.0, 0.0, 31))
    data, measured = points[1:-1], np.ones(29, bool)
    true = run_arc(points[0], points[-1], data, measured, None, None)
    assert true is not None and true.errors.max() < 0.01
    off = points[-1] + 0.3 * (points[-1] - centre) / radius
    bent = run_arc(points[0], off, data, measured, None, None)
    assert bent is not None and np.array_equal(bent.ends[-1], off) and bent.errors.max() > 0.2
    measured[2:] = False
    assert run_arc(points[0], points[-1], data, measured, None, None) is None


def test_a_u_turn_is_the_half_circle_between_its_sides(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stroke's round end of radius 16.2 px between sides 32.5 px apart whose polygon vertices sit 4.2 px
    into the bend (where a trace simplified within 0.625 px runs them), points measured with 0.02 px noise:
    the half circle between the sides' lines is found, its tangent points moved up the sides. The
    points' own circle (U_TURN_DEGREES 0) misses one side by more than TANGENT_MISS_PX, and the
    reach of 2.5 px is too short for the other: no arc."""
    import shared.corner_arcs

    centre, radius = np.array([108.0, 194.2]), 16.25
    points = _on_arc(centre, radius, np.linspace(0.0, 180.0, 37))
    head_vertex, tail_vertex = np.array([124.25, 198.4]), np.array([91.75, 198.4])
    head = Side(head_vertex, np.array([0.0, 1.0]), 2.5, 26.0)  # down the right side, into the bend
    tail = Side(tail_vertex, np.array([0.0, -1.0]), 2.5, 26.0)  # up the left side, out of it
    inside = points[:, 1] > 198.4  # the points between the polygon's vertices
    rng = np.random.default_rng(5)
    data = points[inside] + rng.normal(0.0, 0.02, (int(inside.sum()), 2))
    data[:, 0] += 0.07 * (data[:, 0] < centre[0])  # the left half measured 0.07 px in: its circle is off
    measured = np.ones(len(data), bool)
    arc = run_arc(head_vertex, tail_vertex, data, measured, head, tail)
    assert arc is not None
    assert np.allclose(arc.start, [124.25, 194.2], atol=0.1)
    assert np.allclose(arc.ends[-1], [91.75, 194.2], atol=0.1)
    assert np.abs(_arc_radii(arc, np.array([108.0, arc.start[1]])) - radius).max() < 0.03
    assert arc.errors.max() < 0.1
    monkeypatch.setattr(shared.corner_arcs, "U_TURN_DEGREES", 0.0)
    assert run_arc(head_vertex, tail_vertex, data, measured, head, tail) is None


@pytest.mark.parametrize("radius", [3.0, 12.0, 40.0, 150.0])
def test_a_run_arcs_quadratics_stay_within_the_error_of_their_circle(radius: float) -> None:
    """A run arc is written in the widest steps whose quadratics lie within RUN_ARC_ERROR_PX of its
    circle: no wider (the 4x render would leave the circle), and no narrower than half the error allows
    where under the 45 degree cap (each extra step is bytes)."""
    from shared.corner_arcs import ARC_STEP_DEGREES, RUN_ARC_ERROR_PX, _quadratics, _step_degrees

    step = _step_degrees(radius)
    centre, start = np.array([10.0, -4.0]), np.array([10.0 + radius, -4.0])
    controls, ends = _quadratics(centre, radius, start, np.radians(170.0), step)
    starts = np.vstack([start, ends[:-1]])
    u = np.linspace(0.0, 1.0, 201)[:, None, None]
    curve = (1 - u) ** 2 * starts + 2 * u * (1 - u) * controls + u**2 * ends
    bulge = np.abs(np.hypot(*(curve - centre).transpose(2, 0, 1)) - radius).max()
    assert bulge <= RUN_ARC_ERROR_PX * 1.001
    if step < ARC_STEP_DEGREES:
        assert bulge >= RUN_ARC_ERROR_PX * 0.3  # 170 degrees in equal steps: some slack
