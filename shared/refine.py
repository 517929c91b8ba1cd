"""Sub-pixel refinement of traced polygons: each straight edge is moved along its normal to where the
input's anti-aliased boundary lies, and each vertex to where its two moved edges meet.

A trace puts vertices on the traced pixel grid, so an edge can sit up to half a traced pixel from the
true boundary. The input's anti-aliasing records where that boundary is: across an edge, the colour
goes from the shape's fill to the colour beside it, and the 50 % point of that ramp is the edge.
For every segment we sample the input (premultiplied RGBA, bilinear) on lines across it, express each
sample as coverage between the fill and the colour beside the shape (the sample least like the fill on
the outside half), average along the segment, and place the edge at the 0.5 crossing nearest the
current position, refined by the coverage ramp's area (`edge_positions`). Segments with no clear edge
(too short, low contrast, the fill not found on either side, e.g. hidden under another shape) keep
their place. Before that, a long sharp segment whose boundary bends away from a line (a shallow arc or V
the engine drew as one segment) is split at its middle onto the boundary there (`split_bends`).
The refined drawing is written on a grid of 1/`refine_grid` px (`shared.svg.write_svg`); callers may
keep the unrefined one where it measures higher (`shared.candidate.evaluate`).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy import ndimage

from shared.geometry import Drawing, ring_index
from shared.paint import hex_rgb

REACH_PX = 2.5  # how far either side of a segment the input is sampled, input px
PROFILE_STEPS = 51  # samples across a segment, over -REACH_PX .. +REACH_PX
AREA_HALF_WIDTH_PX = 1.5  # half the window whose coverage area places an edge
ALONG = np.array([0.25, 0.5, 0.75])  # where along a segment profiles are taken (ends are corners);
# 5 places instead of 3 measured no better (mean SSIM +0.00005 on 80 training images) at 2x the time
MIN_SEGMENT_PX = 1.5  # shorter segments are placed by their neighbours only
MIN_CONTRAST = 0.15  # premultiplied RGBA distance (0..2) between fill and outside for a usable profile
MAX_SHIFT_PX = 1.25  # largest vertex move, input px (guards sharp corners against miter spikes); see README
TILT_FIT_PX = 0.06  # most a quarter/middle/three-quarter boundary point may lie off their line
MIN_TILT_SEGMENT_PX = 4.0  # shorter segments are shifted, never turned
TILT_MIN_CONTRAST = 0.3  # premultiplied RGBA distance an edge needs to be turned (bands of a gradient
# differ by less: turning their soft boundaries lowered SSIM on generated gradients)
TILT_FLAT_INSIDE = 0.05  # most the coverage 2.5 px inside may differ from 1 for a segment to be turned
MAX_TILT_PX = 1.5  # largest change of a segment's offset from its start to its end (1.0 until 2026-12-04)
NEAR_PARALLEL = 0.26  # |sin| of the angle below which two edges' moves are averaged, not intersected
LENGTH_WEIGHTED = True  # nearly parallel edges' moves are averaged weighted by their lengths (was evenly:
# a 146 px side meeting a bend's 5 px facet at 10 degrees took half the facet's offset, and leant by 0.17 px)
CANVAS_EDGES = True  # samples beyond the canvas are transparent, so an edge in the outermost pixels is
# measured (else they repeat the border pixel, and a plate ending 0.66 px from the border kept the
# trace's edge at 1 px)
SPLIT_BENDS = True  # long segments whose boundary bends are split at their middle before refinement
SPLIT_MIN_PX = 12.0  # shorter segments are never split (8: held-out 4x mean +0.00006, +2.4 % bytes)
SPLIT_BEND_PX = 0.1  # the middle boundary point's distance from the quarter points' chord that splits
# (a parabola's sagitta is 4x that: 0.4 px); an emoji's shallow V-shaped edge, 2 px deep over 65 px,
# was traced as one segment and stayed 1.3 px off at one end
SPLIT_ROUNDS = 2  # halvings at most (a segment becomes up to 4)


def premultiplied(rgba: np.ndarray) -> np.ndarray:
    """HxWx4 float32 in 0..1 with RGB multiplied by alpha (what a renderer blends in)."""
    out = rgba.astype(np.float32) / np.float32(255.0)
    out[..., :3] *= out[..., 3:4]
    return out


def fill_colours(fills: Sequence[str], opacity: Mapping[int, float] | None = None) -> np.ndarray:
    """(n, 4) premultiplied RGBA in 0..1 of '#rrggbb' fills at their `opacity` (shape -> opacity, 1
    where absent): what the coverage profiles compare the input against (refinement, primitives, curve
    fitting)."""
    out = np.array([[*hex_rgb(f), 1.0] for f in fills]).reshape(-1, 4)
    for shape, alpha in (opacity or {}).items():
        out[shape] *= alpha
    return out


def sample(image: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Bilinear samples of `image` (HxWxC) at SVG coordinates `points` (..., 2 as x, y); pixel centres
    sit at half-integers, and beyond the canvas all channels are 0 (transparent; see CANVAS_EDGES)."""
    flat = points.reshape(-1, 2)
    coords = np.stack([flat[:, 1] - 0.5, flat[:, 0] - 0.5])
    mode = "grid-constant" if CANVAS_EDGES else "nearest"
    channels = [ndimage.map_coordinates(image[..., k], coords, order=1, mode=mode, cval=0.0)
                for k in range(image.shape[2])]
    return np.stack(channels, axis=-1).reshape(*points.shape[:-1], image.shape[2])


