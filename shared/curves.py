"""Curve fitting: the refined polygon rings of a `Drawing` become runs of cubic Béziers between corners.

A vertex is a corner where the outline turns by more than `corner_angle` degrees there; a short edge
(under CHAMFER_PX) between two long ones that together turn by more is a corner the trace cut off,
and becomes the corner where the long edges' lines meet. Each run from corner to corner (a ring
without corners is one closed run) is fitted to points along its edges (every ~SAMPLE_SPACING_PX,
not the vertices, which sit off a curve the polygon approximates): endpoints fixed, one cubic by least
squares with chord-length parameters improved by Newton steps; where a point is farther than the
tolerance (input px), the run is split at the farthest point with one tangent for both sides (so the
join is smooth) and each side fitted again (after Schneider, "An algorithm for automatically fitting
digitized curves", Graphics Gems 1990). Runs whose points lie within the tolerance of the chord stay
one line. A ring keeps its polygon where the curve would take more coordinate pairs than the polygon
times `pairs_ratio` (the `curve_pairs_ratio` parameter: a cubic takes 3 pairs, a line 1).
"""

from collections.abc import Callable, Collection
from dataclasses import replace

import numpy as np

from shared.corners import (
    CHAMFER_PX,
    corner_vertices,
    lines_meet,
    restore_corners,
    sharpness,
    signed_turns,
    unit,
)
from shared.edge_profiles import Insides, TopShapes, fill_colours, profile_offsets
from shared.geometry import Curve, Drawing, cyclic_shift, outward_signs
from shared.paint import premultiplied

MIN_LINE_PX = 4.0  # a straight run at least this long places the corners at its ends by its line
MIN_LINE_SHARE = 0.8  # of its measured points within the tolerance of the line
CORNER_GUARD_PX = 1.5  # samples this close to a corner are not moved onto the input's edge
SAMPLE_SPACING_PX = 2.0  # fitting points along each edge, at least 2 per edge
CURVATURE_SHIFT = 1.0  # px^2: a fitting point moves this times its edge's curvature (1/px) out of a convex
# bend, into a concave one. On bends a point measured on the input lies inward (the anti-aliasing and the
# bilinear samples blur the bend, whose 50 % line lies inside the true one), and a spline through sparse
# controls flattens bends further: held-out logos at 4x, 0.03 px inside at curvature 0.055/px, 0.02 px
# outside at -0.044/px. 0.6 / 1.0 / 1.5: held-out 4x mean +0.00011 / +0.00014 / +0.00007 (docs/findings.md,
# "Fitting points moved out of bends")
NEWTON_STEPS = 2
MAX_SPLITS = 64  # per run, a bound on the work for a run that does not fit


def fit_drawing(drawing: Drawing, tolerance: float, corner_angle: float,
                rgba: np.ndarray | None = None, pairs_ratio: float = 1.5) -> Drawing:
    """`drawing` with every polygon ring of 3+ vertices (not already a primitive) fitted with curves;
    with `rgba`, the points fitted to are first moved onto the input's edge along their edge's normal
    (the profile measurement of shared/edge_profiles.py; points that find no edge stay)."""
    fitted = dict(drawing.fitted)
    for index, ring, points, _, _ in measured_edge_points(drawing, corner_angle, rgba):
        curve = fit_ring(ring, tolerance, corner_angle, points)
        if curve is not None and _pairs(curve) <= pairs_ratio * len(drawing.ring(index)):
            fitted[index] = curve
    return replace(drawing, fitted=fitted) if len(fitted) > len(drawing.fitted) else drawing


