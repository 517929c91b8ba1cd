"""Sub-pixel refinement of traced polygons: each straight edge is moved along its normal to where the
input's anti-aliased boundary lies, and each vertex to where its two moved edges meet.

A trace puts vertices on the traced pixel grid, so an edge can sit up to half a traced pixel from the
true boundary. The input's anti-aliasing records where that boundary is: coverage profiles across each
segment at ALONG (shared/edge_profiles.py) find the boundary of the segment's fill, or of the colour the
input shows inside it where a region the trace drew flat is a gradient (`edge_profiles.LOCAL_FILL`);
their mean places the edge. Segments with no clear edge (too short, low contrast, the fill not found on
either side, e.g. hidden under another shape) keep their place. A long segment whose boundary measured
at its quarter, middle and three-quarter points lies on one line askew of it is turned onto that line
(`_tilts`). Before that, a long sharp segment whose boundary bends away from a line (a shallow arc or V
the engine drew as one segment) is split at its middle onto the boundary there (`split_bends`). No
vertex moves farther than MAX_SHIFT_PX; at a tip whose edges' lines meet farther off (an acute notch
the trace cut short) the vertex becomes two, one on each line (`BEVEL_CLAMPED`), so neither side leans.
The refined drawing is written on a grid of 1/`refine_grid` px (`shared.svg.write_svg`); callers may
keep the unrefined one where it measures higher (`shared.candidate.evaluate`).
"""

from dataclasses import replace

import numpy as np

from shared.edge_profiles import (
    MAX_SHIFT_PX,
    Insides,
    Profiles,
    TopShapes,
    coverage_profiles,
    edge_positions,
    fill_colours,
    mean_offsets,
)
from shared.geometry import Drawing, outward_signs, ring_index
from shared.paint import premultiplied

ALONG = np.array([0.25, 0.5, 0.75])  # where along a segment profiles are taken (ends are corners);
# 5 places instead of 3 measured no better (mean SSIM +0.00005 on 80 training images) at 2x the time
MIN_SEGMENT_PX = 1.5  # shorter segments are placed by their neighbours only
TILT_FIT_PX = 0.06  # most a quarter/middle/three-quarter boundary point may lie off their line
MIN_TILT_SEGMENT_PX = 4.0  # shorter segments are shifted, never turned
TILT_MIN_CONTRAST = 0.3  # premultiplied RGBA distance an edge needs to be turned (bands of a gradient
# differ by less: turning their soft boundaries lowered SSIM on generated gradients)
CLEAN_TILT_CONTRAST = 0.1  # ... or this where every profile is a clean step (`Profiles.clean`):
# two flat colours meeting, as close as a usable clean profile may be (`edge_profiles.LOW_CONTRAST`): an
# emoji's skin tones, a logo's facets (docs/findings.md)
TILT_FLAT_INSIDE = 0.05  # most the coverage 2.5 px inside may differ from 1 for a segment to be turned
THIN_INSIDE_PX = 1.25  # a segment whose coverage this far inside is the fill and falls again deeper (the far
THIN_FALL = 0.3  # side of a shape under about 3 px wide: a star's arm, a stroke) by at least this passes
# TILT_FLAT_INSIDE too (`_sharp`)
WIDE_BAR_MIN_PX = 12.0  # a segment this long passes as thin where its coverage only does not rise again
WIDE_BAR_FALL = -0.05  # deeper (by more than this): a bar 2.5-4 px wide, whose far side's ramp the deepest
# sample reaches (coverage 0.75-0.92 on a 3.16 px bar), neither the fill nor a fall by THIN_FALL
MAX_TILT_PX = 1.5  # largest change of a segment's offset from its start to its end (1.0 until 2026-12-04)
NEAR_PARALLEL = 0.26  # |sin| of the angle below which two edges' moves are averaged, not intersected
LENGTH_WEIGHTED = True  # nearly parallel edges' moves are averaged weighted by their lengths (was evenly:
# a 146 px side meeting a bend's 5 px facet at 10 degrees took half the facet's offset, and leant by 0.17 px)
SPLIT_BENDS = True  # long segments whose boundary bends are split at their middle before refinement
SPLIT_MIN_PX = 12.0  # shorter segments are never split (8: held-out 4x mean +0.00006, +2.4 % bytes)
SPLIT_BEND_PX = 0.1  # the middle boundary point's distance from the quarter points' chord that splits
# (a parabola's sagitta is 4x that: 0.4 px); an emoji's shallow V-shaped edge, 2 px deep over 65 px,
# was traced as one segment and stayed 1.3 px off at one end
SPLIT_ROUNDS = 2  # halvings at most (a segment becomes up to 4)
BEVEL_CLAMPED = True  # a vertex whose edges meet beyond MAX_SHIFT_PX (an acute tip) becomes two, one on
# each measured line, instead of one clamped point on neither: KLM's M, its notch's 45 px upright side
# left leaning by 0.4 px at the top
BEVEL_MIN_PX = 0.05  # ... where the two points lie at least this far apart
BEVEL_SIDE_PX = 6.0  # ... where both edges are this long (sides whose lines are measured well) ...
BEVEL_TURN_DEG = 90.0  # ... and the outline turns by this much there: a tip (a bend's facets turn by
# little, and their lines meet far off where their offsets differ a little: the spikes MAX_SHIFT_PX guards
# against; beveled, a tyre's arc got a jog)
LOCAL_TILT_CONTRAST = 0.15  # TILT_MIN_CONTRAST of a segment measured against the colour inside it
# (edge_profiles.LOCAL_FILL: that colour is a plateau 2-2.5 px in, not a band's soft step)


