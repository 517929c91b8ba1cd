"""Circular arcs written as quadratic B-spline runs: rounded corners between straight sides
(`corner_arc`) and whole runs between two corners (`run_arc`, below).

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

A run between two corners that is an arc of a circle (the ring of a gear between its teeth, a rounded
tab) is fitted as one (`run_arc`): the circle nearest its measured edge points, the run's corners moved
along the straight edges beside them onto it, written in steps whose quadratics stay within
RUN_ARC_ERROR_PX of the circle (shared/splines.py compares it with the run's spline).
"""

from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import minimize_scalar

from shared.corners import turns_between

ARC_STEP_DEGREES = 45.0  # each quadratic spans at most this much of the arc
MAX_TURN_DEGREES = 150.0  # bends turning more (nearly parallel sides) have no useful tangent circle
RUN_ARC_ERROR_PX = 0.02  # a run arc's quadratics lie this close to its circle (input px; 0.01 until
# 2026-12-04: the same SSIM, 0.4 % more bytes)
MAX_RUN_TURN_DEGREES = 359.0  # a run between two corners turning more is no arc of ours (`run_arc`). 270
# until 2026-12-07: a ring cut by a shape over it (a generated logo's stroked circle under a triangle)
# kept its inner edge as a spline wavering 0.1-0.2 px about the circle; 13 of 295 dev images changed,
# all up at 4x (docs/findings.md, "Run arcs of up to 359 degrees")
FIXED_WEIGHT = 100.0  # a corner that stays weighs this many times the run's points in the circle fit ...
FIXED_MISS_PX = 0.05  # ... which must pass it within this much (input px)
OUTLIER_PX, OUTLIER_SPREAD = 0.15, 3.0  # a point off the first circle by more than both (px, times the
# median) is left out of the next fit, for up to this many rounds:
OUTLIER_ROUNDS = 3
CIRCLE_STEPS = 4  # Gauss-Newton steps on the geometric distance after Kasa's circle
MIN_RADIUS_PX, MAX_RADIUS_PX = 1.0, 1e4
TANGENT_MISS_PX = 0.1  # a run arc's side whose line passes its circle by at most this (px) touches it
U_TURN_DEGREES = 5.0  # a run between sides antiparallel within this is the half circle between them
# (`u_turn`; 0: never) ...
U_TURN_RMS_PX = 0.15  # ... where that half circle lies this near its points (RMS, px) ...
U_TURN_REACH_PX = 0.75  # ... its tangent points up to sqrt(2 r this) px along each side (to half its length):
# simplified within 0.625 px, the trace runs a straight side that far into a bend of radius r (a 32 px
# leg's round end: 4.2 px, where the reach was 2.5)


@dataclass(frozen=True)
class Side:
    """A straight side that a bend continues: the polygon `vertex` where they meet, the side's unit
    `direction` in the ring's order, and how far (`reach`, input px) along its line the arc's tangent
    point may lie from `vertex` either way."""

    vertex: np.ndarray
    direction: np.ndarray
    reach: float
    length: float = np.inf  # the side's length (px)


@dataclass(frozen=True)
class CornerArc:
    """A fitted arc: its first tangent point `start` (`run_arc`: its first corner), its quadratics'
    `controls` and `ends` (the last end is the second tangent point or the last corner), and each fitting
    point's distance (px) from the outline the arc makes with its sides (`_distances`; `run_arc`: from
    the arc, `_arc_distances`)."""

    start: np.ndarray
    controls: np.ndarray
    ends: np.ndarray
    errors: np.ndarray


def corner_arc(head: Side, tail: Side, data: np.ndarray, weight: np.ndarray) -> CornerArc | None:
    """The arc tangent to the lines of `head` (the side before the bend) and `tail` (the side after) that
    fits the points `data` (n, 2; `weight` each) best, None where the sides turn by under 1 or over
    MAX_TURN_DEGREES degrees, there are under 3 points, or no radius puts both tangent points within
    reach. (Points that bend the other way are left to the caller's test of `errors`.)"""
    turn = bend_turn(head, tail)
    if turn is None or len(data) < 3:
        return None
    d0, d1 = head.direction, tail.direction
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
    controls, ends = _quadratics(centre, radius, start, turn, ARC_STEP_DEGREES)
    return CornerArc(start, controls, ends, _distances(data, centre, radius, start, d0, ends[-1], d1))