def measured_edge_points(drawing: Drawing, corner_angle: float, rgba: np.ndarray | None,
                         wanted: Callable[[np.ndarray, float], bool] | None = None,
                         spacing: float = SAMPLE_SPACING_PX, rings: Collection[int] | None = None,
                         rounded: Callable[[np.ndarray, float], np.ndarray] | None = None,
                         ) -> list[tuple[int, np.ndarray, np.ndarray | None, np.ndarray, np.ndarray]]:
    """What a fitter of smooth outlines works from, for every polygon ring of 3+ vertices not fitted
    yet (and `wanted` by the fitter, given the ring with its corners restored): (ring index, the ring
    with its cut-off corners restored, its `ring_samples` (every ~`spacing` px) moved onto the input's
    edge along their edge's normal (NaN rows where no edge was found or near a corner; None without
    `rgba`), the samples where they lie on the ring, the samples' first-index array). `rings`: only
    these ring indices. `rounded(ring, corner_angle)`: which corners by angle are a small bend's facet
    joints, whose samples are measured all the same (shared/splines.py, `rounded_joints`). Each moved
    point lies CURVATURE_SHIFT times its edge's curvature (`edge_curvature`) farther out of a convex bend
    (into a concave one) than measured."""
    if not drawing.is_polygonal:
        return []
    image = premultiplied(rgba) if rgba is not None else None
    fills = fill_colours(drawing.fills, drawing.opacity)
    todo = [(i, restore_corners(r, corner_angle, sharpness(image, fills[drawing.ring_shape[i]])))
            for i, r in enumerate(drawing.rings)
            if i not in drawing.fitted and len(r) >= 3 and (rings is None or i in rings)]
    todo = [(i, ring) for i, ring in todo if wanted is None or wanted(ring, corner_angle)]
    if not todo:
        return []
    sampled = [ring_samples(ring, spacing) for _, ring in todo]
    moved: list[np.ndarray | None] = [None] * len(todo)
    if image is not None:
        points = [p for p, _, _ in sampled]
        counts = [len(p) for p in points]
        ids = [i for i, _ in todo]
        colours = np.repeat(fills[drawing.ring_shape[ids]], counts, axis=0)
        insides = Insides(TopShapes(drawing), np.repeat(outward_signs(drawing)[ids], counts),
                          np.repeat(drawing.ring_shape[ids], counts))
        flat, normals = np.vstack(points), np.vstack([n for _, n, _ in sampled])
        offsets = profile_offsets(image, flat[:, None, :], normals, colours, insides)
        offsets[np.concatenate([_near_corners(ring, first, corner_angle, None if rounded is None else
                                              rounded(ring, corner_angle))
                                for (_, ring), (_, _, first) in zip(todo, sampled, strict=True)])] = np.nan
        offsets -= CURVATURE_SHIFT * np.concatenate([edge_curvature(ring, corner_angle)[edge_of(first)]
                                                     for (_, ring), (_, _, first) in zip(todo, sampled,
                                                                                         strict=True)])
        moved = np.split(flat + offsets[:, None] * normals, np.cumsum(counts)[:-1])
    return [(index, ring, mine, samples, first)
            for (index, ring), mine, (samples, _, first) in zip(todo, moved, sampled, strict=True)]


def _near_corners(ring: np.ndarray, first: np.ndarray, corner_angle: float,
                  exempt: np.ndarray | None = None) -> np.ndarray:
    """Which of a ring's samples lie within CORNER_GUARD_PX of a corner (their profiles cross the
    other edge of the corner too, so they are not moved); `exempt` (per vertex): no such corner."""
    counts = np.diff(first)
    edge = np.repeat(np.arange(len(ring)), counts)
    within = np.arange(first[-1]) - first[edge]
    length = np.hypot(*(cyclic_shift(ring, -1) - ring).T)[edge]
    along = (within + 0.5) / counts[edge] * length
    corner = np.zeros(len(ring), bool)
    corner[corner_vertices(ring, corner_angle)] = True
    if exempt is not None:
        corner &= ~exempt
    ends_at_corner = cyclic_shift(corner, -1)[edge]
    return (corner[edge] & (along < CORNER_GUARD_PX)) | (ends_at_corner & (length - along < CORNER_GUARD_PX))


def _pairs(curve: Curve) -> int:
    return int(np.sum(np.where(curve.straight, 1, 3)))


def _straight_line(points: np.ndarray, tolerance: float) -> tuple[np.ndarray, np.ndarray] | None:
    """The least-squares line (a point, a unit direction) through points spanning MIN_LINE_PX or
    more, MIN_LINE_SHARE of which lie within `tolerance` of it; None otherwise."""
    kept = np.ones(len(points), bool)
    for _ in range(2):  # fit, drop the points off by more than the tolerance (a profile that met
        if kept.sum() < 3:  # another edge), fit again
            return None
        centre = points[kept].mean(axis=0)
        _, _, axes = np.linalg.svd(points[kept] - centre, full_matrices=False)
        direction = axes[0]
        across = np.abs((points - centre) @ np.array([-direction[1], direction[0]]))
        kept = across <= tolerance
    along = (points[kept] - centre) @ direction
    if kept.mean() < MIN_LINE_SHARE or along.max() - along.min() < MIN_LINE_PX:
        return None
    return centre, direction


def edge_curvature(ring: np.ndarray, corner_angle: float) -> np.ndarray:
    """Per edge of a closed ring, the mean signed curvature (1/px; positive where the ring turns towards
    its edges' left-hand normals) of its two end vertices: a vertex's turn over the mean length of its
    two edges, corners (turning by more than `corner_angle` degrees) counting 0."""
    length = np.maximum(np.hypot(*(cyclic_shift(ring, -1) - ring).T), 1e-9)
    turn = signed_turns(ring)  # at each vertex, degrees
    turn = np.where(np.abs(turn) > corner_angle, 0.0, np.radians(turn))
    at_vertex = turn / ((length + cyclic_shift(length, 1)) / 2)
    return (at_vertex + cyclic_shift(at_vertex, -1)) / 2