def _left_normals(direction: np.ndarray) -> np.ndarray:
    unit = direction / np.maximum(np.hypot(direction[:, 0], direction[:, 1]), 1e-9)[:, None]
    return np.stack([-unit[:, 1], unit[:, 0]], axis=1)


def edge_offsets(image: np.ndarray, starts: np.ndarray, ends: np.ndarray,
                 fills: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(offset, tilt) of each segment's boundary: the signed distance (input px) from the segment to
    the boundary of its fill along its left-hand normal (direction turned by +90 degrees), at its middle,
    and how much that distance grows from its start to its end (input px; 0 where not measured). NaN
    offsets where no boundary is found.

    A trace's long edge can lie a little askew of the boundary (a staircase simplified into a slanted
    segment: 0.5 px over 20 px on an icon's straight side), which a shift alone keeps and a 4x zoom
    shows; where the boundary measured at the quarter, middle and three-quarter points lies on one line
    (within TILT_FIT_PX), the segment turns onto it (TILT).

    `image` premultiplied (see `premultiplied`), `starts`/`ends` (n, 2) in input px, `fills` (n, 4)
    premultiplied fill colours."""
    direction = ends - starts
    length = np.hypot(direction[:, 0], direction[:, 1])
    profiles = _segment_profiles(image, starts, direction, _left_normals(direction), fills)
    offsets = _mean_offsets(profiles)
    offsets[length < MIN_SEGMENT_PX] = np.nan
    return offsets, _tilts(profiles, offsets, length)


def _segment_profiles(image: np.ndarray, starts: np.ndarray, direction: np.ndarray, normal: np.ndarray,
                      fills: np.ndarray) -> "_Profiles":
    """Coverage profiles across each segment (`starts` (n, 2), `direction` end minus start, `normal` its
    unit left-hand normal) at the anchors of ALONG, against its fill (`fills` (n, 4) premultiplied)."""
    anchors = starts[:, None, :] + ALONG[None, :, None] * direction[:, None, :]  # (n, A, 2)
    return _coverage_profiles(image, anchors, normal, fills)


def _tilts(profiles: "_Profiles", offsets: np.ndarray, length: np.ndarray) -> np.ndarray:
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


def _sharp(profiles: "_Profiles", length: np.ndarray, min_length: float) -> np.ndarray:
    """Segments of at least `min_length` px whose every profile is usable, sharp against its outside
    (TILT_MIN_CONTRAST) and the fill itself inside (TILT_FLAT_INSIDE): only there is the boundary at
    each anchor read (see `_tilts`)."""
    flat_inside = (np.abs(profiles.coverage[:, :, 0] - 1.0) <= TILT_FLAT_INSIDE).all(axis=1)
    return (profiles.usable.all(axis=1) & (profiles.contrast >= TILT_MIN_CONTRAST).all(axis=1)
            & flat_inside & (length >= min_length))


def _anchor_edges(profiles: "_Profiles", rows: np.ndarray) -> np.ndarray:
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
        per_ring = np.bincount(np.searchsorted(drawing.offsets, split, side="right") - 1,
                               minlength=len(sizes))
        offsets = drawing.offsets + np.concatenate([[0], np.cumsum(per_ring)])
        drawing = drawing.with_rings(np.insert(starts, split + 1, middles, axis=0), offsets)
    return drawing


@dataclass(frozen=True)
class _Profiles:
    """Coverage profiles across segments: `coverage` (n, A, S), 1 inside at low steps, 0 outside;
    `usable` (n, A) where the fill and a contrasting outside were found; `inside_high` (n,) where the
    profiles were flipped (the fill lay on the +normal side); `steps` (S,) px along the normal."""

    coverage: np.ndarray
    usable: np.ndarray
    inside_high: np.ndarray
    steps: np.ndarray
    contrast: np.ndarray  # (n, A) premultiplied RGBA distance between the fill and the outside


def profile_offsets(
    image: np.ndarray, anchors: np.ndarray, normal: np.ndarray, fills: np.ndarray
) -> np.ndarray:
    """Signed distance (input px) along each unit `normal` (n, 2) from the anchors (n, A, 2) to the
    boundary of fill `fills[i]`, from the coverage profiles across the anchors averaged; NaN where
    no boundary is found (see `edge_offsets`)."""
    return _mean_offsets(_coverage_profiles(image, anchors, normal, fills))


def _mean_offsets(profiles: _Profiles) -> np.ndarray:
    """The boundary's offset from each segment's usable profiles averaged (NaN where none is usable)."""
    usable = profiles.usable
    counts = usable.sum(axis=1)
    mean = np.where(usable[..., None], profiles.coverage, 0.0).sum(axis=1) / np.maximum(counts, 1)[:, None]
    offsets = edge_positions(mean, profiles.steps)
    offsets = np.where(profiles.inside_high, -offsets, offsets)
    offsets[counts == 0] = np.nan
    return offsets


def _coverage_profiles(image: np.ndarray, anchors: np.ndarray, normal: np.ndarray,
                       fills: np.ndarray) -> _Profiles:
    steps = np.linspace(-REACH_PX, REACH_PX, PROFILE_STEPS)
    points = anchors[:, :, None, :] + steps[None, None, :, None] * normal[:, None, None, :]
    values = sample(image, points)  # (n, A, S, 4)
    gap = np.linalg.norm(values - fills[:, None, None, :], axis=-1)  # (n, A, S) distance to the fill
    inside_high = steps[np.argmin(gap.mean(axis=1), axis=1)] > 0  # fill nearest on the +normal side
    flip = inside_high[:, None, None]
    values = np.where(flip[..., None], values[:, :, ::-1], values)  # inside now at low steps
    gap = np.where(flip, gap[:, :, ::-1], gap)
    middle = PROFILE_STEPS // 2
    # the colour beside the shape: the sample least like the fill on the outside half (a thin
    # neighbouring stroke is found before the profile runs past it)
    far = middle + np.argmax(gap[:, :, middle:], axis=2)
    outside = np.take_along_axis(values, far[:, :, None, None], axis=2)  # (n, A, 1, 4)
    span = fills[:, None, None, :] - outside
    contrast2 = np.sum(span * span, axis=-1)  # (n, A, 1)
    coverage = np.sum((values - outside) * span, axis=-1) / np.maximum(contrast2, 1e-12)
    inside_gap = gap[:, :, : middle + 1].min(axis=2)
    usable = (contrast2[..., 0] >= MIN_CONTRAST**2) & (inside_gap <= 0.35 * np.sqrt(contrast2[..., 0]))
    return _Profiles(coverage, usable, inside_high, steps, np.sqrt(contrast2[..., 0]))


def edge_positions(profiles: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Where each coverage profile (rows; 1 inside at low steps, 0 outside; `steps` evenly spaced) has
    its edge: the falling 0.5 crossing within MAX_SHIFT_PX of the middle, refined by the profile's
    area over the 3 px around it; NaN where there is no such crossing.

    For a box-filtered edge the area under the coverage equals the distance to the window's inner end
    whatever the sampling phase, while the crossing of bilinear samples alone is off by up to 0.13 px
    on axis-aligned edges. Where the window meets another edge (a thin stroke) the crossing is kept."""
    above = profiles >= 0.5
    falls = above[:, :-1] & ~above[:, 1:] & (np.abs(steps[:-1]) <= MAX_SHIFT_PX)
    distance = np.where(falls, np.abs(steps[:-1]), np.inf)
    k = np.argmin(distance, axis=1)
    rows = np.arange(len(profiles))
    a, b = profiles[rows, k], profiles[rows, k + 1]
    spacing = steps[1] - steps[0]
    crossing = steps[k] + (a - 0.5) / np.where(a == b, 1.0, a - b) * spacing
    offsets = np.linspace(-AREA_HALF_WIDTH_PX, AREA_HALF_WIDTH_PX, 31)
    window = crossing[:, None] + offsets[None, :]
    position = np.clip((window - steps[0]) / spacing, 0, len(steps) - 1)
    low = np.minimum(position.astype(int), len(steps) - 2)
    frac = position - low
    below, above_ = profiles[rows[:, None], low], profiles[rows[:, None], low + 1]
    coverage = np.clip(below * (1 - frac) + above_ * frac, 0, 1)
    area = np.sum(coverage[:, 1:] + coverage[:, :-1], axis=1) * 0.5 * (offsets[1] - offsets[0])
    clean = (coverage[:, 0] >= 0.9) & (coverage[:, -1] <= 0.1)
    edge = np.where(clean, window[:, 0] + area, crossing)
    return np.where(np.isfinite(distance[rows, k]), edge, np.nan)


def vertex_moves(normals: np.ndarray, offsets: np.ndarray, previous: np.ndarray, directions: np.ndarray,
                 tilts: np.ndarray) -> np.ndarray:
    """Move of each vertex: where its incoming edge (`previous[i]`, the edge ending at vertex i) and
    its outgoing edge (i), each shifted by its offset along its normal (and turned by its tilt, the
    offset's change from start to end, along `directions`: end minus start), meet. Edges without an
    offset (NaN) stay; nearly parallel edges average their moves (weighted by their lengths); no move
    exceeds MAX_SHIFT_PX."""
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
    moves = np.where(((np.abs(det) >= NEAR_PARALLEL) & known_in & known_out)[:, None], meet, averaged)
    moves = np.where((known_in & ~known_out)[:, None], e_in[:, None] * n_in, moves)
    moves = np.where((~known_in & known_out)[:, None], e_out[:, None] * n_out, moves)
    size = np.hypot(moves[:, 0], moves[:, 1])
    return moves * np.minimum(1.0, MAX_SHIFT_PX / np.maximum(size, 1e-9))[:, None]


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
    offsets, tilts = edge_offsets(image, vertices[active], ends[active], colours[active])
    all_offsets, all_tilts = np.full(len(vertices), np.nan), np.zeros(len(vertices))
    all_offsets[active], all_tilts[active] = offsets, tilts
    directions = ends - vertices
    moves = vertex_moves(_left_normals(directions), all_offsets, previous, directions, all_tilts)
    moved = np.where(active[:, None], vertices + moves, vertices)
    return replace(gridded, vertices=moved)
