"""Primitives: a shape of one closed ring that is a circle, an ellipse or a rounded rectangle is written
as `<circle>`, `<ellipse>` or `<rect rx>` (any rotation by `transform`), which stays exact at any zoom.
A ring of a compound shape (a ring logo's outline and its hole, a round hole in a plate) that is a
circle or an ellipse is written as two elliptical arcs inside the shape's path, in the ring's own
winding (shared/svg.py), so the hole stays a hole.

Each ring is tried in that order. The fit uses points on the ring's edges (a quarter, half and three
quarters along each, weighted by the edge's length: the places refinement measured the boundary, not
the vertices, which sit outside a convex curve), first algebraically (circle: Kasa; ellipse: the
direct least-squares conic of Fitzgibbon et al. in Halir and Flusser's stable form; rounded
rectangle: least squares on its signed distance, started from the edges' dominant direction), then
accepted where the geometric error is at most TOLERANCE_PX (root mean square, input px) and no point
is farther than MAX_ERROR_PX, first on the ring's points (looser: POLYGON_TOLERANCE_PX), then on the
input's own edge: points on the primitive are moved along its normals to where the input's coverage
profile puts the edge (the profile measurement of shared/edge_profiles.py, corrected for curvature;
against the colour inside the rim where a gradient region was traced flat), the primitive is fitted
again to the moved points (twice), and kept only if those points lie within TOLERANCE_PX of it (root
mean square) and MAX_ERROR_PX at most. An ellipse whose circle fits the moved points within
CIRCLE_SLACK_PX as well is written as that circle.
A plain rectangle (corner radius under MIN_CORNER_PX) stays a 4-vertex polygon: as short, and as exact.
"""

from dataclasses import replace

import numpy as np
from scipy.optimize import least_squares
from scipy.spatial import ConvexHull, QhullError

from shared.edge_profiles import Insides, TopShapes, fill_colours, premultiplied, profile_offsets
from shared.geometry import Drawing, Primitive, outward_signs, signed_area

PRIMITIVE_INSIDES = True  # a primitive's edge is measured against the colour inside it where its fill is not
# what the input shows along it (`snap`; shared/edge_profiles.py, LOCAL_FILL)
TOLERANCE_PX = 0.1  # root-mean-square distance of the input's edge from the primitive
MAX_ERROR_PX = 0.35  # no measured edge point farther than this
POLYGON_TOLERANCE_PX = 0.25  # the same for the ring's edge points (a simplified polygon is coarser)
POLYGON_MAX_ERROR_PX = 0.6
KIND_SLACK = 1.25  # of the kinds that fit, the first within this times the best one's RMS error
CURVATURE_BIAS_PX2 = 0.125  # a profile across a curved edge reads it this much times the curvature
# inside: bilinear sampling of box-filtered pixels averages over a tangential variance of 1/6 + 1/12 px²,
# and a curve falls away from its tangent by t²/2r (measured 0.13/r on exactly covered discs, r 4-60 px)
MIN_VERTICES = 6  # fewer: a polygon (a rectangle without rounding, a triangle) stays as it is
SHAPE_KINDS = ("circle", "ellipse", "rect")  # tried in this order on a shape of one ring
RING_KINDS = ("circle", "ellipse")  # on a ring of a compound shape (written as arcs in its path)
MIN_CONVEXITY = 0.97  # ring area over its convex hull's: below, no primitive is tried (every primitive
# is convex; on the 256 px dev holdout every accepted ring had >= 0.996, and the screen skips 77 % of
# the rings tried, the fits' main cost)
START_ERROR_PX = 1.0  # a rounded rectangle's first estimate farther than this (RMS) is not refined
MIN_CORNER_PX = 1.5  # a smaller corner radius is a sharp corner the profiles blur (a 17-degree square
# measured 0.63 px): such a rectangle stays a polygon
SNAP_ROUNDS = 2
SNAP_SPACING_PX = 2.0  # boundary points every this many px along the primitive (32 to 256)
CIRCLE_SLACK_PX = 0.01  # a snapped ellipse whose circle fits the edge within this much more RMS is
# a circle (a twemoji flag's disc came out as rx 49.755, ry 49.75 rotated by -12 degrees: 52 B more)
MIN_SNAPPED_SHARE = 0.5  # fewer measured boundary points than this share: the polygon fit is kept
FIT_STADIUMS = True  # a rounded rectangle whose free fit's radius passes its shorter half side is fitted
# again with the two tied (a pill-shaped bar), not dropped; off: dropped (the behaviour before 2026-12-03)


