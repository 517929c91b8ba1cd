"""Spline runs: a stacked trace's refined polygon rings become quadratic B-splines between corners, at
about the polygon's bytes.

A closed uniform quadratic B-spline with control points P_0 .. P_k-1 is a chain of quadratic Béziers,
segment j from the middle of (P_j-1, P_j) to the middle of (P_j, P_j+1), bending towards P_j. Each
segment's control point is the previous one's reflected about their joint, which is exactly what SVG's
`t` command assumes, so the chain is written as one `q` and then a `t` with one coordinate pair per
control point (shared/svg.py), as a polygon takes one pair per vertex: a curved outline loses its
facets (which a 4x zoom shows) for about the polygon's bytes. Corners (vertices turning by more than
`corner_angle`, after shared/corners.py's `restore_corners`, other than the joints of a small round
bend's facets: `round_bends`) stay sharp: the run from one corner to the
next is a clamped spline from corner to corner with (some of) the run's vertices as its controls; a
ring without corners is one closed spline.

Each run between two corners is fitted from the ring's edge samples moved onto the input's edge
(shared/curves.py `measured_edge_points`; samples that found no edge count with `UNMEASURED_WEIGHT` at the
polygon's position), and the first of these that lies nearer the measured points than the polygon is kept
(docs/geometry.md, "Splines", has each step's why and figures):
- a run whose points lie along the line between its corners is that line (`straight_run`);
- one circular arc (shared/corner_arcs.py `run_arc`, kept over the spline by `RUN_ARC_RATIO`);
- a clamped spline (shared/spline_fit.py `fit_run`), or the run between its corners' junctions where that
  fits nearer by `JUNCTION_RATIO` (shared/junctions.py);
- split at both ends of each straight side (shared/straight_sides.py: a uniform spline cannot follow a
  long side into a tight bend), each piece on its own; a bend between two straight sides as the circular
  arc tangent to both (shared/corner_arcs.py, its tangent points within `ARC_REACH` of each side), else as
  a spline tangent to both (shared/tangent_corners.py: a squircle-like corner), and a bend from a corner
  into a straight side as a spline leaving the side tangent to it (an n's shoulder into its stem); a
  piece that fits but meets a side it runs on from at a kink, also so (a J's stem into its hook);
- one facet between two corners that is a small rounded corner's (`round_bends`) as that arc.
A run or piece with no such fit, or with no measured point (an edge hidden under a shape painted later),
stays a polygon. Which rings of a drawing are fitted, and when, is shared/spline_drawing.py's.
"""

from dataclasses import replace

import numpy as np

from shared.corner_arcs import CornerArc, Side, run_arc
from shared.corners import turning_angles, turns_between
from shared.curves import edge_of
from shared.geometry import Spline, cyclic_shift
from shared.junctions import Junctions
from shared.round_bends import round_bends
from shared.spline_fit import Points, fit_run, fit_split_run, nearer, segment_ends, squared
from shared.spline_parts import Part, bend_parts, curved_parts, tangent_parts
from shared.straight_sides import edge_bows, straight_edges, straight_run
from shared.tangent_corners import tangent_curve

UNMEASURED_WEIGHT = 0.3  # weight of a sample without a measured edge, at the polygon's position
TANGENT_CORNERS = True  # bends no circular arc or clamped spline fits are tried as splines tangent to the
# straight sides they join (shared/tangent_corners.py)
TANGENT_PIECES = True  # a piece of a run split at a straight side's end where the outline runs on smoothly
# is tried as a spline tangent to the side too, and kept where it lies nearer than the clamped one
KINK_DEGREES = 2.0  # ... where its clamped spline or arc meets the side at a kink of more than this
ARC_REACH = 0.5  # a bend between straight sides with no better spline may be an arc tangent to both
# (shared/corner_arcs.py) whose tangent points lie within this share of each side's length of its ends
RUN_ARC_RATIO = 1.0  # a run between corners is one circular arc (shared/corner_arcs.py, `run_arc`) where
# that lies nearer the measured points than this times the spline's squared error; 0: no arcs ...
RUN_ARC_MAX_GAP_PX = 0.5  # ... and within this of every point (input px; unmeasured: the polygon's)
RUN_ARC_REACH_PX = 2.5  # a run arc's corner moves at most this far along a straight edge beside it (input px)
JUNCTION_RATIO = 0.8  # a run that fits between its corners is fitted between its corners' junctions
# (shared/junctions.py) too, and kept so where its squared error is under this times the fit's (0.5: the
# four paired sets' 4x means 0.00002-0.00007 lower, bench/results/junction-ratio-*.json); 0: only runs that
# fit no other way