def edge_of(first: np.ndarray) -> np.ndarray:
    """The edge each of a ring's samples lies on, from the samples' first-index array."""
    return np.repeat(np.arange(len(first) - 1), np.diff(first))


def ring_samples(ring: np.ndarray, spacing: float = SAMPLE_SPACING_PX
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points along every edge of a closed ring (every ~`spacing` px, at least 2 per edge, not
    at the vertices), the unit left-hand normal of the edge each lies on, and the index of each edge's
    first point (with the total at the end)."""
    following = cyclic_shift(ring, -1)
    length = np.hypot(*(following - ring).T)
    counts = np.maximum(2, np.ceil(length / spacing).astype(int))
    edge = np.repeat(np.arange(len(ring)), counts)
    within = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
    fraction = (within + 0.5) / counts[edge]
    points = ring[edge] + fraction[:, None] * (following - ring)[edge]
    unit = (following - ring) / np.maximum(length, 1e-12)[:, None]
    return points, np.c_[-unit[:, 1], unit[:, 0]][edge], np.append(0, np.cumsum(counts))


def fit_ring(ring: np.ndarray, tolerance: float, corner_angle: float,
             points: np.ndarray | None = None) -> Curve | None:
    """A closed ring (corners already restored) as lines and cubics (see the module docstring), fitted
    to `points` (its `ring_samples`, perhaps moved onto the input's edge); None if nothing to fit."""
    n = len(ring)
    samples, _, first = ring_samples(ring)
    measured = samples if points is None else points  # NaN rows: no edge found there
    points = np.where(np.isnan(measured), samples, measured)
    corners = corner_vertices(ring, corner_angle)
    pieces: list[tuple[np.ndarray, bool]] = []  # (3, 2) controls, straight
    if len(corners) == 0:  # one closed run, from the middle of its shortest edge (nearest the curve)
        shortest = int(np.argmin(np.hypot(*(cyclic_shift(ring, -1) - ring).T)))
        centre = (first[shortest] + first[shortest + 1]) // 2
        rolled = cyclic_shift(points, -centre)
        window = np.take(points, np.arange(centre - 3, centre + 4), axis=0, mode="wrap")
        start, tangent = smooth_point(window, 3)
        data = np.vstack([start, rolled[1:], start])
        pieces = _fit_run(data, tangent, -tangent, tolerance)
    else:
        ends = [*corners[1:].tolist(), int(corners[0]) + n]
        inners, found = [], []
        for begin, end in zip(corners.tolist(), ends, strict=True):
            for source, out in ((points, inners), (measured, found)):
                if end <= n:
                    out.append(source[first[begin] : first[end]])
                else:
                    out.append(np.vstack([source[first[begin] :], source[: first[end - n]]]))
        lines = [_straight_line(f[~np.isnan(f[:, 0])], tolerance) for f in found]
        at = ring[corners].copy()  # corners between two straight runs: where their lines meet
        for j in range(len(corners)):
            before, after = lines[j - 1], lines[j]
            if before is not None and after is not None and len(corners) > 1:
                meet = lines_meet(before[0], before[1], after[0], after[1])
                if meet is not None and np.hypot(*(meet - at[j])) <= CHAMFER_PX:
                    at[j] = meet
        start = at[0]
        for j, inner in enumerate(inners):
            head, tail = at[j], at[(j + 1) % len(corners)]
            if lines[j] is not None:
                pieces.append((np.array([head, tail, tail]), True))
            else:
                pieces += _fit_run(np.vstack([head, inner, tail]), None, None, tolerance)
    controls = np.array([p for p, _ in pieces])
    straight = np.array([s for _, s in pieces])
    return Curve(np.asarray(start, float), controls, straight) if len(pieces) else None


def _fit_run(data: np.ndarray, t0: np.ndarray | None, t3: np.ndarray | None,
             tolerance: float) -> list[tuple[np.ndarray, bool]]:
    """Lines and cubics through `data` (first and last points fixed); t0/t3 unit tangents at the ends
    (t3 pointing back into the run) or None where the end is a corner."""
    p0, p3 = data[0], data[-1]
    chord = p3 - p0
    length = np.hypot(*chord)
    if length > 1e-9:
        off = np.abs(chord[0] * (data[:, 1] - p0[1]) - chord[1] * (data[:, 0] - p0[0])) / length
        if (off.max() <= tolerance or len(data) < 5) and t0 is None and t3 is None:
            return [(np.array([p0, p3, p3]), True)]
    if t0 is None:  # a corner: the direction to the points just after it
        t0 = unit(data[min(2, len(data) - 1)] - p0)
    if t3 is None:
        t3 = unit(data[max(len(data) - 3, 0)] - p3)
    stack = [(data, t0, t3)]
    out: list[tuple[np.ndarray, bool]] = []
    splits = 0
    while stack:
        part, a, b = stack.pop()
        controls, error, worst = _fit_cubic(part, a, b)
        if error <= tolerance or len(part) < 6 or splits >= MAX_SPLITS:
            out.append((controls, False))
            continue
        splits += 1
        k = int(np.clip(worst, 2, len(part) - 3))
        part = part.copy()
        part[k], tangent = smooth_point(part, k)
        stack.append((part[k:], tangent, b))  # popped after the left side: pieces stay in order
        stack.append((part[: k + 1], a, -tangent))
    return out


def smooth_point(points: np.ndarray, k: int, reach: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Where the curve through the samples around `points[k]` (`reach` either side) passes it, and its
    unit tangent there: a parabola fitted in the frame of the chord of the neighbours, so the join of
    two fitted pieces is not pinned to one sample's facet error (a quarter of a sagitta either way)."""
    window = points[max(0, k - reach) : k + reach + 1]
    across = points[min(k + 1, len(points) - 1)] - points[max(k - 1, 0)]
    tangent = across / max(np.hypot(*across), 1e-12)
    normal = np.array([-tangent[1], tangent[0]])
    x, y = (window - points[k]) @ tangent, (window - points[k]) @ normal
    if len(window) < 4:
        return points[k], tangent
    (a, b, _), *_ = np.linalg.lstsq(np.c_[np.ones_like(x), x, x * x], y, rcond=None)
    turned = tangent + b * normal
    return points[k] + a * normal, turned / np.hypot(*turned)


def _bernstein(u: np.ndarray) -> np.ndarray:
    v = 1 - u
    return np.stack([v**3, 3 * u * v * v, 3 * u * u * v, u**3], axis=1)


def _fit_cubic(data: np.ndarray, t0: np.ndarray | None, t3: np.ndarray | None
               ) -> tuple[np.ndarray, float, int]:
    """One cubic through the ends of `data` by least squares: its (3, 2) controls after the start,
    the largest distance of a point from it, and that point's index."""
    p0, p3 = data[0], data[-1]
    steps = np.hypot(*np.diff(data, axis=0).T)
    u = np.append(0, np.cumsum(steps)) / max(steps.sum(), 1e-12)
    chord = max(np.hypot(*(p3 - p0)), 1e-9)
    controls = np.array([p0 + (p3 - p0) / 3, p3 - (p3 - p0) / 3, p3])
    for step in range(NEWTON_STEPS + 1):
        basis = _bernstein(u)
        columns, fixed = [], np.outer(basis[:, 0], p0) + np.outer(basis[:, 3], p3)
        for weight, tangent, anchor in ((basis[:, 1], t0, p0), (basis[:, 2], t3, p3)):
            if tangent is None:
                columns += [np.c_[weight, np.zeros_like(weight)], np.c_[np.zeros_like(weight), weight]]
            else:
                columns.append(weight[:, None] * tangent[None])
                fixed = fixed + np.outer(weight, anchor)
        design = np.stack([c.ravel() for c in columns], axis=1)
        solution, *_ = np.linalg.lstsq(design, (data - fixed).ravel(), rcond=None)
        at = 0
        handles = []
        for tangent, anchor in ((t0, p0), (t3, p3)):
            if tangent is None:
                handles.append(solution[at : at + 2])
                at += 2
            else:
                alpha = solution[at] if solution[at] > 1e-3 * chord else chord / 3
                handles.append(anchor + alpha * tangent)
                at += 1
        controls = np.array([handles[0], handles[1], p3])
        if step == NEWTON_STEPS:
            break
        u = _newton(controls, p0, data, u)
    points = _bernstein(u) @ np.vstack([p0, controls])
    distance = np.hypot(*(points - data).T)
    worst = int(np.argmax(distance))
    return controls, float(distance[worst]), worst


def _newton(controls: np.ndarray, p0: np.ndarray, data: np.ndarray, u: np.ndarray) -> np.ndarray:
    """One Newton step of each parameter towards the curve point nearest its data point."""
    q = np.vstack([p0, controls])
    d1, d2 = 3 * np.diff(q, axis=0), 6 * np.diff(q, n=2, axis=0)
    v = 1 - u
    point = _bernstein(u) @ q
    first = np.stack([v * v, 2 * u * v, u * u], axis=1) @ d1
    second = np.stack([v, u], axis=1) @ d2
    diff = point - data
    numerator = np.sum(diff * first, axis=1)
    denominator = np.sum(first * first, axis=1) + np.sum(diff * second, axis=1)
    step = np.where(np.abs(denominator) > 1e-12, numerator / np.where(denominator == 0, 1, denominator), 0)
    return np.clip(u - step, 0, 1)
