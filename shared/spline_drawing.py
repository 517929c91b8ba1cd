"""Which rings of a drawing become splines (shared/splines.py fits one ring), and when.

`fit_splines` fits every ring not fitted yet (by a primitive or a curve) where its spline lies nearer the
input's edge than its polygon; a ring left a polygon gets its cut-off corners restored all the same
(`restored_polygons`, shared/corners.py's `restore_corners`).

In a cutout trace neighbouring shapes share their edges, and `underlap` (shared/conflation.py) pushes
the polygon vertices of the earlier one out under the later one; a spline there would open seams. So
of a cutout trace `fit_splines` fits only rings that no later opaque shape borders (`borders_later`): a
letter or a silhouette on a transparent ground, a shape on top of all it touches (an emoji's eyes on
its face); their earlier neighbours are pushed under them as before. The other rings are fitted after
`underlap` (`fit_visible_parts`), with the edges it pushed under later shapes kept straight.
"""

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from shared.conflation import borders_later, hidden_edges, later_lookup
from shared.corners import restore_corners, sharpness
from shared.curves import measured_edge_points
from shared.edge_profiles import fill_colours
from shared.geometry import Drawing, outward_signs
from shared.paint import premultiplied
from shared.round_bends import has_run, rounded_joints
from shared.splines import spline_ring

SAMPLE_SPACING_PX = 3.0  # fitting points along each edge (at least 2 per edge); every 2 px (curves.py's
# spacing) measured the same on 72 training images (source mean +0.0005 either way) with half as many
# points again to measure and fit
RESTORE_POLYGON_CORNERS = True  # rings left polygons get their cut-off corners restored (`restored_polygons`)
CUTOUT_RINGS = True  # of a cutout trace, the rings no later opaque shape borders are fitted (False: none)
CUTOUT_PARTS = True  # of a cutout trace after `underlap`, the other rings' visible parts too
GRADIENT_PARTS = True  # ... gradient-painted shapes' rings included (their edges are measured against the
# colour the input shows inside them: shared/edge_profiles.py, LOCAL_FILL)


def fit_splines(drawing: Drawing, corner_angle: float, rgba: np.ndarray, cutout: bool = False) -> Drawing:
    """`drawing` with the rings not fitted yet written as splines where those lie nearer the input's
    edge than their polygons (see the module docstring); of a `cutout` trace, only rings that no later
    opaque shape borders."""
    if cutout and not CUTOUT_RINGS:
        return drawing
    rings = None  # all
    if cutout and drawing.is_polygonal:
        top, scale = later_lookup(drawing)
        outward = outward_signs(drawing)
        rings = {i for i, ring in enumerate(drawing.rings) if i not in drawing.fitted and len(ring) >= 3
                 and not borders_later(ring, int(drawing.ring_shape[i]), top, scale, outward[i])}
    return restored_polygons(_with_splines(drawing, corner_angle, rgba, rings), corner_angle, rgba, rings)


def restored_polygons(drawing: Drawing, corner_angle: float, rgba: np.ndarray, rings: set[int] | None
                      ) -> Drawing:
    """`drawing` with the cut-off corners of those of `rings` (None: all) left polygons restored as the
    fitters restore them before fitting (shared/corners.py, `restore_corners`). A ring of corners only
    (a rectangle) is no spline's to fit, and a ring whose spline lost to its polygon keeps the polygon
    as traced: either kept the trace's chamfer at each corner, a diagonal of about one traced pixel that
    a 4x zoom shows (a 150 x 100 px square traced at 1.5x: 0.4 x 0.6 px cut off each corner)."""
    if not RESTORE_POLYGON_CORNERS or not drawing.is_polygonal:
        return drawing
    image: np.ndarray | None = None  # converted once a ring needs it (most are fitted)
    fills = fill_colours(drawing.fills, drawing.opacity)
    shapes = drawing.ring_shape.tolist()
    out, changed = [], False
    for index, ring in enumerate(drawing.rings):
        if len(ring) >= 5 and index not in drawing.fitted and (rings is None or index in rings):
            image = premultiplied(rgba) if image is None else image
            restored = restore_corners(ring, corner_angle, sharpness(image, fills[shapes[index]]))
            if len(restored) >= 3 and not np.array_equal(restored, ring):
                ring, changed = restored, True
        out.append(ring)
    if not changed:
        return drawing
    return drawing.with_rings(np.vstack(out), np.append(0, np.cumsum([len(r) for r in out])))


def fit_visible_parts(drawing: Drawing, corner_angle: float, rgba: np.ndarray) -> Drawing:
    """A cutout trace after `underlap` with its rings not fitted yet (those that border later shapes)
    written as splines along their visible stretches: the edges that lie under later opaque shapes
    (`hidden_edges`: those `underlap` pushed) stay straight with corners at their ends, so the push keeps
    covering the seam. Rings of gradient-painted shapes are measured against the colour the input shows
    inside them (their flat fill is not what it shows along their edges)."""
    if not CUTOUT_PARTS or not drawing.is_polygonal or len(drawing.fills) < 2:
        return drawing
    top, scale = later_lookup(drawing)
    outward = outward_signs(drawing)
    shapes = drawing.ring_shape.tolist()
    rings = {i for i, ring in enumerate(drawing.rings)
             if i not in drawing.fitted and len(ring) >= 3
             and (GRADIENT_PARTS or shapes[i] not in drawing.paints)
             and hidden_edges(ring, shapes[i], top, scale, outward[i]).any()}
    return _with_splines(drawing, corner_angle, rgba, rings,
                         lambda index, ring: hidden_edges(ring, shapes[index], top, scale, outward[index]))


def _with_splines(drawing: Drawing, corner_angle: float, rgba: np.ndarray, rings: set[int] | None,
                  straight: Callable[[int, np.ndarray], np.ndarray] | None = None) -> Drawing:
    """`drawing` with those of `rings` (None: every ring not fitted yet) that `spline_ring` fits written
    as splines; `straight(index, ring)`: the edges of a ring (corners restored) kept as lines (None:
    none; a ring whose edges are all kept stays a polygon)."""
    fitted = dict(drawing.fitted)
    for index, ring, moved, samples, first in measured_edge_points(drawing, corner_angle, rgba, has_run,
                                                                   SAMPLE_SPACING_PX, rings, rounded_joints):
        lines = None if straight is None else straight(index, ring)
        if moved is None or (lines is not None and lines.all()):
            continue
        spline = spline_ring(ring, moved, samples, first, corner_angle, lines)
        if spline is not None:
            fitted[index] = spline
    return replace(drawing, fitted=fitted) if len(fitted) > len(drawing.fitted) else drawing
