"""Primitives: a shape of one closed ring that is a circle, an ellipse or a rounded rectangle is written
as `<circle>`, `<ellipse>` or `<rect rx>` (any rotation by `transform`), which stays exact at any zoom.
A ring of a compound shape (a ring logo's outline and its hole, a round hole in a plate, a badge's
rounded square around a letter cut out of it) that is a circle, an ellipse or a rounded rectangle is
written as arcs (and sides) inside the shape's path, in the ring's own winding (shared/svg.py), so the
hole stays a hole.

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
Two exceptions: a ring that runs along the image's border (a disc the canvas cuts off) is fitted again
without its points there when the whole ring fits no primitive, and written whole, the viewport
clipping it (CLIPPED_BY_CANVAS); and a few measured points farther than MAX_ERROR_PX, in runs of at
most two, are left out of the last fit where the traced ring follows the primitive there: a third
colour meeting the edge makes its profile read the junction (JUNCTION_OUTLIERS).
A plain rectangle (corner radius under MIN_CORNER_PX) stays a 4-vertex polygon: as short, and as exact.
"""

from collections.abc import Callable
from dataclasses import replace

import numpy as np
from scipy.spatial import ConvexHull, QhullError

from shared.edge_profiles import Insides, TopShapes, fill_colours, profile_offsets
from shared.geometry import Drawing, Primitive, cyclic_shift, outward_signs, signed_area
from shared.paint import premultiplied
from shared.primitive_shapes import FITS, boundary, distance, fit_circle