def _left_normals(direction: np.ndarray) -> np.ndarray:
    unit = direction / np.maximum(np.hypot(direction[:, 0], direction[:, 1]), 1e-9)[:, None]
    return np.stack([-unit[:, 1], unit[:, 0]], axis=1)


def edge_offsets(image: np.ndarray, starts: np.ndarray, ends: np.ndarray, fills: np.ndarray,
                 insides: Insides | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(offset, tilt) of each segment's boundary: the signed distance (input px) from the segment to
    the boundary of its fill along its left-hand normal (direction turned by +90 degrees), at its middle,
    and how much that distance grows from its start to its end (input px; 0 where not measured). NaN
    offsets where no boundary is found.

    A trace's long edge can lie a little askew of the boundary (a staircase simplified into a slanted
    segment: 0.5 px over 20 px on an icon's straight side), which a shift alone keeps and a 4x zoom
    shows; where the boundary measured at the quarter, middle and three-quarter points lies on one line
    (within TILT_FIT_PX), the segment turns onto it (TILT).

    `image` premultiplied (see `premultiplied`), `starts`/`ends` (n, 2) in input px, `fills` (n, 4)
    premultiplied fill colours, `insides` where each segment's shape lies (see
    `edge_profiles.coverage_profiles`)."""
    direction = ends - starts
    length = np.hypot(direction[:, 0], direction[:, 1])
    profiles = _segment_profiles(image, starts, direction, _left_normals(direction), fills, insides)
    offsets = mean_offsets(profiles)
    offsets[length < MIN_SEGMENT_PX] = np.nan
    return offsets, _tilts(profiles, offsets, length)


def _segment_profiles(image: np.ndarray, starts: np.ndarray, direction: np.ndarray, normal: np.ndarray,
                      fills: np.ndarray, insides: Insides | None = None) -> Profiles:
    """Coverage profiles across each segment (`starts` (n, 2), `direction` end minus start, `normal` its
    unit left-hand normal) at the anchors of ALONG, against its fill (`fills` (n, 4) premultiplied)."""
    anchors = starts[:, None, :] + ALONG[None, :, None] * direction[:, None, :]  # (n, A, 2)
    return coverage_profiles(image, anchors, normal, fills, insides)


def _tilts(profiles: Profiles, offsets: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Change of the boundary's offset from a segment's start to its end (input px) where the boundary
    measured at each anchor of ALONG lies on a line within TILT_FIT_PX, the segment is long enough for
    the slope to be measured (MIN_TILT_SEGMENT_PX), the edge is sharp against its outside
    (TILT_MIN_CONTRAST: not a band of a gradient, whose boundary is a soft step) and the inside is the
    fill itself (TILT_FLAT_INSIDE: under a gradient the coverage is biased differently at each anchor,
    which reads as a tilt); else 0. The boundary is looked for at each anchor only on segments that
    pass the other tests."""
    candidate = _sharp(profiles, length, MIN_TILT_SEGMENT_PX) & np.isfinite(offsets)
    tilts = np.zeros(len(offsets))
    rows = np.flatnonzero(candidate)
    if not len(rows):
        return tilts
    each = _anchor_edges(profiles, rows)
    slope, middle = np.polyfit(ALONG - 0.5, np.nan_to_num(each).T, 1)
    fit = middle[None, :] + slope[None, :] * (ALONG - 0.5)[:, None]
    residual = np.abs(fit.T - each).max(axis=1)
    ok = np.isfinite(each).all(axis=1) & (residual <= TILT_FIT_PX) & (np.abs(slope) <= MAX_TILT_PX)
    tilts[rows] = np.where(ok, slope, 0.0)
    return tilts