def find_primitives(drawing: Drawing, rgba: np.ndarray, source_px: float = 1.0) -> Drawing:
    """`drawing` with every ring that fits a primitive marked as that primitive: a one-ring shape as a
    circle, ellipse or rounded rectangle; a ring of a compound shape (a ring logo's outline and hole,
    a round hole in a plate) as a circle or ellipse, written as arcs inside the shape's path.
    `source_px`: the traced image's pixels per pixel of the input it came from (an upscaled small
    input's factor), which the tolerances are in: the edge of a 64 px disc upscaled 4x wavers by
    0.25 px about its circle (its pixels' own aliasing, 0.06 of theirs), over 4 times TOLERANCE_PX."""
    if not drawing.is_polygonal or not drawing.fills:
        return drawing
    image: np.ndarray | None = None
    fills = fill_colours(drawing.fills, drawing.opacity)
    fitted = dict(drawing.fitted)
    rings = drawing.rings
    tops = TopShapes(drawing)  # rasterised once for all primitives, where a measurement asks for it
    outward = outward_signs(drawing)
    for shape, members in enumerate(drawing.shape_rings()):
        kinds = SHAPE_KINDS if len(members) == 1 else RING_KINDS
        for ring in members:
            if len(rings[ring]) < MIN_VERTICES or not convex(rings[ring]):
                continue
            points, weights = edge_points(rings[ring])
            found = fit_primitive(points, weights, POLYGON_TOLERANCE_PX * source_px,
                                  POLYGON_MAX_ERROR_PX * source_px, kinds=kinds)
            if found is None:
                continue
            image = premultiplied(rgba) if image is None else image
            hole = np.sign(signed_area(rings[ring])) != outward[ring]  # the fill lies outside it
            snapped = snap(found, image, fills[shape], source_px, (tops, shape, 1.0 if hole else -1.0))
            if snapped is not None:
                fitted[ring] = snapped
    return replace(drawing, fitted=fitted)


def convex(ring: np.ndarray) -> bool:
    """Whether a ring is (nearly) convex: its area at least MIN_CONVEXITY of its convex hull's."""
    area = abs(signed_area(ring))
    try:
        hull = ConvexHull(ring).volume  # a 2-D hull's "volume" is its area
    except QhullError:  # fewer than 3 distinct points, or all on a line
        return False
    return bool(area >= MIN_CONVEXITY * hull)