PRIMITIVE_INSIDES = True  # a primitive's edge is measured against the colour inside it where its fill is not
# what the input shows along it (`snap`; shared/edge_profiles.py, LOCAL_FILL)
TOLERANCE_PX = 0.1  # root-mean-square distance of the input's edge from the primitive
MAX_ERROR_PX = 0.35  # no measured edge point farther than this
POLYGON_TOLERANCE_PX = 0.25  # the same for the ring's edge points (a simplified polygon is coarser)
POLYGON_MAX_ERROR_PX = 1.0  # a screen only (the input's edge decides): vscode-icons' prettier drew two of
# its 32 px pills as 8-vertex traces 0.62-0.71 px off their rounded rectangle (0.6 until 2026-12-06)
KIND_SLACK = 1.25  # of the kinds that fit, the first within this times the best one's RMS error
CURVATURE_BIAS_PX2 = 0.125  # a profile across a curved edge reads it this much times the curvature
# inside: bilinear sampling of box-filtered pixels averages over a tangential variance of 1/6 + 1/12 px²,
# and a curve falls away from its tangent by t²/2r (measured 0.13/r on exactly covered discs, r 4-60 px)
MIN_VERTICES = 6  # fewer: tried only as FEW_VERTEX_KINDS
FEW_VERTEX_KINDS = ("circle", "rect")  # a ring of 4-5 vertices: a dot of radius 2-3 px traced as a square
# or a pentagon, or a dash with round ends traced as a rectangle (its spline kept corners where the facets
# turn past 80 degrees); not an ellipse, which also fits a gradient's lens-shaped band
MIN_FEW_VERTICES = 4  # fewer: never a primitive
SHAPE_KINDS = ("circle", "ellipse", "rect")  # tried in this order on a shape of one ring
RING_KINDS = ("circle", "ellipse", "rect")  # on a ring of a compound shape (written as arcs, and a rounded
# rectangle's sides, in its path: a badge's rounded frame around a letter cut out of it)
MIN_CONVEXITY = 0.97  # ring area over its convex hull's: below, no primitive is tried (every primitive
# is convex; on the 256 px dev holdout every accepted ring had >= 0.996, and the screen skips 77 % of
# the rings tried, the fits' main cost)
MIN_CORNER_PX = 1.5  # a smaller corner radius is a sharp corner the profiles blur (a 17-degree square
# measured 0.63 px): such a rectangle stays a polygon
SNAP_ROUNDS = 2
SNAP_SPACING_PX = 2.0  # boundary points every this many px along the primitive (32 to 256)
CIRCLE_SLACK_PX = 0.01  # a snapped ellipse whose circle fits the edge within this much more RMS is
# a circle (a twemoji flag's disc came out as rx 49.755, ry 49.75 rotated by -12 degrees: 52 B more)
MIN_SNAPPED_SHARE = 0.5  # fewer measured boundary points than this share: the polygon fit is kept
CLIPPED_BY_CANVAS = True  # a ring along the image's border is fitted again without its points there: a
# disc or rounded rectangle the canvas cuts off (a camera's lens running off the bottom) is written whole,
# and the viewport clips it (the snap measures only the edge inside the image)
CANVAS_EDGE_PX = 0.5  # points within this of the border are the canvas's edge, not the shape's
OFF_CANVAS_PX = 0.25  # a boundary point farther outside the image than this is not measured (a clipped
# disc's point 0.4 px above the canvas read an edge 0.6 px off); one on the border is (a rounded square
# filling the canvas has its sides there)
MIN_INSIDE_SHARE = 0.6  # of the ring's edge points (by count) inside the image, or no such fit is tried
JUNCTION_OUTLIERS = True  # a few measured points past MAX_ERROR_PX left out of the last fit where the
# traced ring follows the primitive there (`_without_junction_outliers`)
OUTLIER_SHARE = 0.05  # at most this share of the measured points
OUTLIER_RUN = 2  # in runs of at most this many (SNAP_SPACING_PX apart): a junction's reach; a deeper
# notch than POLYGON_MAX_ERROR_PX fails the ring's own fit first


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
        few_kinds = tuple(k for k in kinds if k in FEW_VERTEX_KINDS)
        for ring in members:
            count = len(rings[ring])
            if count < MIN_FEW_VERTICES or not convex(rings[ring]):
                continue
            points, weights = edge_points(rings[ring])
            tried = kinds if count >= MIN_VERTICES else few_kinds
            found = fit_primitive(points, weights, POLYGON_TOLERANCE_PX * source_px,
                                  POLYGON_MAX_ERROR_PX * source_px, kinds=tried)
            if found is None and CLIPPED_BY_CANVAS:  # along the border: fitted without its points there
                inside = inside_image(points, rgba, CANVAS_EDGE_PX)
                if not inside.all() and inside.mean() >= MIN_INSIDE_SHARE:
                    found = fit_primitive(points[inside], weights[inside], POLYGON_TOLERANCE_PX * source_px,
                                          POLYGON_MAX_ERROR_PX * source_px, kinds=tried)
            if found is None:
                continue
            image = premultiplied(rgba) if image is None else image
            hole = np.sign(signed_area(rings[ring])) != outward[ring]  # the fill lies outside it
            snapped = snap(found, image, fills[shape], source_px, (tops, shape, 1.0 if hole else -1.0),
                           points)
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
    following = cyclic_shift(ring, -1)
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
    good: list[tuple[float, Primitive]] = []
    for kind in kinds:
        found = FITS[kind](points, weights)
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


def inside_image(points: np.ndarray, image: np.ndarray, margin: float = 1.0) -> np.ndarray:
    """Which points (x, y, input px) lie more than `margin` px inside the image: on its border an edge
    has no outside to be measured against (a rounded square filling the canvas shows only its corners)."""
    height, width = image.shape[:2]
    x, y = points[:, 0], points[:, 1]
    return (x > margin) & (x < width - margin) & (y > margin) & (y < height - margin)