def spline_ring(ring: np.ndarray, moved: np.ndarray, samples: np.ndarray, first: np.ndarray,
                corner_angle: float, straight: np.ndarray | None = None) -> Spline | None:
    """A closed ring (corners restored) as straight runs and spline runs, from its `ring_samples`
    (`samples`, their first-index array `first`) and those samples `moved` onto the input's edge (NaN
    rows: none found); None where no run is better as a spline. `straight` (per edge): edges kept as
    lines, both their ends corners."""
    n = len(ring)
    measured = ~np.isnan(moved[:, 0])
    counts = np.diff(first)
    edge = edge_of(first)
    lengths = np.hypot(*(cyclic_shift(ring, -1) - ring).T)
    at_vertex = np.append(0.0, np.cumsum(lengths))  # arc length of each vertex along the ring, and the total
    along = at_vertex[edge] + (np.arange(first[-1]) - first[edge] + 0.5) / counts[edge] * lengths[edge]
    data = np.where(measured[:, None], moved, samples)
    weight = np.where(measured, 1.0, UNMEASURED_WEIGHT)
    points = Points(data, weight, measured, np.hypot(*(data - samples).T), along)
    turns = turning_angles(ring)
    kept = np.zeros(n, bool) if straight is None else straight | cyclic_shift(straight, 1)
    caps, chamfers = round_bends(ring, corner_angle)
    corners = np.flatnonzero((turns > corner_angle) & ~caps | kept)  # no notch
    # exception (shared/corners.py's `corner_vertices`): a concave corner beside a convex one is no
    # notch, and a spline would round it
    junctions = Junctions(ring, corners, corners[~kept[corners]], data, measured, along, at_vertex)
    sides = straight_edges(lengths, edge_bows(data, measured, edge, n))
    splits = sides | cyclic_shift(sides, 1)  # both ends of each straight side
    if len(corners) == 0:
        fit = fit_run(ring, turns, at_vertex[:-1], None, at_vertex[-1], points)
        if fit is not None:
            controls = fit[0]
            ends = segment_ends(controls, None)[1]
            count = len(controls)
            return Spline(ends[-1].copy(), controls, ends, np.zeros(count, bool), np.ones(count, bool))
        if not splits.any():
            return None
        corners = np.flatnonzero(splits)  # a rounded rectangle's sides: its corners' bends apart

    def edge_side(vertex: int, forward: int, reach: float) -> Side:
        """The edge from `vertex` to its neighbour `forward` (-1 or 1) as a `Side` (direction in ring
        order) along which an arc ending at `vertex` may move its end by `reach` px."""
        edge = vertex if forward > 0 else (vertex - 1) % n
        direction = (ring[(vertex + forward) % n] - ring[vertex]) * forward / max(float(lengths[edge]), 1e-9)
        return Side(ring[vertex], direction, reach, float(lengths[edge]))

    def side(vertex: int, forward: int) -> Side | None:
        """The straight side that a bend ending at `vertex` continues (`forward`: the side's far vertex
        minus `vertex` in ring order), None where that edge is no straight side or `vertex` a corner by
        angle or kept straight."""
        edge = vertex if forward > 0 else (vertex - 1) % n
        if not sides[edge] or turns[vertex] > corner_angle or kept[vertex]:
            return None
        return edge_side(vertex, forward, ARC_REACH * lengths[edge])

    corner_set = set(corners.tolist())

    def drawn_straight(vertex: int, forward: int, ends: frozenset[int]) -> Side | None:
        """The edge from `vertex` to its neighbour `forward` where that edge is a run of its own between
        two corners, or a piece of its own between two of `ends` (the straight sides' ends of a run
        fitted in pieces): drawn straight, so a run arc's end may move along it by RUN_ARC_REACH_PX."""
        if not {vertex, (vertex + forward) % n} <= corner_set | ends:
            return None
        return edge_side(vertex, forward, RUN_ARC_REACH_PX)

    def run_points(a: int, b: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, Points]:
        """The run from vertex a to vertex b (a < n; b > a, past n where the run wraps): its corners and
        vertices, their arc lengths along the ring from vertex a, the rows of its edges' points and those
        points (their arc lengths from vertex a)."""
        vertices = ring[np.arange(a, b + 1) % n]  # corner, the run's vertices, corner
        picked = with_sides(a, b, None, None)
        knots = np.array([at_vertex[k % n] + (at_vertex[-1] if k >= n else 0.0) for k in range(a, b + 1)])
        run = points.take(picked, shift=at_vertex[a])
        run.along[run.along < 0] += at_vertex[-1]  # the run wraps past the ring's first vertex
        return vertices, knots, picked, run

    def run_parts(a: int, b: int, ends: frozenset[int] = frozenset()) -> tuple[list[Part], np.ndarray] | None:
        """The parts (`parts` below) of the spline from vertex a to vertex b (a < n; b > a, past n where
        the run wraps) and where they start (vertex a, or a tangent point on the side before it), None
        where neither a spline nor an arc between straight sides (shared/corner_arcs.py) is nearer the
        measured points than the polygon."""
        if b - a <= 1:
            return chamfer_arc(a % n) if not ends else None
        vertices, knots, picked, run = run_points(a, b)
        if straight_run(vertices[0], vertices[-1], run.data[run.measured]):
            return [(vertices[-1], vertices[-1], True, False)], vertices[0]
        fit, arc = fitted_curve(vertices, turns[np.arange(a + 1, b) % n], knots, (vertices[0], vertices[-1]),
                                run, drawn_straight(a % n, -1, ends), drawn_straight(b % n, 1, ends))
        if ends and TANGENT_PIECES and (fit is not None or arc is not None):
            chosen = (fit[0], vertices[0], vertices[-1], fit[1]) if arc is None else \
                (arc.controls, arc.start, arc.ends[-1], squared(arc.errors[run.measured]))
            tangent = tangent_piece(a, b, vertices, *chosen)
            if tangent is not None:
                return tangent
        if arc is not None:
            return curved_parts(arc.controls, arc.ends), arc.start
        joined = junction_run(a % n, b % n, vertices, knots, picked, run) \
            if fit is None or JUNCTION_RATIO > 0 else None
        if joined is not None and (fit is None or joined[1] < JUNCTION_RATIO * fit[1]):
            return joined[0], vertices[0]
        if fit is not None:
            fit_ends = segment_ends(fit[0], (vertices[0], vertices[-1]))[1]
            return curved_parts(fit[0], fit_ends), vertices[0]
        head, tail = (side(a % n, -1), side(b % n, 1)) if ARC_REACH > 0 else (None, None)
        if (head is None and (tail is None or not TANGENT_CORNERS)) or not run.measured.any():
            return None
        wide = points.take(with_sides(a, b, head, tail))
        if head is not None and tail is not None:
            return bend_parts(head, tail, wide, vertices, TANGENT_CORNERS)
        if not TANGENT_CORNERS:
            return None
        # a corner at one end, a straight side the bend runs into at the other (an n's shoulder into
        # its stem): a spline clamped at the side's vertex, which lies off the curve, fit no nearer
        return tangent_parts(head if head is not None else vertices[0], tail if tail is not None
                              else vertices[-1], vertices, wide, len(vertices) - 1)

    def split_run_parts(a: int, b: int) -> tuple[list[Part], np.ndarray] | None:
        """The run from corner a to corner b (at least one vertex between), which `run_parts` fits no
        way, as a spline with its long edges split (shared/spline_fit.py, `fit_split_run`); None where
        that lies no nearer the measured points than the polygon either."""
        vertices, knots, _, run = run_points(a, b)
        ends = (vertices[0], vertices[-1])
        fit = fit_split_run(vertices[1:-1], knots[1:-1] - knots[0], ends, knots[-1] - knots[0], run)
        if fit is None:
            return None
        return curved_parts(fit[0], segment_ends(fit[0], ends)[1]), vertices[0]

    def with_sides(a: int, b: int, head: Side | None, tail: Side | None) -> np.ndarray:
        """The rows of the points of the edges from vertex a to b and of the side before (`head`) and
        after (`tail`) where there is one: a curve tangent to a side may take over its end, so the
        side's points are fitted and measured with it."""
        edges = np.arange(a - (head is not None), b + (tail is not None)) % n
        return np.concatenate([np.arange(first[e], first[e + 1]) for e in edges])

    def tangent_piece(a: int, b: int, vertices: np.ndarray, controls: np.ndarray, start: np.ndarray,
                      end: np.ndarray, fit_error: float) -> tuple[list[Part], np.ndarray] | None:
        """A piece from vertex a to b whose end is a straight side's smooth end (a J's stem into its
        hook) as a spline leaving the side tangent to it, where the piece's clamped spline or run arc
        (`controls` from `start` to `end`, squared error `fit_error` on the piece's points) meets such a
        side at a kink of more than KINK_DEGREES: started from those controls, and kept where it lies
        nearer the measured points of the piece and of the side's stretch it may take over (the side's
        points lie on its line); None otherwise. (A run arc whose circle touches the sides, a round
        stroke end, stays: a freer curve fits it nearer, but rounder is truer at 4x.)"""
        head, tail = side(a % n, -1), side(b % n, 1)
        leaving = np.array([controls[0] - start, end - controls[-1]])  # the curve's tangents at its ends
        if head is not None and abs(turns_between(head.direction[None], leaving[:1])[0]) <= KINK_DEGREES:
            head = None
        if tail is not None and abs(turns_between(tail.direction[None], leaving[1:])[0]) <= KINK_DEGREES:
            tail = None
        if head is None and tail is None:
            return None
        rows = with_sides(a, b, head, tail)
        wide = points.take(rows)
        on_side = wide.measured & ~np.isin(edge[rows], np.arange(a, b) % n)
        curve = tangent_curve(head if head is not None else vertices[0], tail if tail is not None
                              else vertices[-1], vertices, wide.data, wide.weight, max(2, len(controls)),
                              controls if len(controls) >= 2 else None)
        if curve is None or squared(curve.errors[wide.measured]) >= \
                fit_error + squared(wide.polygon_error[on_side]):
            return None
        return curved_parts(curve.controls, curve.ends), curve.start

    def fitted_curve(vertices: np.ndarray, inner_turns: np.ndarray, knots: np.ndarray,
                     ends: tuple[np.ndarray, np.ndarray], run: Points, head: Side | None, tail: Side | None
                     ) -> tuple[tuple[np.ndarray, float] | None, CornerArc | None]:
        """A run's spline between `ends` (`vertices` its corners and vertices at arc lengths `knots`;
        `inner_turns` the turns of those between its corners) with its squared error, None where none
        lies nearer the measured points than the polygon; and its run arc (`run_arc`, a corner with a
        `head` or `tail` side moving along it) where that is kept over the spline (`_arc_kept`), else
        None."""
        fit = fit_run(vertices[1:-1], inner_turns, knots[1:-1] - knots[0], ends, knots[-1] - knots[0], run)
        arc = run_arc(ends[0], ends[1], run.data, run.measured, head, tail) if RUN_ARC_RATIO > 0 else None
        return fit, arc if arc is not None and _arc_kept(arc, run, fit) else None

    def junction_run(a: int, b: int, vertices: np.ndarray, knots: np.ndarray, picked: np.ndarray,
                     run: Points) -> tuple[list[Part], float] | None:
        """The run from corner a to corner b as a curve between its corners' `junctions` (where one
        moves), joined to each corner that moves by a straight part along the side beyond it: a spline,
        or one circular arc where that lies nearer (`run_arc`); None where neither lies nearer the
        measured points than the polygon. The unmeasured points of an end's edge move with its corner
        (in a copy of the run's points, `run`, whose rows are `picked`)."""
        start, end = junctions.at(a), junctions.at(b)
        if start is None and end is None:
            return None
        ends = (vertices[0] if start is None else start, vertices[-1] if end is None else end)
        run = replace(run, data=run.data.copy())
        fraction = (picked - first[edge[picked]] + 0.5) / counts[edge[picked]]
        for corner, moved_to, step in ((a, start, 1), ((b - 1) % n, end, 0)):
            on_edge = ~run.measured & (edge[picked] == corner)
            if moved_to is not None and on_edge.any():
                near, far = (moved_to, ring[(corner + 1) % n]) if step else (ring[corner], moved_to)
                run.data[on_edge] = near + fraction[on_edge, None] * (far - near)
        fit, arc = fitted_curve(vertices, turns[np.arange(a + 1, a + len(vertices) - 1) % n], knots, ends,
                                run, None, None)
        if arc is not None:
            curve, error = curved_parts(arc.controls, arc.ends), squared(arc.errors[run.measured])
        elif fit is not None:
            curve, error = curved_parts(fit[0], segment_ends(fit[0], ends)[1]), fit[1]
        else:
            return None
        head = [] if start is None else [(start, start, True, False)]
        tail = [] if end is None else [(vertices[-1], vertices[-1], True, False)]
        return head + curve + tail, error

    def chamfer_arc(a: int) -> tuple[list[Part], np.ndarray] | None:
        """The edge from corner `a` to the corner after it as the arc tangent to the two edges beside it
        (shared/corner_arcs.py), where it is a bend's one facet (`is_chamfer`) and the arc lies nearer the
        measured points of the three edges than the polygon does."""
        b = (a + 1) % n
        if not is_chamfer(a) or not points.measured[first[a] : first[a + 1]].any():
            return None
        head = edge_side(a, -1, ARC_REACH * lengths[(a - 1) % n])
        tail = edge_side(b, 1, ARC_REACH * lengths[b])
        wide = points.take(with_sides(a, a + 1, head, tail))
        return bend_parts(head, tail, wide, ring[[a, b]], TANGENT_CORNERS)

    def is_chamfer(a: int) -> bool:
        """Whether the edge from corner `a` to the next is the one facet of a rounded corner's bend
        (`round_bends`) between sides that are runs of their own (their far ends corners too), none
        of the three kept straight."""
        before, b, after = (a - 1) % n, (a + 1) % n, (a + 2) % n
        return bool(chamfers[a] and {before, b, after} <= corner_set and not kept[[a, b]].any()
                    and (straight is None or not straight[[before, a, b]].any()))

    parts: list[Part] = []  # (control, end, straight, smooth)
    ring_start = ring[corners[0]].copy()

    def append(fitted: tuple[list[Part], np.ndarray]) -> None:
        """A run's parts appended; where it starts off its first vertex, the straight side before it
        ends there."""
        nonlocal ring_start
        run, start = fitted
        if not parts:
            ring_start = start  # the ring's last part, a straight side, ends there too (below)
        elif parts[-1][2]:
            parts[-1] = (start, start, True, False)
        parts.extend(run)

    for a, b in zip(corners.tolist(), [*corners[1:].tolist(), int(corners[0]) + n], strict=True):
        inner = [k for k in range(a + 1, b) if splits[k % n]]  # straight sides' ends inside the run
        fitted = run_parts(a, b)
        if fitted is None and not inner and b - a > 1:  # no fit, and no straight sides to fit pieces between
            fitted = split_run_parts(a, b)
        if fitted is not None:
            append(fitted)
            continue
        piece_ends = frozenset(k % n for k in inner)  # no fit as a whole: its pieces between them
        for c, d in zip([a, *inner], [*inner, b], strict=True):  # straight edges, each on its own
            piece = run_parts(c % n, d - (c - c % n), piece_ends) if inner else None
            if piece is not None:
                append(piece)
            else:
                parts.extend((end, end, True, False) for end in ring[np.arange(c + 1, d + 1) % n])
    if all(straight for _, _, straight, _ in parts) and len(parts) == n:  # the polygon as it was
        return None
    if parts[-1][2]:  # a straight last part ends where the first run starts; a curved one where the
        parts[-1] = (ring_start, ring_start, True, False)  # ring starts (an arc's tangent point)
    else:
        ring_start = parts[-1][1]
    controls, ends = np.array([p[0] for p in parts]), np.array([p[1] for p in parts])
    return Spline(ring_start.copy(), controls, ends, np.array([p[2] for p in parts]),
                  np.array([p[3] for p in parts]))


def _arc_kept(arc: CornerArc, run: Points, fit: tuple[np.ndarray, float] | None) -> bool:
    """Whether a run arc is the run's curve: within RUN_ARC_MAX_GAP_PX of every point, nearer the
    measured points than the polygon, and than RUN_ARC_RATIO times the spline `fit`'s squared error."""
    errors = arc.errors[run.measured]
    return bool(arc.errors.max() <= RUN_ARC_MAX_GAP_PX and nearer(errors, run.polygon_error[run.measured])
                and (fit is None or squared(errors) <= RUN_ARC_RATIO * fit[1]))
