"""Rounded corners between straight sides as circular arcs, written as quadratic B-spline runs.

A bend between two straight sides of a ring (a rounded rectangle's corner, a shield's shoulder) is
most often a circular arc in the source, tangent to both sides. shared/splines.py fits bends as
uniform quadratic B-splines from the polygon's vertices with their ends fixed at the polygon's
vertices; where the polygon's facets begin a little before or after the true tangent points, that fit
cannot follow both the side and the bend and the bend stays a polygon (its facets show at 4x).

Here the bend is the circle tangent to both sides' lines whose radius best fits the measured edge
points (least squares on each point's distance from the outline the arc makes with its sides; one
unknown, since the centre lies on the lines' bisector), the tangent points free to lie up to a reach
along each side. The arc is written as
quadratics of at most ARC_STEP_DEGREES each with their controls where the circle's tangents meet: on a
circle the joint of two such quadratics is the middle of their controls, so the run is a quadratic
B-spline (SVG `q` then `t`, one coordinate pair per control) and within 0.31 % of the radius of the
circle (45-degree steps).
"""

from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

ARC_STEP_DEGREES = 45.0  # each quadratic spans at most this much of the arc
MAX_TURN_DEGREES = 150.0  # bends turning more (nearly parallel sides) have no useful tangent circle


@dataclass(frozen=True)
class Side:
    """A straight side that a bend continues: the polygon `vertex` where they meet, the side's unit
    `direction` in the ring's order, and how far (`reach`, input px) along its line the arc's tangent
    point may lie from `vertex` either way."""

    vertex: np.ndarray
    direction: np.ndarray
    reach: float


@dataclass(frozen=True)
class CornerArc:
    """A fitted arc: its first tangent point `start`, its quadratics' `controls` and `ends` (the last
    end is the second tangent point), and each fitting point's distance (px) from the outline the arc
    makes with its sides (`_distances`)."""

    start: np.ndarray
    controls: np.ndarray
    ends: np.ndarray
    errors: np.ndarray


def corner_arc(head: Side, tail: Side, data: np.ndarray, weight: np.ndarray) -> CornerArc | None:
    """The arc tangent to the lines of `head` (the side before the bend) and `tail` (the side after) that
    fits the points `data` (n, 2; `weight` each) best, None where the sides turn by under 1 or over
    MAX_TURN_DEGREES degrees, there are under 3 points, or no radius puts both tangent points within
    reach. (Points that bend the other way are left to the caller's test of `errors`.)"""
    d0, d1 = head.direction, tail.direction
    cross = float(d0[0] * d1[1] - d0[1] * d1[0])
    turn = float(np.arctan2(cross, float(d0 @ d1)))
    if not np.radians(1.0) <= abs(turn) <= np.radians(MAX_TURN_DEGREES) or len(data) < 3:
        return None
    along = np.linalg.solve(np.column_stack([d0, -d1]), tail.vertex - head.vertex)  # the lines' crossing
    crossing = head.vertex + along[0] * d0
    half = np.tan(abs(turn) / 2)  # tangent length per unit of radius
    # tangent length t puts the tangent points at head.vertex + (along[0] - t) d0 and tail.vertex +
    # (along[1] + t) d1: both within reach
    low = max(along[0] - head.reach, -along[1] - tail.reach, 1e-3)
    high = min(along[0] + head.reach, -along[1] + tail.reach)
    if high <= low:
        return None
    towards_centre = np.sign(turn) * _left(d0) - half * d0

    def placed(radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The circle's centre and its two tangent points at `radius`."""
        tangent = radius * half
        return crossing + radius * towards_centre, crossing - tangent * d0, crossing + tangent * d1

    def squared_error(radius: float) -> float:
        centre, start, end = placed(radius)
        gaps = _distances(data, centre, radius, start, d0, end, d1)
        return float(weight @ (gaps * gaps))

    radius = float(minimize_scalar(squared_error, bounds=(low / half, high / half), method="bounded",
                                   options={"xatol": 1e-4}).x)
    centre, start, _ = placed(radius)
    steps = int(np.ceil(abs(np.degrees(turn)) / ARC_STEP_DEGREES - 1e-9))
    step = turn / steps
    first = (start - centre) / radius
    angles = step * np.arange(1, steps + 1)
    ends = centre + radius * _rotated(first, angles)
    controls = centre + radius / np.cos(step / 2) * _rotated(first, angles - step / 2)
    return CornerArc(start, controls, ends, _distances(data, centre, radius, start, d0, ends[-1], d1))


def _rotated(unit: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """(n, 2): `unit` turned by each of `angles` (radians; positive turns x towards y)."""
    cos, sin = np.cos(angles), np.sin(angles)
    return np.column_stack([cos * unit[0] - sin * unit[1], sin * unit[0] + cos * unit[1]])


def _left(direction: np.ndarray) -> np.ndarray:
    """`direction` turned by +90 degrees (x towards y)."""
    return np.array([-direction[1], direction[0]])


def _distances(data: np.ndarray, centre: np.ndarray, radius: float, start: np.ndarray, d0: np.ndarray,
               end: np.ndarray, d1: np.ndarray) -> np.ndarray:
    """Each point's distance from the outline the arc makes with its sides: from the side before it
    where the point lies before the first tangent point, from the side after it past the second, and
    from the circle between them."""
    before, after = (data - start) @ d0 < 0, (data - end) @ d1 > 0
    to_head = np.abs((data - start) @ _left(d0))
    to_tail = np.abs((data - end) @ _left(d1))
    to_circle = np.abs(np.hypot(*(data - centre).T) - radius)
    return np.where(before, to_head, np.where(after, to_tail, to_circle))
