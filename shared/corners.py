"""Corners of traced rings: how much an outline turns at each vertex, which vertices are corners, and
the corners a trace cut off restored (`restore_corners`): a short edge (under CHAMFER_PX, or under
LONG_CHAMFER_PX where the input is filled just inside the point, `sharpness`) between two long ones
that together turn by more than the corner angle is a corner the trace cut off, and becomes the
corner where the long edges' lines meet. The curve fitters (shared/curves.py, shared/splines.py) and
the rings left polygons (shared/spline_drawing.py, `restored_polygons`) start from rings so restored.
"""

from collections.abc import Callable

import numpy as np

from shared.edge_profiles import sample
from shared.geometry import cyclic_shift

CHAMFER_PX = 1.5  # an edge shorter than this between two corners' long edges is a cut-off corner
LONG_CHAMFER_PX = 6.0  # up to this long where the input is filled just inside the restored corner
SHARP_INSET_PX = 0.75  # how far inside a restored corner the input must be mostly the fill
NOTCH_PX = 2.5  # how far into a concave corner's notch its colour is read (`sharpness`)
CONCAVE_CORNERS = True  # a concave corner cut by 1.5-6 px is restored where the input's notch is sharp
# (`sharpness`; the convex test alone never passed there: devicon's capacitor's chevrons, cut by 3 px)
EVERY_CORNER = True  # a chamfer whose long edge before it ends at the corner restored just before is
# restored too (`restore_corners`); that vertex was dropped, which left every other corner of a
# rectangle traced with all four cut (a 115 px square 0.3 px off the grid: two corners cut by 0.6 px)
KNOWN_CONCAVE = True  # a cut the ring turns concave at is tested as a notch only (`sharpness`)


def turning_angles(ring: np.ndarray) -> np.ndarray:
    """The angle (degrees, 0-180) the outline turns by at each vertex of a closed ring."""
    return np.abs(signed_turns(ring))


def signed_turns(ring: np.ndarray) -> np.ndarray:
    """The signed angle (degrees, -180 to 180) the outline turns by at each vertex."""
    return turns_between(ring - cyclic_shift(ring, 1), cyclic_shift(ring, -1) - ring)


def turns_between(incoming: np.ndarray, outgoing: np.ndarray) -> np.ndarray:
    """The signed angle (degrees, -180 to 180) from each of the direction vectors `incoming` (n, 2) to
    the one of `outgoing` beside it."""
    cross = incoming[:, 0] * outgoing[:, 1] - incoming[:, 1] * outgoing[:, 0]
    dot = np.sum(incoming * outgoing, axis=1)
    return np.degrees(np.arctan2(cross, dot))


def corner_vertices(ring: np.ndarray, corner_angle: float) -> np.ndarray:
    """Indices of the corners: vertices turning by more than `corner_angle`, unless the turns of the
    vertex and its two neighbours add up to less than half of it (a notch the trace left in a smooth
    outline, which the fitted points smooth over, not a corner)."""
    turns = signed_turns(ring)
    around = cyclic_shift(turns, 1) + turns + cyclic_shift(turns, -1)
    return np.flatnonzero((np.abs(turns) > corner_angle) & (np.abs(around) > corner_angle / 2))


def sharpness(image: np.ndarray | None, fill: np.ndarray
              ) -> Callable[[np.ndarray, np.ndarray, bool], bool] | None:
    """Whether the input, SHARP_INSET_PX inside a corner point along `inward`, is more like the fill
    than like the input 1.5 px outside it (a sharp corner; a cut or rounded one is not filled there).
    At a concave corner (the input 1.5 px outside is the fill itself, or the caller knows the ring turns
    the other way there: `concave`) `inward` points into the notch: sharp where the input there is more
    like the notch's colour NOTCH_PX in than like the fill. Told `concave`, the first test is not tried:
    beside a hole it read the hole's edge as the outside and took a filled notch for a sharp corner
    (the `ram` logo's R: its leg's notch restored 7 px up through the bar into the bowl's counter)."""
    if image is None:
        return None

    def sharp(corner: np.ndarray, inward: np.ndarray, concave: bool) -> bool:
        inside, outside, notch = sample(image, np.array([corner + SHARP_INSET_PX * inward,
                                                          corner - 1.5 * inward, corner + NOTCH_PX * inward]))
        span = fill - outside
        contrast = float(span @ span)
        if contrast > 0.15**2 and not (concave and KNOWN_CONCAVE):
            return float((inside - outside) @ span) / contrast >= 0.5
        if not CONCAVE_CORNERS:
            return False
        # a concave corner: the fill lies beyond it, and its notch (where `inward` points) is sharp where
        # the input just inside the corner point is more like the notch's colour than like the fill
        span = notch - fill
        contrast = float(span @ span)
        return contrast > 0.15**2 and float((inside - fill) @ span) / contrast >= 0.5

    return sharp