def bend_turn(head: Side, tail: Side) -> float | None:
    """The signed angle (radians) a bend turns by from the `head` side's direction to the `tail` side's;
    None where it is under 1 degree or over MAX_TURN_DEGREES (no bend of ours to fit between them)."""
    turn = float(np.radians(turns_between(head.direction[None], tail.direction[None])[0]))
    return turn if np.radians(1.0) <= abs(turn) <= np.radians(MAX_TURN_DEGREES) else None


def run_arc(start: np.ndarray, end: np.ndarray, data: np.ndarray, measured: np.ndarray, head: Side | None,
            tail: Side | None) -> CornerArc | None:
    """The circular arc from a run's first corner `start` to its last `end` that fits the run's points `data`
    (n, 2) that were `measured` on the input's edge best; a corner with a `head` (before) or `tail`
    (after) side (a straight edge drawn on its own) moves along that side to where the circle crosses it,
    within the side's reach, and a corner without one stays (the circle fitted through it). Between two
    sides that run back the way they came (`u_turn`), the circle is the half circle between their lines.
    Its quadratics lie within RUN_ARC_ERROR_PX of the circle; `errors` are all points' distances from the
    arc. None where there are under 3 measured points, the circle misses a corner or a side, or the arc
    turns by over MAX_RUN_TURN_DEGREES."""
    on_edge = data[measured]
    if len(on_edge) < 3:
        return None
    circle = _u_turn_circle(head, tail, on_edge)
    if circle is not None:  # a wide bend: the trace ran its sides further into it
        head, tail = _reaching(head, circle[1]), _reaching(tail, circle[1])
    else:  # no U turn, or one whose points are no half circle between its sides
        fixed = [corner for corner, side in ((start, head), (end, tail)) if side is None]
        circle = _run_circle(on_edge, fixed)
    if circle is None:
        return None
    centre, radius = circle
    first, last = (_on_circle(corner, side, centre, radius) for corner, side in ((start, head), (end, tail)))
    if first is None or last is None or float(np.hypot(*(last - first))) < 0.5:
        return None
    turn = _sweep(first - centre, last - centre, on_edge[len(on_edge) // 2] - centre)
    if abs(np.degrees(turn)) > MAX_RUN_TURN_DEGREES:
        return None
    on_circle = centre + radius * (first - centre) / max(float(np.hypot(*(first - centre))), 1e-9)
    controls, ends = _quadratics(centre, radius, on_circle, turn, _step_degrees(radius))
    ends[-1] = last  # a corner that stays: the arc runs from and to it, though the circle misses it a little
    return CornerArc(first, controls, ends, _arc_distances(data, centre, radius, first, turn, last))


def _run_circle(on_edge: np.ndarray, fixed: list[np.ndarray]) -> tuple[np.ndarray, float] | None:
    """The circle nearest a run's measured points `on_edge` and through its `fixed` corners (those
    without a side to move along, within FIXED_MISS_PX), its outlying points left out."""
    points = np.vstack([on_edge, *fixed]) if fixed else on_edge
    weights = np.concatenate([np.ones(len(on_edge)), np.full(len(fixed), FIXED_WEIGHT * len(on_edge))])
    circle = fitted_circle(points, weights)
    if circle is None:
        return None
    # a point far off the circle (an edge measured into the rounded foot of a corner) is left out of the
    # next fit: on a short arc one such point moves the radius by several per cent
    kept = np.ones(len(points), bool)
    for _ in range(OUTLIER_ROUNDS):
        gaps = np.abs(np.hypot(*(points - circle[0]).T) - circle[1])
        outlying = kept & (gaps > max(OUTLIER_PX, OUTLIER_SPREAD * float(np.median(gaps[kept]))))
        outlying[len(on_edge):] = False
        if not outlying.any() or (kept & ~outlying).sum() < 3:
            break
        kept &= ~outlying
        circle = fitted_circle(points[kept], weights[kept])
        if circle is None:
            return None
    return circle


def u_turn(head: Side | None, tail: Side | None) -> bool:
    """Whether the side after a bend runs back along the side before it (antiparallel within
    U_TURN_DEGREES): a stroke's round end, a U."""
    if head is None or tail is None or U_TURN_DEGREES <= 0:
        return False
    return float(head.direction @ tail.direction) <= -np.cos(np.radians(U_TURN_DEGREES))


def _reaching(side: Side | None, radius: float) -> Side | None:
    """`side` with its reach at least sqrt(2 `radius` U_TURN_REACH_PX), at most half its length."""
    if side is None:
        return None
    reach = float(np.sqrt(2 * radius * U_TURN_REACH_PX))
    return replace(side, reach=max(side.reach, min(reach, side.length / 2)))


def _u_turn_circle(head: Side | None, tail: Side | None,
                   points: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The half circle tangent to both sides' lines of a U turn (`u_turn`): its radius half their
    distance, its centre on the line between them where the outline of the two sides and the half circle
    lies nearest `points` (least squares); None where there is no U turn or that outline misses the points
    by over U_TURN_RMS_PX (RMS: a magnifier's lens between its handle's sides is a wider circle). A circle
    fitted to the points alone missed the sides by its error (a 32 px leg's round end: 0.14 px), past
    `_on_circle`'s tolerance."""
    if head is None or tail is None or not u_turn(head, tail):
        return None
    axis = head.direction - tail.direction  # along the sides, towards the bend
    axis = axis / float(np.hypot(*axis))
    across = _left(axis)
    near, far = float(head.vertex @ across), float(tail.vertex @ across)
    radius = abs(far - near) / 2
    if not MIN_RADIUS_PX <= radius <= MAX_RADIUS_PX:
        return None
    middle = (near + far) / 2
    along, aside = points @ axis, points @ across - middle  # aside: from the line midway between the sides

    def squared_error(centre: float) -> float:  # from the half circle beyond `centre`, the sides before it
        gaps = np.where(along >= centre, np.abs(np.hypot(along - centre, aside) - radius),
                        np.abs(np.abs(aside) - radius))
        return float(gaps @ gaps)

    top = float(along.max())
    centre = float(minimize_scalar(squared_error, bounds=(top - 2 * radius, top), method="bounded",
                                   options={"xatol": 1e-4}).x)
    if np.sqrt(squared_error(centre) / len(points)) > U_TURN_RMS_PX:
        return None
    return middle * across + centre * axis, radius


def fitted_circle(points: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, float] | None:
    """The circle nearest the points (weighted least squares on the geometric distance): Kasa's algebraic
    circle, then Gauss-Newton steps; None where they are (nearly) on a line."""
    x, y = points[:, 0] - points[:, 0].mean(), points[:, 1] - points[:, 1].mean()
    basis = np.column_stack([2 * x, 2 * y, np.ones_like(x)])
    weighted = basis * weights[:, None]
    try:
        a, b, c = np.linalg.solve(weighted.T @ basis, weighted.T @ (x * x + y * y))
    except np.linalg.LinAlgError:
        return None
    centre, radius = np.array([a, b]), float(np.sqrt(max(c + a * a + b * b, 0.0)))
    local = np.column_stack([x, y])
    for _ in range(CIRCLE_STEPS):
        offsets = local - centre
        distances = np.maximum(np.hypot(*offsets.T), 1e-9)
        jacobian = np.column_stack([-offsets / distances[:, None], -np.ones(len(local))])
        weighted = jacobian * weights[:, None]
        try:
            step = np.linalg.solve(weighted.T @ jacobian, -weighted.T @ (distances - radius))
        except np.linalg.LinAlgError:
            return None
        centre, radius = centre + step[:2], radius + float(step[2])
    if not MIN_RADIUS_PX <= radius <= MAX_RADIUS_PX:
        return None
    return centre + points.mean(axis=0), radius


def _on_circle(corner: np.ndarray, side: Side | None, centre: np.ndarray, radius: float) -> np.ndarray | None:
    """Where a corner goes on the circle: along its side to the nearer crossing within the side's reach,
    or itself where it has no side and lies within FIXED_MISS_PX of the circle; None otherwise."""
    offset = corner - centre
    if side is None:
        return corner if abs(float(np.hypot(*offset)) - radius) <= FIXED_MISS_PX else None
    # a side tangent to the circle (a stroke's round end between parallel sides) misses it by the fit's
    # error; within TANGENT_MISS_PX it touches
    roots = line_circle_roots(corner, side.direction, centre, radius, TANGENT_MISS_PX)
    if roots is None:
        return None
    s = min(roots, key=abs)
    return corner + s * side.direction if abs(s) <= side.reach else None


def line_circle_roots(point: np.ndarray, direction: np.ndarray, centre: np.ndarray, radius: float,
                      tangent_miss: float = 0.0) -> tuple[float, float] | None:
    """How far along the unit `direction` from `point` its line crosses the circle (both crossings), a
    line that passes it by at most `tangent_miss` (px) touching it; None where it passes further."""
    offset = point - centre
    half_b = float(direction @ offset)
    discriminant = half_b * half_b - float(offset @ offset) + radius * radius
    if discriminant < 0:
        miss = float(np.sqrt(max(float(offset @ offset) - half_b * half_b, 0.0))) - radius
        if miss > tangent_miss:
            return None
        discriminant = 0.0
    root = float(np.sqrt(discriminant))
    return -half_b - root, -half_b + root


def _sweep(first: np.ndarray, last: np.ndarray, middle: np.ndarray) -> float:
    """The signed angle (radians) from `first` to `last` (vectors from the centre) the way that passes
    `middle`."""
    def angle(v: np.ndarray) -> float:
        return float(np.arctan2(v[1], v[0]))
    counter = (angle(last) - angle(first)) % (2 * np.pi)
    return counter if (angle(middle) - angle(first)) % (2 * np.pi) < counter else counter - 2 * np.pi


def _arc_distances(data: np.ndarray, centre: np.ndarray, radius: float, first: np.ndarray, turn: float,
                   last: np.ndarray) -> np.ndarray:
    """Each point's distance from the arc: from the circle within the arc's span, else from its nearer
    end."""
    offsets = data - centre
    start = float(np.arctan2(*(first - centre)[::-1]))
    along = (np.arctan2(offsets[:, 1], offsets[:, 0]) - start) * np.sign(turn) % (2 * np.pi)
    within = along <= abs(turn)
    to_ends = np.minimum(np.hypot(*(data - first).T), np.hypot(*(data - last).T))
    return np.where(within, np.abs(np.hypot(*offsets.T) - radius), to_ends)


def _step_degrees(radius: float) -> float:
    """The widest step (at most ARC_STEP_DEGREES) whose quadratic lies within RUN_ARC_ERROR_PX of a
    circle of `radius`: a quadratic spanning 2h radians bulges radius * h**4 / 8 past it."""
    return min(ARC_STEP_DEGREES, float(np.degrees(2 * (8 * RUN_ARC_ERROR_PX / radius) ** 0.25)))


def _quadratics(centre: np.ndarray, radius: float, start: np.ndarray, turn: float,
                max_step: float) -> tuple[np.ndarray, np.ndarray]:
    """The controls and ends of an arc from `start` turning by `turn` radians about `centre`, in
    quadratics of equal steps of at most `max_step` degrees, their controls where the tangents meet."""
    steps = int(np.ceil(abs(np.degrees(turn)) / max_step - 1e-9))
    step = turn / steps
    first = (start - centre) / radius
    angles = step * np.arange(1, steps + 1)
    ends = centre + radius * _rotated(first, angles)
    controls = centre + radius / np.cos(step / 2) * _rotated(first, angles - step / 2)
    return controls, ends


def _rotated(unit: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """(n, 2): `unit` turned by each of `angles` (radians; positive turns x towards y)."""
    cos, sin = np.cos(angles), np.sin(angles)
    return np.column_stack([cos * unit[0] - sin * unit[1], sin * unit[0] + cos * unit[1]])


def _left(direction: np.ndarray) -> np.ndarray:
    """`direction` turned by +90 degrees (x towards y)."""
    return np.array([-direction[1], direction[0]])


def _distances(data: np.ndarray, centre: np.ndarray, radius: float, start: np.ndarray, d0: np.ndarray,
               end: np.ndarray, d1: np.ndarray) -> np.ndarray:
    """Each point's distance from the outline the arc makes with its sides: from a side's line where the
    point lies before the first tangent point or past the second (`beyond_sides`), from the circle
    between them."""
    past, from_sides = beyond_sides(data, (start, d0), (end, d1))
    return np.where(past, from_sides, np.abs(np.hypot(*(data - centre).T) - radius))


def beyond_sides(data: np.ndarray, head: tuple[np.ndarray, np.ndarray] | None,
                 tail: tuple[np.ndarray, np.ndarray] | None) -> tuple[np.ndarray, np.ndarray]:
    """Which points lie beyond a bend's ends on its straight sides, and their distance from the side's
    line (inf for the others). `head`: the bend's first end and the side's direction towards it (points
    before the end are beyond it); `tail`: its last end and the side's direction away from it; None: an
    end at a corner, with no side. Beside an acute bend a point can lie beyond both ends: it counts from
    the nearer line (measured from the head's alone, a point on the tail's side far from the bend was
    7.8 px off, and such bends were never fitted; shared/tangent_corners.py)."""
    past, from_sides = np.zeros(len(data), bool), np.full(len(data), np.inf)
    for side, sign in ((head, -1.0), (tail, 1.0)):
        if side is not None:
            point, direction = side
            beyond = sign * ((data - point) @ direction) > 0
            line = np.abs((data - point) @ _left(direction))
            past, from_sides = past | beyond, np.where(beyond, np.minimum(from_sides, line), from_sides)
    return past, from_sides
