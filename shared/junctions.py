"""Corners at junctions: where a curved run meets another side, the point where the two sides' curves
cross (shared/splines.py fits runs between such points where that fits better than between the corners).

Refinement (shared/refine.py) turns each edge onto the input's boundary as a straight line, and a
corner is where two such lines meet. Where a run beside a corner is a curve, the edge there is a facet
of it whose line runs outside the curve: the corner lands off the curve, by about the facet's sagitta
stretched over the angle the two sides meet at (Emojione's princess at 256 px: her eye white's run
along the iris, 9.6 px facets of an r = 18 px circle, meets the eyelid at corners 1.0 and 1.5 px off the
circle). A spline clamped to such a corner fits the run's measured points no nearer than the polygon,
so the run stayed facets, and a run arc through the corner misses it.

Each side of a corner is fitted from its measured edge points: the whole run up to the next corner
where one circle (shared/corner_arcs.py, `fitted_circle`) or line lies within `FIT_RMS_PX` of them
(RMS), else the points within `REACH_PX` of the corner. Where both sides fit, the crossing of the two
curves nearest the corner, within `MOVE_PX` of it, is its junction.
"""

from dataclasses import dataclass, field

import numpy as np

from shared.corner_arcs import fitted_circle, line_circle_roots
from shared.corners import lines_meet

REACH_PX = 12.0  # a side's points within this far along the ring from the corner (input px)
MIN_POINTS = 3  # measured points a side needs
FIT_RMS_PX = 0.08  # a side's circle or line must lie this near its points (RMS, input px)
MOVE_PX = 3.0  # a corner moves at most this far (input px); 0: never
MIN_MOVE_PX = 0.1  # ... and not for less
LINE_RADIUS = 20.0  # a circle wider than this many times its points' spread is a line

SideCurve = tuple[np.ndarray, np.ndarray, float | None]  # a side's curve: (centre, (0, 0), radius) of a
# circle, or (a point, its unit direction, None) of a line


@dataclass
class Junctions:
    """Where a ring's corners would lie at the crossing of their two sides' curves (see the module
    docstring), worked out for a corner when asked (most runs fit without): `corners` all the ring's
    corners (vertex indices), `movable` those that may move; `data` the ring's edge points (`measured`
    ones on the input's edge), `along` their arc length from the ring's first vertex, `at_vertex` each
    vertex's (the total last)."""

    ring: np.ndarray
    corners: np.ndarray
    movable: np.ndarray
    data: np.ndarray
    measured: np.ndarray
    along: np.ndarray
    at_vertex: np.ndarray
    found: dict[int, np.ndarray | None] = field(default_factory=dict)
    runs: dict[tuple[int, int], SideCurve | None] = field(default_factory=dict)

    def at(self, corner: int) -> np.ndarray | None:
        """Where `corner` moves to, None where it stays."""
        if corner not in self.found:
            self.found[corner] = self._junction(corner)
        return self.found[corner]

    def _junction(self, corner: int) -> np.ndarray | None:
        if MOVE_PX <= 0 or len(self.corners) < 2 or corner not in self.movable:
            return None
        ordered = np.sort(self.corners)
        k = int(np.searchsorted(ordered, corner))
        earlier, later = int(ordered[k - 1]), int(ordered[(k + 1) % len(ordered)])
        sides = []
        for run, after in (((earlier, corner), False), ((corner, later), True)):
            side = self._run_side(*run) or self._near_side(corner, run, after)
            if side is None:
                return None
            sides.append(side)
        meet = _crossing(sides[0], sides[1], self.ring[corner])
        if meet is None or not MIN_MOVE_PX <= float(np.hypot(*(meet - self.ring[corner]))) <= MOVE_PX:
            return None
        return meet

    def _span(self, start: int, end: int) -> float:
        """The arc length from corner `start` to corner `end` along the ring (wrapping past its start)."""
        return float((self.at_vertex[end] - self.at_vertex[start]) % self.at_vertex[-1])

    def _near_side(self, corner: int, run: tuple[int, int], after: bool) -> SideCurve | None:
        """The curve of `run`'s measured points within REACH_PX of `corner` along the ring (after it
        where `after`, before it otherwise): a side whose whole run no curve fits."""
        offset = self.along - self.at_vertex[corner]
        gap = (offset if after else -offset) % self.at_vertex[-1]
        return _side(self.data[self.measured & (gap <= min(REACH_PX, self._span(*run)))])

    def _run_side(self, start: int, end: int) -> SideCurve | None:
        """The curve of the run from corner `start` to corner `end`, where one fits all its measured points
        (each run is the side of two corners: fitted once)."""
        if (start, end) not in self.runs:
            gap = (self.along - self.at_vertex[start]) % self.at_vertex[-1]
            self.runs[(start, end)] = _side(self.data[self.measured & (gap <= self._span(start, end))])
        return self.runs[(start, end)]


def _side(points: np.ndarray) -> SideCurve | None:
    """The circle (centre, (0, 0), radius) or line (point, unit direction, None) through a side's
    points, None where there are too few or neither lies within FIT_RMS_PX of them."""
    if len(points) < MIN_POINTS:
        return None
    mean = points.mean(axis=0)
    spread = float(np.sqrt(((points - mean) ** 2).sum(axis=1).mean()))
    circle = fitted_circle(points, np.ones(len(points)))
    if circle is not None and circle[1] < LINE_RADIUS * max(spread, 1e-9):
        centre, radius = circle
        gaps = np.hypot(*(points - centre).T) - radius
        return (centre, np.zeros(2), radius) if float(np.sqrt(np.mean(gaps**2))) <= FIT_RMS_PX else None
    _, _, vt = np.linalg.svd(points - mean)
    direction = vt[0]
    gaps = (points - mean) @ np.array([-direction[1], direction[0]])
    return (mean, direction, None) if float(np.sqrt(np.mean(gaps**2))) <= FIT_RMS_PX else None


def _crossing(a: SideCurve, b: SideCurve, near: np.ndarray) -> np.ndarray | None:
    """The crossing of two sides' curves nearest `near`, None where they do not cross."""
    if a[2] is None and b[2] is None:
        return lines_meet(a[0], a[1], b[0], b[1])
    if a[2] is None or b[2] is None:
        line, circle = (a, b) if a[2] is None else (b, a)
        roots = line_circle_roots(line[0], line[1], circle[0], float(circle[2]))
        found = [] if roots is None else [line[0] + t * line[1] for t in roots]
    else:
        found = _circle_circle(a[0], float(a[2]), b[0], float(b[2]))
    if not found:
        return None
    return min(found, key=lambda p: float(np.hypot(*(p - near))))


def _circle_circle(c0: np.ndarray, r0: float, c1: np.ndarray, r1: float) -> list[np.ndarray]:
    between = c1 - c0
    d = float(np.hypot(*between))
    if d < 1e-9 or d > r0 + r1 or d < abs(r0 - r1):
        return []
    along = (d * d + r0 * r0 - r1 * r1) / (2 * d)
    height = np.sqrt(max(r0 * r0 - along * along, 0.0))
    unit = between / d
    base = c0 + along * unit
    normal = np.array([-unit[1], unit[0]])
    return [base + height * normal, base - height * normal]