def edge_points(ring: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Points a quarter, half and three quarters along each edge of a closed ring, and weights (the
    edge's length over 3)."""
    following = np.roll(ring, -1, axis=0)
    along = np.array([0.25, 0.5, 0.75])
    points = ring[:, None, :] + along[None, :, None] * (following - ring)[:, None, :]
    length = np.hypot(*(following - ring).T)
    return points.reshape(-1, 2), np.repeat(length / 3, 3)


def fit_primitive(points: np.ndarray, weights: np.ndarray, tolerance: float = POLYGON_TOLERANCE_PX,
                  max_error: float = POLYGON_MAX_ERROR_PX, kinds: tuple[str, ...] = SHAPE_KINDS
                  ) -> Primitive | None:
    """The first of `kinds` (circle, ellipse, rounded rectangle) that fits the points within tolerance
    and within KIND_SLACK times the RMS error of the best that does (at an upscaled input's looser
    tolerance an ellipse also fits a slot that is a rounded rectangle: mdi's locker as a 32 px favicon)."""
    fits = {"circle": fit_circle, "ellipse": fit_ellipse, "rect": fit_rounded_rect}
    good: list[tuple[float, Primitive]] = []
    for kind in kinds:
        found = fits[kind](points, weights)
        rms = None if found is None else _fit_rms(found, points, weights, tolerance, max_error)
        if found is not None and rms is not None:
            good.append((rms, found))
    if not good:
        return None
    best = min(rms for rms, _ in good)
    return next(found for rms, found in good if rms <= KIND_SLACK * best)


def _fit_rms(shape: Primitive, points: np.ndarray, weights: np.ndarray, tolerance: float,
             max_error: float) -> float | None:
    """The points' RMS distance (px) from `shape` where that is within `tolerance` and none is farther
    than `max_error` (a rectangle's corner at least MIN_CORNER_PX), else None."""
    if shape.kind == "rect" and shape.corner < MIN_CORNER_PX:
        return None
    error = np.abs(distance(shape, points))
    rms = _rms(error, weights)
    return rms if rms <= tolerance and error.max() <= max_error else None


def fit_circle(points: np.ndarray, weights: np.ndarray) -> Primitive | None:
    """Kasa's algebraic circle: x² + y² = 2ax + 2by + c in weighted least squares."""
    centre = np.average(points, axis=0, weights=weights)
    p = points - centre
    w = np.sqrt(weights)[:, None]
    design = np.c_[2 * p, np.ones(len(p))] * w
    target = np.sum(p * p, axis=1) * w[:, 0]
    (a, b, c), *_ = np.linalg.lstsq(design, target, rcond=None)
    r2 = c + a * a + b * b
    if r2 <= 0:
        return None
    return Primitive("circle", centre[0] + a, centre[1] + b, float(np.sqrt(r2)), float(np.sqrt(r2)))


def fit_ellipse(points: np.ndarray, weights: np.ndarray) -> Primitive | None:
    """The direct least-squares ellipse (Fitzgibbon, Pilu and Fisher 1999; Halir and Flusser 1998),
    on centred and scaled points for conditioning."""
    centre = np.average(points, axis=0, weights=weights)
    spread = float(np.sqrt(np.average(np.sum((points - centre) ** 2, axis=1), weights=weights))) or 1.0
    x, y = ((points - centre) / spread).T
    w = weights[:, None]
    quadratic, linear = np.c_[x * x, x * y, y * y], np.c_[x, y, np.ones_like(x)]
    s1, s2, s3 = quadratic.T @ (w * quadratic), quadratic.T @ (w * linear), linear.T @ (w * linear)
    try:
        t = -np.linalg.solve(s3, s2.T)
    except np.linalg.LinAlgError:
        return None
    m = s1 + s2 @ t
    m = np.array([m[2] / 2, -m[1], m[0] / 2])
    _, vectors = np.linalg.eig(m)
    vectors = np.real(vectors)
    condition = 4 * vectors[0] * vectors[2] - vectors[1] ** 2
    if not (condition > 0).any():
        return None
    a1 = vectors[:, np.argmax(condition > 0)]
    A, B, C, D, E, F = (*a1, *(t @ a1))  # conic coefficients
    return _ellipse_from_conic(A, B, C, D, E, F, centre, spread)


def _ellipse_from_conic(A: float, B: float, C: float, D: float, E: float, F: float,
                        centre: np.ndarray, spread: float) -> Primitive | None:
    try:
        x0, y0 = np.linalg.solve([[2 * A, B], [B, 2 * C]], [-D, -E])
    except np.linalg.LinAlgError:
        return None
    f0 = A * x0 * x0 + B * x0 * y0 + C * y0 * y0 + D * x0 + E * y0 + F
    values, vectors = np.linalg.eigh(np.array([[A, B / 2], [B / 2, C]]))
    if not (values * -f0 > 0).all():
        return None
    axes = np.sqrt(-f0 / values) * spread
    major = int(np.argmax(axes))
    angle = np.degrees(np.arctan2(vectors[1, major], vectors[0, major]))
    angle = (angle + 90) % 180 - 90  # [-90, 90)
    return Primitive("ellipse", centre[0] + x0 * spread, centre[1] + y0 * spread,
                     float(axes[major]), float(axes[1 - major]), float(angle))


def fit_rounded_rect(points: np.ndarray, weights: np.ndarray) -> Primitive | None:
    """A rounded rectangle by least squares on its signed distance, started from the direction the
    edges share (angles folded to a quarter turn) and the box and area of the points."""
    chords = np.diff(np.vstack([points, points[:1]]), axis=0)
    angle4 = 4 * np.arctan2(chords[:, 1], chords[:, 0])
    length = np.hypot(*chords.T)
    theta = np.arctan2(np.sum(length * np.sin(angle4)), np.sum(length * np.cos(angle4))) / 4
    local = _to_frame(points, 0.0, 0.0, theta)
    low, high = local.min(axis=0), local.max(axis=0)
    half = (high - low) / 2
    middle = _from_frame((low + high)[None] / 2, 0.0, 0.0, theta)[0]
    x, y = local.T
    area = 0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
    box = 4 * half[0] * half[1]
    if not (1 - (4 - np.pi) / 4) * 0.97 <= area / max(box, 1e-9) <= 1.0:  # no rounded rectangle fills
        return None  # less than its box with quarter circles cut off (or more than the box)
    corner = np.sqrt(max(0.0, box - area) / (4 - np.pi))
    start = np.array([middle[0], middle[1], half[0], half[1], min(corner, half.min()), theta])
    w = np.sqrt(weights)
    first_error = _rect_distance(points, *start)
    if np.sqrt(np.average(first_error**2, weights=weights)) > START_ERROR_PX:
        return None  # far from a rounded rectangle: no least squares

    def residual(v: np.ndarray) -> np.ndarray:
        return w * _rect_distance(points, *v)

    def jacobian(v: np.ndarray) -> np.ndarray:
        return w[:, None] * _rect_distance_jacobian(points, *v)

    try:
        found = least_squares(residual, start, jac=jacobian, method="lm", max_nfev=60).x
    except ValueError:
        return None
    if abs(found[4]) > min(abs(found[2]), abs(found[3])) + 1e-6:  # past a stadium (semicircular ends):
        found = _fit_stadium(points, w, found) if FIT_STADIUMS else None  # fitted again as one, or None
        if found is None:
            return None
    cx, cy, hx, hy, r, theta = found
    hx, hy, r = abs(hx), abs(hy), abs(r)
    angle = (np.degrees(theta) + 45) % 90 - 45  # a quarter turn swaps the sides
    if round((np.degrees(theta) - angle) / 90) % 2:
        hx, hy = hy, hx
    return Primitive("rect", float(cx), float(cy), float(hx), float(hy), float(angle), float(r))


def _fit_stadium(points: np.ndarray, w: np.ndarray, found: np.ndarray) -> np.ndarray | None:
    """(cx, cy, hx, hy, r, theta) of a rounded rectangle whose corner radius is its shorter half side,
    by least squares from `found`, a fit whose radius came out longer than that (a pill-shaped bar's
    ends: a free fit overshoots on the sampled ends of fxemoji's text lines, 4.07 against 4.00 px).
    `w`: the square roots of the weights. None where the fit fails or the sides swap."""
    short = 2 if abs(found[2]) < abs(found[3]) else 3  # the half side the radius is tied to

    def full(v: np.ndarray) -> np.ndarray:
        return np.insert(v, 4, v[short])

    def residual(v: np.ndarray) -> np.ndarray:
        return w * _rect_distance(points, *full(v))

    def jacobian(v: np.ndarray) -> np.ndarray:
        j = _rect_distance_jacobian(points, *full(v))
        j[:, short] += j[:, 4]
        return w[:, None] * np.delete(j, 4, axis=1)

    start = np.delete(found, 4)
    start[short] = abs(found[short])
    try:
        tied = full(least_squares(residual, start, jac=jacobian, method="lm", max_nfev=60).x)
    except ValueError:
        return None
    return tied if abs(tied[short]) <= abs(tied[5 - short]) + 1e-6 else None


def _to_frame(points: np.ndarray, cx: float, cy: float, theta: float) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    p = points - [cx, cy]
    return np.stack([p[:, 0] * c + p[:, 1] * s, -p[:, 0] * s + p[:, 1] * c], axis=1)


def _from_frame(points: np.ndarray, cx: float, cy: float, theta: float) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    x, y = points[:, 0], points[:, 1]
    return np.stack([x * c - y * s + cx, x * s + y * c + cy], axis=1)


def _rect_distance(points: np.ndarray, cx: float, cy: float, hx: float, hy: float, r: float,
                   theta: float) -> np.ndarray:
    """Signed distance of points from a rounded rectangle (negative inside)."""
    q = np.abs(_to_frame(points, cx, cy, theta)) - [abs(hx) - abs(r), abs(hy) - abs(r)]
    outside = np.hypot(np.maximum(q[:, 0], 0), np.maximum(q[:, 1], 0))
    return outside + np.minimum(np.maximum(q[:, 0], q[:, 1]), 0) - abs(r)


def _rect_distance_jacobian(points: np.ndarray, cx: float, cy: float, hx: float, hy: float, r: float,
                            theta: float) -> np.ndarray:
    """Partial derivatives of `_rect_distance` by (cx, cy, hx, hy, r, theta), one row per point (the
    subgradient where the distance has a kink: on the diagonal of a corner's inner square)."""
    local = _to_frame(points, cx, cy, theta)
    sign = np.where(local < 0, -1.0, 1.0)
    q = np.abs(local) - [abs(hx) - abs(r), abs(hy) - abs(r)]
    outside = np.maximum(q, 0.0)
    length = np.hypot(outside[:, 0], outside[:, 1])
    corner = length > 0
    safe = np.where(corner, length, 1.0)
    by_q = np.where(corner[:, None], outside / safe[:, None], 0.0)  # d distance / d q, outside part
    inner_x = ~corner & (q[:, 0] >= q[:, 1])  # inside: the max of qx, qy
    by_q[:, 0] += inner_x
    by_q[:, 1] += ~corner & ~inner_x
    by_local = by_q * sign
    c, s = np.cos(theta), np.sin(theta)
    d_cx = -(by_local[:, 0] * c - by_local[:, 1] * s)  # d local / d cx = (-c, s)
    d_cy = -(by_local[:, 0] * s + by_local[:, 1] * c)  # d local / d cy = (-s, -c)
    d_theta = by_local[:, 0] * local[:, 1] - by_local[:, 1] * local[:, 0]  # d local / d theta = (ly, -lx)
    d_hx = -by_q[:, 0] * np.sign(hx)
    d_hy = -by_q[:, 1] * np.sign(hy)
    d_r = (by_q[:, 0] + by_q[:, 1] - 1.0) * np.sign(r)
    return np.stack([d_cx, d_cy, d_hx, d_hy, d_r, d_theta], axis=1)


def distance(shape: Primitive, points: np.ndarray) -> np.ndarray:
    """Signed distance (input px, positive outside) of points from the primitive's boundary (for an
    ellipse: from the nearest of 360 boundary points, refined by Newton's method)."""
    theta = np.radians(shape.angle)
    if shape.kind == "circle":
        return np.hypot(points[:, 0] - shape.cx, points[:, 1] - shape.cy) - shape.rx
    if shape.kind == "rect":
        return _rect_distance(points, shape.cx, shape.cy, shape.rx, shape.ry, shape.corner, theta)
    local = _to_frame(points, shape.cx, shape.cy, theta)
    a, b = shape.rx, shape.ry
    samples = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    x, y = local[:, :1], local[:, 1:]
    t = samples[np.argmin((a * np.cos(samples) - x) ** 2 + (b * np.sin(samples) - y) ** 2, axis=1)]
    x, y = x[:, 0], y[:, 0]
    for _ in range(3):  # Newton on the derivative of the squared distance along the ellipse
        g = (b * b - a * a) * np.sin(t) * np.cos(t) + x * a * np.sin(t) - y * b * np.cos(t)
        slope = (b * b - a * a) * np.cos(2 * t) + x * a * np.cos(t) + y * b * np.sin(t)
        t = t - g / np.where(np.abs(slope) < 1e-12, 1e-12, slope)
    nearest = np.hypot(a * np.cos(t) - x, b * np.sin(t) - y)
    inside = (x / a) ** 2 + (y / b) ** 2 < 1
    return np.where(inside, -nearest, nearest)


def boundary(shape: Primitive, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`count` points on the primitive's boundary, the outward unit normals and the curvature there."""
    t = np.linspace(0, 2 * np.pi, count, endpoint=False)
    theta = np.radians(shape.angle)
    if shape.kind == "rect":  # points on the boundary by pushing a dense ring onto it
        hx, hy, r = shape.rx, shape.ry, shape.corner
        inner = np.c_[np.clip(np.cos(t) * (hx + hy), -(hx - r), hx - r),
                      np.clip(np.sin(t) * (hx + hy), -(hy - r), hy - r)]
        direction = np.c_[np.cos(t), np.sin(t)]
        flat = np.abs(inner) < np.array([hx - r, hy - r]) - 1e-9
        side_x = np.c_[np.sign(direction[:, 0]), np.zeros(count)]  # on a vertical side
        side_y = np.c_[np.zeros(count), np.sign(direction[:, 1])]  # on a horizontal side
        normal = np.where(flat[:, [1]] & ~flat[:, [0]], side_x,
                          np.where(flat[:, [0]] & ~flat[:, [1]], side_y, direction))
        local, local_normal = inner + r * normal, normal
        curvature = np.where(flat.any(axis=1), 0.0, 1 / max(r, 1e-6))
    else:
        a, b = shape.rx, shape.ry
        local = np.c_[a * np.cos(t), b * np.sin(t)]
        local_normal = np.c_[b * np.cos(t), a * np.sin(t)]
        local_normal /= np.hypot(*local_normal.T)[:, None]
        curvature = a * b / ((a * np.sin(t)) ** 2 + (b * np.cos(t)) ** 2) ** 1.5
    points = _from_frame(local, shape.cx, shape.cy, theta)
    normals = _from_frame(local_normal, 0.0, 0.0, theta)
    return points, normals, curvature


def inside_image(points: np.ndarray, image: np.ndarray, margin: float = 1.0) -> np.ndarray:
    """Which points (x, y, input px) lie more than `margin` px inside the image: on its border an edge
    has no outside to be measured against (a rounded square filling the canvas shows only its corners)."""
    height, width = image.shape[:2]
    x, y = points[:, 0], points[:, 1]
    return (x > margin) & (x < width - margin) & (y > margin) & (y < height - margin)


def snap(shape: Primitive, image: np.ndarray, fill: np.ndarray, source_px: float = 1.0,
         owner: tuple[TopShapes, int, float] | None = None) -> Primitive | None:
    """The primitive fitted again to its boundary points moved onto the input's edge (see the module
    docstring); None where the input's edge does not follow it or where fewer than MIN_SNAPPED_SHARE of
    its boundary points off the image's border find the edge (the shape hidden under others). `owner`:
    (the drawing's topmost shapes, the drawing's shape the primitive outlines, the side of its
    outward normals the fill lies on: -1, or +1 for a hole), so that where the fill is not what the
    input shows along the edge (a gradient face traced flat) the edge is measured against the colour
    inside it (shared/edge_profiles.py, LOCAL_FILL)."""
    fit = {"circle": fit_circle, "ellipse": fit_ellipse, "rect": fit_rounded_rect}[shape.kind]
    moved = np.zeros((0, 2))
    for _ in range(SNAP_ROUNDS):
        perimeter = 2 * np.pi * max(shape.rx, shape.ry)
        points, normals, curvature = boundary(shape, int(np.clip(perimeter / SNAP_SPACING_PX, 32, 256)))
        fills = np.repeat(fill[None], len(points), axis=0)
        insides = None if owner is None or not PRIMITIVE_INSIDES else Insides(
            owner[0], np.full(len(points), owner[2]), np.full(len(points), owner[1]))
        offsets = profile_offsets(image, points[:, None, :], normals, fills, insides) \
            + CURVATURE_BIAS_PX2 * curvature
        known = np.isfinite(offsets)
        if known.sum() < MIN_SNAPPED_SHARE * max(int(inside_image(points, image).sum()), 1):
            return None
        moved = points[known] + offsets[known, None] * normals[known]
        again = fit(moved, np.ones(len(moved)))
        if again is None:
            return None
        shape = again
    weights = np.ones(len(moved))
    tolerance, max_error = TOLERANCE_PX * source_px, MAX_ERROR_PX * source_px
    rms = _fit_rms(shape, moved, weights, tolerance, max_error)
    if rms is None:
        return None
    if shape.kind == "ellipse":  # an ellipse the input does not tell from a circle is written as one
        circle = fit_circle(moved, weights)
        rms_circle = None if circle is None else _fit_rms(circle, moved, weights, tolerance, max_error)
        if circle is not None and rms_circle is not None and rms_circle <= rms + CIRCLE_SLACK_PX:
            return circle
    return shape


def _rms(error: np.ndarray, weights: np.ndarray) -> float:
    """The weighted root mean square of distances `error` (px)."""
    return float(np.sqrt(np.sum(weights * error**2) / np.sum(weights)))