def _sharp(profiles: Profiles, length: np.ndarray, min_length: float) -> np.ndarray:
    """Segments of at least `min_length` px whose every profile is usable, sharp against its outside
    (TILT_MIN_CONTRAST, or CLEAN_TILT_CONTRAST where it is a clean step) and the fill itself inside
    (TILT_FLAT_INSIDE: 2.5 px in, or THIN_INSIDE_PX in where the coverage falls again deeper by
    THIN_FALL, the far side of a flat shape under ~3 px wide, or on a segment of WIDE_BAR_MIN_PX or
    more where it does not rise again, a bar up to 4 px wide: WIDE_BAR_FALL; a gradient region
    measured against the colour inside it drifts so): only there is the boundary at each anchor read
    (see `_tilts`)."""
    deepest = profiles.coverage[:, :, 0]
    nearer = profiles.coverage[:, :, int(np.argmin(np.abs(profiles.steps + THIN_INSIDE_PX)))]
    fall = np.where(length >= WIDE_BAR_MIN_PX, WIDE_BAR_FALL, THIN_FALL)[:, None]
    thin = (np.abs(nearer - 1.0) <= TILT_FLAT_INSIDE) & (deepest <= nearer - fall) \
        & ~profiles.local[:, None]  # against a flat fill: inside a gradient the coverage drifts with depth
    flat_inside = ((np.abs(deepest - 1.0) <= TILT_FLAT_INSIDE) | thin).all(axis=1)
    least = np.where(profiles.local, LOCAL_TILT_CONTRAST, TILT_MIN_CONTRAST)[:, None]
    least = np.where(profiles.clean, np.minimum(least, CLEAN_TILT_CONTRAST), least)  # no gradient's ramp
    return (profiles.usable.all(axis=1) & (profiles.contrast >= least).all(axis=1)
            & flat_inside & (length >= min_length))


def _anchor_edges(profiles: Profiles, rows: np.ndarray) -> np.ndarray:
    """(len(rows), A) the boundary's offset at each anchor of the segments `rows` (NaN: not found)."""
    coverage = profiles.coverage[rows]
    n, anchors, steps = coverage.shape
    each = edge_positions(coverage.reshape(n * anchors, steps), profiles.steps).reshape(n, anchors)
    return np.where(profiles.inside_high[rows, None], -each, each)