def restore_corners(ring: np.ndarray, corner_angle: float,
                    sharp: Callable[[np.ndarray, np.ndarray, bool], bool] | None = None) -> np.ndarray:
    """A ring with each cut-off corner replaced by the meeting point of the two long edges beside it:
    an edge under CHAMFER_PX, or under LONG_CHAMFER_PX where `sharp(corner, inward, concave)` says the
    input is filled just inside that point (`inward`: unit vector along the corner's bisector; at a
    concave corner, only between long edges whose far ends are corners too), between edges twice as long that
    together turn (one way) by more than `corner_angle`."""
    ring = ring.copy()
    n = len(ring)
    keep = np.ones(n, bool)
    if n < 5:
        return ring
    length = np.hypot(*(cyclic_shift(ring, -1) - ring).T)
    turns = signed_turns(ring)
    pair = turns + cyclic_shift(turns, -1)
    limit = LONG_CHAMFER_PX if sharp is not None else CHAMFER_PX
    cut = (length < limit) & (np.abs(pair) > corner_angle)  # a short edge whose ends turn past the angle
    candidates = cut & (turns * cyclic_shift(turns, -1) > 0)
    # a concave cut is restored only between long edges whose far ends are corners (or cuts): beside a
    # bend's facet, the facet's line meets the other side off the bend, which then fits no spline (mdi's
    # mine)
    orientation, corner = np.sign(turns.sum()), np.abs(turns) > corner_angle
    ends_before, ends_after = corner | cyclic_shift(cut, 1), corner | cut
    for i in np.flatnonzero(candidates).tolist():
        a, b, c, d = (i - 1) % n, i, (i + 1) % n, (i + 2) % n
        free = keep[b] and keep[c] if EVERY_CORNER else keep[a] and keep[b] and keep[c] and keep[d]
        if not free or min(length[a], length[c]) < 2 * max(
                length[b], CHAMFER_PX):
            continue
        meet = lines_meet(ring[a], ring[b] - ring[a], ring[c], ring[d] - ring[c])
        middle = (ring[b] + ring[c]) / 2
        if meet is None or np.hypot(*(meet - middle)) > max(2 * CHAMFER_PX, 2 * length[b]):
            continue
        concave = bool(turns[b] * orientation < 0)
        concave_between_bends = concave and not (ends_before[a] and ends_after[d])
        if length[b] >= CHAMFER_PX and (sharp is None or not sharp(meet, unit(middle - meet), concave)
                                         or concave_between_bends):
            continue
        ring[b] = meet
        keep[c] = False
    ring = ring[keep]
    return _straighten_corner_edges(ring, corner_angle, sharp)


def _straighten_corner_edges(ring: np.ndarray, corner_angle: float,
                             sharp: Callable[[np.ndarray, np.ndarray, bool], bool] | None) -> np.ndarray:
    """A short edge beside a corner that leaves the corner a little off the straight edge it leads
    into (the trace's last pixel step before the corner) joins that edge: the vertex between them goes
    and the corner moves to where the straight edge's line meets the corner's other edge."""
    n = len(ring)
    if n < 5 or sharp is None:
        return ring
    ring = ring.copy()
    keep = np.ones(n, bool)
    length = np.hypot(*(cyclic_shift(ring, -1) - ring).T)
    turns = np.abs(signed_turns(ring))
    for b in np.flatnonzero(turns > corner_angle).tolist():
        for step in (1, -1):  # the short edge after the corner, then the one before it
            c, d, a = (b + step) % n, (b + 2 * step) % n, (b - step) % n
            short = length[b if step == 1 else c]
            beyond = length[c if step == 1 else d]
            if not (keep[a] and keep[b] and keep[c] and keep[d]) or short >= LONG_CHAMFER_PX or \
                    turns[c] >= corner_angle / 2 or beyond < 2 * short:
                continue
            meet = lines_meet(ring[b], ring[b] - ring[a], ring[c], ring[d] - ring[c])
            if meet is None or np.hypot(*(meet - ring[b])) > 2 * short:
                continue
            inward = unit((ring[a] + ring[c]) / 2 - meet)
            if short >= CHAMFER_PX and not sharp(meet, inward, False):
                continue
            ring[b] = meet
            keep[c] = False
    return ring[keep]


def lines_meet(p: np.ndarray, u: np.ndarray, q: np.ndarray, v: np.ndarray) -> np.ndarray | None:
    """Where the line through p along u meets the line through q along v (None if parallel, or if u
    or v is zero: a ring's repeated vertex makes a zero-length edge, whose line is no line)."""
    det = u[0] * v[1] - u[1] * v[0]
    if not abs(det) > 1e-9 * np.hypot(*u) * np.hypot(*v):
        return None
    return p + ((q - p)[0] * v[1] - (q - p)[1] * v[0]) / det * u


def unit(vector: np.ndarray) -> np.ndarray:
    return vector / max(float(np.hypot(*vector)), 1e-12)
