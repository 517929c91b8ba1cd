"""Straight sides (shared/straight_sides.py): which long edges of a traced ring are sides rather than a
bend's facets, so shared/splines.py fits the bends between them on their own, and which runs are one
line between their corners."""

import re

import numpy as np
import pytest

from shared import straight_sides
from shared.candidate import shape_drawing, trace_drawing
from shared.features import compute_features
from shared.splines import spline_ring
from shared.straight_sides import edge_bows, straight_edges
from shared.svg import write_svg
from shared.tiers import tier1
from tests.path_text import on_curve_points
from tests.ring_fixtures import load_ring
from tests.spline_points import spline_points
from tests.test_splines import NO_PRIMITIVES


def test_straight_edges_are_sides_much_longer_than_a_neighbour() -> None:
    flat = np.zeros(8)
    assert straight_edges(np.array([40.0, 3, 3, 3, 40, 3, 3, 3]), flat).tolist() == [
        True, False, False, False, True, False, False, False]
    assert not straight_edges(np.full(12, 9.0), np.zeros(12)).any()  # a large circle's facets: all alike
    assert not straight_edges(np.array([8.0, 3, 3, 3, 8, 3, 3, 3]), flat).any()  # short: a bend's facets
    bowed = np.array([0.0, 0, 0, 0, 0.3, 0, 0, 0])
    facet = np.array([40.0, 3, 3, 3, 12, 3, 3, 3])  # edge 4: a 12 px facet of a wide bend
    assert straight_edges(facet, bowed).tolist() == [True, False, False, False, False, False, False, False]
    side = np.array([40.0, 3, 3, 3, 40, 3, 3, 3])  # edge 4: a 40 px side whose end points lie on bends
    assert straight_edges(side, bowed)[4]


def test_an_edges_bow_is_its_measured_points_distance_from_the_line_through_its_outermost() -> None:
    along = np.linspace(0.5, 9.5, 4)
    data = np.vstack([np.column_stack([along, 0.3 * np.sin(np.pi * along / 10)]),  # an arc-like facet
                      np.column_stack([np.full(4, 10.0), along]), [[5.0, 10.0], [2.0, 10.0]]])
    edge = np.repeat([0, 1, 2], [4, 4, 2])
    measured = np.ones(10, bool)
    measured[5] = False  # unmeasured points do not count
    assert np.allclose(edge_bows(data, measured, edge, 4), [0.3 * np.sin(np.pi * 0.35) - 0.3 * np.sin(
        np.pi * 0.05), 0.0, 0.0, 0.0])  # fewer than 3 measured points: 0


def test_a_wide_rounded_corners_long_facet_is_no_straight_side(monkeypatch: pytest.MonkeyPatch) -> None:
    """Twemoji's flag of the Gambia at 256 px: its top stripe's corner, a quarter circle of r = 28.4 px,
    is traced with facets of 10.7, 6.4, 7.5 and 9.5 px, and the first passed as a straight side (10 px
    or more, 1.5 times a neighbour): drawn straight, with the bend after it tangent to it, the corner
    lay 0.56 px off its circle, a kink at 4x. Its measured points bow 0.28 px off a line, so it is a
    facet (shared/straight_sides.py, `STRAIGHT_BOW_PX`) and the corner one bend, 0.10 px off at most."""
    ring, moved, samples, first = load_ring("twemoji-gambia-flag-ring.json")
    centre, radius = np.array([4.0, 9.0]) * 256 / 36, 4.0 * 256 / 36  # the source's arc, 36 units wide

    def corner_error() -> float:
        spline = spline_ring(ring, moved, samples, first, 40.0)
        assert spline is not None
        points = spline_points(spline)
        corner = points[(points[:, 0] < centre[0]) & (points[:, 1] < centre[1])]
        return float(np.abs(np.hypot(*(corner - centre).T) - radius).max())

    assert corner_error() < 0.12
    monkeypatch.setattr(straight_sides, "STRAIGHT_BOW_PX", 0.0)
    assert corner_error() > 0.4


def test_a_slanted_side_between_corners_stays_straight(monkeypatch: pytest.MonkeyPatch) -> None:
    """A parallelogram whose slanted sides the trace stepped into jogs: each side is one line between
    its corners (shared/straight_sides.py, `STRAIGHT_RUN_PX`). A spline or an arc through the jogs' measured
    points bowed it (`q` and `t` runs, ~0.1 px off the line at 1x) where nothing but lines is drawn."""
    from bench.synthetic import render

    svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">'
           '<polygon points="61,200 101,60 201,60 161,200" fill="#3060c0"/></svg>')
    rgba = render(svg, 256)
    params = tier1.formula_params(compute_features(rgba)).with_overrides(NO_PRIMITIVES)
    path = re.findall(r' d="([^"]*)"', write_svg(shape_drawing(trace_drawing(rgba, params), rgba, params)))
    assert len(path) == 1 and not re.search(r"[qtQT]", path[0]) and len(on_curve_points(path[0])) == 4, path
    monkeypatch.setattr(straight_sides, "STRAIGHT_RUN_PX", 0.0)
    bowed = write_svg(shape_drawing(trace_drawing(rgba, params), rgba, params))
    assert re.search(r"[qt]", bowed)  # the test can fail