def snap(shape: Primitive, image: np.ndarray, fill: np.ndarray, source_px: float = 1.0,
         owner: tuple[TopShapes, int, float] | None = None, ring_points: np.ndarray | None = None
         ) -> Primitive | None:
    """The primitive fitted again to its boundary points moved onto the input's edge (see the module
    docstring); None where the input's edge does not follow it or where fewer than MIN_SNAPPED_SHARE of
    its boundary points off the image's border find the edge (the shape hidden under others). `owner`:
    (the drawing's topmost shapes, the drawing's shape the primitive outlines, the side of its
    outward normals the fill lies on: -1, or +1 for a hole), so that where the fill is not what the
    input shows along the edge (a gradient face traced flat) the edge is measured against the colour
    inside it (shared/edge_profiles.py, LOCAL_FILL). `ring_points`: the `edge_points` of the traced ring
    the primitive replaces, which let a few points at junctions be left out (`_without_junction_outliers`)."""
    fit = FITS[shape.kind]
    moved = np.zeros((0, 2))
    for _ in range(SNAP_ROUNDS):
        perimeter = 2 * np.pi * max(shape.rx, shape.ry)
        points, normals, curvature = boundary(shape, int(np.clip(perimeter / SNAP_SPACING_PX, 32, 256)))
        fills = np.repeat(fill[None], len(points), axis=0)
        insides = None if owner is None or not PRIMITIVE_INSIDES else Insides(
            owner[0], np.full(len(points), owner[2]), np.full(len(points), owner[1]))
        offsets = profile_offsets(image, points[:, None, :], normals, fills, insides) \
            + CURVATURE_BIAS_PX2 * curvature
        known = np.isfinite(offsets) & inside_image(points, image, -OFF_CANVAS_PX)  # beyond: no edge there
        if known.sum() < MIN_SNAPPED_SHARE * max(int(inside_image(points, image).sum()), 1):
            return None
        moved = points[known] + offsets[known, None] * normals[known]
        again = fit(moved, np.ones(len(moved)))
        if again is None:
            return None
        shape = again
    tolerance, max_error = TOLERANCE_PX * source_px, MAX_ERROR_PX * source_px
    if JUNCTION_OUTLIERS and ring_points is not None:
        shape, moved = _without_junction_outliers(shape, moved, fit, max_error, ring_points)
    weights = np.ones(len(moved))
    rms = _fit_rms(shape, moved, weights, tolerance, max_error)
    if rms is None:
        return None
    if shape.kind == "ellipse":  # an ellipse the input does not tell from a circle is written as one
        circle = fit_circle(moved, weights)
        rms_circle = None if circle is None else _fit_rms(circle, moved, weights, tolerance, max_error)
        if circle is not None and rms_circle is not None and rms_circle <= rms + CIRCLE_SLACK_PX:
            return circle
    return shape


def _without_junction_outliers(shape: Primitive, moved: np.ndarray, fit: Callable[..., Primitive | None],
                               max_error: float, ring_points: np.ndarray) -> tuple[Primitive, np.ndarray]:
    """The primitive fitted again without the measured points farther than `max_error` from it, where
    those come in runs of at most OUTLIER_RUN (boundary order), make at most OUTLIER_SHARE of the
    points, and the traced ring (`ring_points`, its `edge_points`) lies within `max_error` of the new
    fit all round: where a third colour meets the edge (a wheel's tyre where a bumper runs into it) its
    profile reads the junction, not the edge, while the ring, whose edges a cutout trace's neighbours
    share, follows the primitive (where it does not, the primitive would open seams against them).
    Otherwise (a bite out of a disc, or a shape the ring bends around) the shape stays as it is.
    Returns the shape and its points."""
    far = np.abs(distance(shape, moved)) > max_error
    runs = far.copy()  # far points with OUTLIER_RUN far points before them: a longer run
    for step in range(1, OUTLIER_RUN + 1):
        runs &= np.roll(far, step)
    if not far.any() or far.sum() > OUTLIER_SHARE * len(moved) or runs.any():
        return shape, moved
    again = fit(moved[~far], np.ones(int((~far).sum())))
    if again is None or np.abs(distance(again, ring_points)).max() > max_error:
        return shape, moved
    return again, moved[~far]


def _rms(error: np.ndarray, weights: np.ndarray) -> float:
    """The weighted root mean square of distances `error` (px)."""
    return float(np.sqrt(np.sum(weights * error**2) / np.sum(weights)))