def split_bends(drawing: Drawing, image: np.ndarray, fills: np.ndarray) -> Drawing:
    """`drawing` with every segment of SPLIT_MIN_PX or more whose boundary bends away from a line split
    at its middle (a new vertex on the boundary measured there), up to SPLIT_ROUNDS times: the middle
    boundary point lies over SPLIT_BEND_PX from the chord of the quarter points, on a sharp edge
    (`_sharp`). A trace can draw a shallow arc or V as one segment (the staircase steps are far apart),
    which a shift or a turn cannot follow. `image` premultiplied, `fills` (shapes, 4) premultiplied."""
    for _ in range(SPLIT_ROUNDS):
        sizes = np.diff(drawing.offsets)
        following, _ = ring_index(drawing.offsets)
        starts = drawing.vertices
        direction = starts[following] - starts
        length = np.hypot(direction[:, 0], direction[:, 1])
        rows = np.flatnonzero(np.repeat(sizes >= 3, sizes) & (length >= SPLIT_MIN_PX))
        if not len(rows):
            return drawing
        normals = _left_normals(direction[rows])
        colours = fills[np.repeat(drawing.ring_shape, sizes)][rows]
        profiles = _segment_profiles(image, starts[rows], direction[rows], normals, colours)
        sharp = np.flatnonzero(_sharp(profiles, length[rows], SPLIT_MIN_PX))
        each = _anchor_edges(profiles, sharp)
        bend = np.abs(each[:, 1] - 0.5 * (each[:, 0] + each[:, 2]))
        bent = np.isfinite(bend) & (bend > SPLIT_BEND_PX)
        split = rows[sharp[bent]]
        if not len(split):
            return drawing
        middles = (starts[split] + 0.5 * direction[split]  # on the boundary measured there
                   + each[bent, 1, None] * normals[sharp[bent]])
        drawing = drawing.with_points_after(starts, split, middles)
    return drawing


def vertex_moves(normals: np.ndarray, offsets: np.ndarray, previous: np.ndarray, directions: np.ndarray,
                 tilts: np.ndarray) -> np.ndarray:
    """Move of each vertex: where its incoming edge (`previous[i]`, the edge ending at vertex i) and
    its outgoing edge (i), each shifted by its offset along its normal (and turned by its tilt, the
    offset's change from start to end, along `directions`: end minus start), meet. Edges without an
    offset (NaN) stay; nearly parallel edges average their moves (weighted by their lengths); no move
    exceeds MAX_SHIFT_PX."""
    return _moves_and_bevels(normals, offsets, previous, directions, tilts)[0]


def _moves_and_bevels(normals: np.ndarray, offsets: np.ndarray, previous: np.ndarray, directions: np.ndarray,
                      tilts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`vertex_moves`, and for each vertex whose edges' meeting point lay beyond MAX_SHIFT_PX (an acute
    tip) and BEVEL_CLAMPED, a second point (NaN elsewhere): the clamped point put onto the incoming line
    (the first move) and onto the outgoing line (the second), so both edges stay on their measured
    lines and the tip is cut by a short edge between them (see BEVEL_CLAMPED)."""
    n_in, e_in = normals[previous], offsets[previous]
    n_out, e_out = normals, offsets
    known_in, known_out = ~np.isnan(e_in), ~np.isnan(e_out)
    e_in, e_out = np.nan_to_num(e_in), np.nan_to_num(e_out)
    if np.any(tilts != 0):
        # a turned edge: the line through the vertex's shifted point (offset at that end) along the
        # direction plus tilt x normal; as (unit normal, its distance from the vertex) like the others
        n_in, e_in = _turned(n_in, e_in + 0.5 * tilts[previous], directions[previous], tilts[previous])
        n_out, e_out = _turned(n_out, e_out - 0.5 * tilts, directions, tilts)
    lengths = np.hypot(directions[:, 0], directions[:, 1])
    det = n_in[:, 0] * n_out[:, 1] - n_in[:, 1] * n_out[:, 0]
    safe = np.where(np.abs(det) < 1e-9, 1.0, det)
    meet = np.stack([(e_in * n_out[:, 1] - e_out * n_in[:, 1]) / safe,
                     (n_in[:, 0] * e_out - n_out[:, 0] * e_in) / safe], axis=1)
    if LENGTH_WEIGHTED:  # a long side's line holds its end; a short facet beside it gives way
        share_in = lengths[previous] / np.maximum(lengths[previous] + lengths, 1e-9)
    else:
        share_in = np.full(len(lengths), 0.5)
    averaged = share_in[:, None] * e_in[:, None] * n_in + (1 - share_in)[:, None] * e_out[:, None] * n_out
    meets = (np.abs(det) >= NEAR_PARALLEL) & known_in & known_out
    moves = np.where(meets[:, None], meet, averaged)
    moves = np.where((known_in & ~known_out)[:, None], e_in[:, None] * n_in, moves)
    moves = np.where((~known_in & known_out)[:, None], e_out[:, None] * n_out, moves)
    size = np.hypot(moves[:, 0], moves[:, 1])
    moves = moves * np.minimum(1.0, MAX_SHIFT_PX / np.maximum(size, 1e-9))[:, None]
    bevels = np.full(moves.shape, np.nan)
    if not BEVEL_CLAMPED:
        return moves, bevels
    on_in = moves - (np.sum(n_in * moves, axis=1) - e_in)[:, None] * n_in
    on_out = moves - (np.sum(n_out * moves, axis=1) - e_out)[:, None] * n_out
    turn_cos = np.sum(directions[previous] * directions, axis=1) / np.maximum(lengths[previous] * lengths,
                                                                              1e-9)
    tips = (np.minimum(lengths[previous], lengths) >= BEVEL_SIDE_PX) \
        & (turn_cos <= np.cos(np.radians(BEVEL_TURN_DEG)))  # a tip, not a facet of a bend (a miter spike)
    cut = meets & tips & (size > MAX_SHIFT_PX) & (np.hypot(*(on_out - on_in).T) >= BEVEL_MIN_PX)
    return np.where(cut[:, None], on_in, moves), np.where(cut[:, None], on_out, bevels)


def _turned(normals: np.ndarray, at_vertex: np.ndarray, directions: np.ndarray,
            tilts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unit normal, distance from the vertex) of each edge's line turned by its tilt, where the line
    passes `at_vertex` px along the old normal from the vertex; edges without a tilt unchanged."""
    turned = _left_normals(directions + tilts[:, None] * normals)
    tilted = tilts != 0
    distance = np.where(tilted, at_vertex * np.sum(turned * normals, axis=1), at_vertex)
    return np.where(tilted[:, None], turned, normals), distance


def refine_drawing(drawing: Drawing, rgba: np.ndarray, units_per_px: int) -> Drawing:
    """Every ring of a polygon `drawing` with its vertices moved onto the input's boundaries (all
    segments measured in one go), to be written with integer coordinates on a grid of `units_per_px`
    units per input px (16 units = 1/16 px). Rings of fewer than 3 vertices stay."""
    if not drawing.is_polygonal:
        return drawing
    height, width = rgba.shape[:2]
    fills = fill_colours(drawing.fills, drawing.opacity)
    image = premultiplied(rgba)
    if SPLIT_BENDS:
        drawing = split_bends(drawing, image, fills)
    gridded = replace(drawing, view=(float(width * units_per_px), float(height * units_per_px)), grid=True)
    sizes = np.diff(drawing.offsets)
    active = np.repeat(sizes >= 3, sizes)
    if not active.any():
        return gridded
    colours = fills[np.repeat(drawing.ring_shape, sizes)]
    following, previous = ring_index(drawing.offsets)
    vertices = drawing.vertices
    ends = vertices[following]
    rows = np.flatnonzero(active)
    insides = Insides(TopShapes(drawing), np.repeat(outward_signs(drawing), sizes)[rows],
                      np.repeat(drawing.ring_shape, sizes)[rows])
    offsets, tilts = edge_offsets(image, vertices[active], ends[active], colours[active], insides)
    all_offsets, all_tilts = np.full(len(vertices), np.nan), np.zeros(len(vertices))
    all_offsets[active], all_tilts[active] = offsets, tilts
    directions = ends - vertices
    moves, bevels = _moves_and_bevels(_left_normals(directions), all_offsets, previous, directions,
                                      all_tilts)
    moved = np.where(active[:, None], vertices + moves, vertices)
    cut = np.flatnonzero(active & np.isfinite(bevels[:, 0]))
    if not len(cut):
        return replace(gridded, vertices=moved)
    return gridded.with_points_after(moved, cut, vertices[cut] + bevels[cut])
