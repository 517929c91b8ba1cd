"""Design grids: straight edges put back on the grid their designer drew them on.

Icons and many logos are drawn on a coarse grid (Material Design Icons on a 24-unit viewBox, its
straight edges on whole or half units) and rendered edge to edge, so at 256 px every such edge lies on a
multiple of 256 / 24 px. The input cannot say where inside a pixel an edge lies to better than the
renderer's coverage steps (resvg: 1/4 px; `docs/geometry.md`, "Why crisp icons lose at 4x"), so
refinement leaves each edge up to 1/8 px off: invisible at 1x, a seam along the whole edge at 4x.

Where the refined drawing's long axis-aligned edges agree on a grid (offset 0: the canvas is the
design's viewBox), those near its lines are moved onto them: a ring's vertical edge takes the line's x,
a horizontal edge its y. The grid is the coarsest one with a pitch of at least MIN_PITCH_PX (so a chance
match is unlikely: 2 x SNAP_PX / pitch) whose lines hold at least MIN_SHARE of those edges (weighted by
length, at least MIN_EDGES of them at MIN_PLACES, canvas borders left out: every grid holds them) and
whose hits among the distinct edge places random places would match with a chance of at most
MAX_FALSE_GRID over all grids tried (COMMON_FALSE_GRID over the COMMON_UNITS grids of icon sets), halved
where the places off its lines ask for it (`finer_pitch`); none found, nothing moves. The flattened tips
of round caps and joins (`AxisEdges.tip`) never move. The view then gets a whole number of units per
grid pitch, near `units_per_px` units per input px, so the lines are written exactly. Primitives, fitted
after that, follow (`snap_primitives`): upright rectangles' sides onto the lines, circles onto half
units.
"""

from dataclasses import dataclass, replace
from math import comb

import numpy as np

from shared.corners import turns_between
from shared.geometry import Drawing, Primitive, ring_index

SNAP_PX = 0.15  # an edge this near a grid line (input px) is moved onto it: the 1/8 px an edge can be
# off after refinement, and a little for measuring noise
MIN_PITCH_PX = 2.0  # the finest grid tried (input px): at 2 px, 15 % of edges fall within SNAP_PX by chance
MIN_EDGE_PX = 2.0  # shorter edges are neither counted nor moved (a staircase's steps, facets of a bend)
TIP_TURN_DEG = 60.0  # an edge under TIP_MAX_PX whose ends both turn less than this, the same way, is the
TIP_MAX_PX = 8.0  # flattened tip of a round cap or join: it stays (its chord lies inside the arc, 0.14 px
# off the grid line the arc touches on tabler's map-route, 4x -0.0015 moved), and is no evidence to halve
AXIS_SLOPE = 0.01  # an edge is axis-aligned where it strays from its axis by at most this per px of length
MIN_EDGES = 4  # a grid is believed where at least this many edges lie on its lines ...
MIN_PLACES = 3  # ... at least this many distinct places (a square's four edges are two: 40 units fit one
# 0.25 px off the pixel grid by chance) ...
MIN_SHARE = 0.8  # ... and these hold at least this share of the axis-aligned edges' length
UPRIGHT_SHIFT_PX = 0.05  # a rectangle turned by less than moves no corner this far: upright
SNAP_CIRCLES = True  # circle primitives' centres and radii onto half units too (False: left as fitted)
COMMON_UNITS = (8, 10, 12, 14, 16, 18, 20, 24, 28, 32, 36, 40, 48, 50, 64, 72, 96, 100, 128)  # icon
# sets' viewBoxes (Bootstrap 16, Material 24, Carbon 32, Twemoji 36, flat-color-icons 48, ...) ...
COMMON_FALSE_GRID = 0.05  # ... are believed on less evidence: this chance over those grids alone (0: no
# such prior). Twemoji's die and 🇵🇰 hold 4 of 14 and 3 of 7 distinct edge places on its grid (4x +0.0014)
MAX_UNITS = 256  # grids of up to this many units across the canvas's width are tried
MAX_FALSE_GRID = 0.01  # a grid is believed where random places would match it as well with at most this
# chance, over all grids tried (binomial tail times the grids tried: `chance_of`)
MAX_FALSE_SPLIT = 0.01  # the grid found is halved where the places off its lines lie on the half lines
# with at most this chance (`finer_pitch`; negative: never): mdi's turnstile has most edge length on a
# 12-unit grid and its bar on odd units of 24, left 1/16 px off by the writer's 171 units a pitch


@dataclass(frozen=True)
class AxisEdges:
    """The long axis-aligned edges of a drawing: `start`/`end` vertex indices, `axis` (0: a vertical
    edge, its place is an x; 1: a horizontal edge, a y), `place` (input px, the mean of its ends) and
    `length` (input px), and whether it is the flattened `tip` of a round cap or join (TIP_TURN_DEG)."""

    start: np.ndarray
    end: np.ndarray
    axis: np.ndarray
    place: np.ndarray
    length: np.ndarray
    tip: np.ndarray


def axis_edges(drawing: Drawing) -> AxisEdges:
    """The edges of `drawing`'s rings of 3 or more vertices that run along an axis (see `AxisEdges`)."""
    following, preceding = ring_index(drawing.offsets)
    sizes = np.diff(drawing.offsets)
    active = np.repeat(sizes >= 3, sizes)
    step = drawing.vertices[following] - drawing.vertices
    parts = []
    for axis in (0, 1):
        across, along = np.abs(step[:, axis]), np.abs(step[:, 1 - axis])
        edges = np.flatnonzero(active & (along >= MIN_EDGE_PX) & (across <= AXIS_SLOPE * along))
        parts.append((edges, np.full(len(edges), axis)))
    start = np.concatenate([p[0] for p in parts]).astype(int)
    end = following[start]
    axis = np.concatenate([p[1] for p in parts]).astype(int)
    place = (drawing.vertices[start, axis] + drawing.vertices[end, axis]) / 2
    length = np.abs(drawing.vertices[end, 1 - axis] - drawing.vertices[start, 1 - axis])
    at_start = turns_between(step[preceding[start]], step[start])
    at_end = turns_between(step[start], step[end])
    tip = (length < TIP_MAX_PX) & (np.maximum(np.abs(at_start), np.abs(at_end)) < TIP_TURN_DEG) \
        & (at_start * at_end > 0)
    return AxisEdges(start, end, axis, place, length, tip)


def design_pitch(edges: AxisEdges, width: int, height: int) -> float | None:
    """The pitch (input px) of the coarsest grid `edges` agree on (see the module docstring), None where
    none is found. Grids divide the width into a whole number of units. Edges at one place (within
    2 x SNAP_PX: a stroke's two rings, a shape's edge and the hole beside it) count once in the chance
    test: a logo's frame inset 10.2 px all round is no grid, however many rings share its four sides."""
    extent = np.where(edges.axis == 0, width, height)
    inner = (edges.place > SNAP_PX) & (edges.place < extent - SNAP_PX)  # canvas borders left out
    places, lengths = edges.place[inner], edges.length[inner]
    if len(places) < MIN_EDGES:
        return None
    total = lengths.sum()
    distinct = distinct_places(places)
    if len(distinct) < MIN_PLACES:
        return None
    largest = min(MAX_UNITS, int(width / MIN_PITCH_PX))
    for units in range(1, largest + 1):
        pitch = width / units
        on_line = nearest_lines(places, pitch)[1]
        if on_line.sum() < MIN_EDGES or lengths[on_line].sum() < MIN_SHARE * total:
            continue
        hits = int(nearest_lines(distinct, pitch)[1].sum())
        common = COMMON_FALSE_GRID > 0 and units in COMMON_UNITS
        tried, limit = (len(COMMON_UNITS), COMMON_FALSE_GRID) if common else (largest, MAX_FALSE_GRID)
        if tried * chance_of(len(distinct), hits, min(1.0, 2 * SNAP_PX / pitch)) <= limit:
            return finer_pitch(pitch, distinct_places(places[~edges.tip[inner]]))
    return None


def distinct_places(places: np.ndarray) -> np.ndarray:
    """One place per group of `places` within 2 x SNAP_PX of each other (the group's lowest)."""
    ordered = np.sort(places)
    first = np.ones(len(ordered), bool)
    first[1:] = np.diff(ordered) > 2 * SNAP_PX
    return ordered[first]


def finer_pitch(pitch: float, places: np.ndarray) -> float:
    """`pitch`, halved (again while one is) where the `places` off its lines lie on the half lines with a
    chance of at most MAX_FALSE_SPLIT. The coarsest grid holding most edge length is found first; a
    design on a finer grid has a minority of edges between its lines that would stay where refinement
    put them."""
    while pitch / 2 >= MIN_PITCH_PX:
        off = places[~nearest_lines(places, pitch)[1]]
        hits = int(nearest_lines(off, pitch / 2)[1].sum())
        if not hits or chance_of(len(off), hits, min(1.0, 2 * SNAP_PX / pitch)) > MAX_FALSE_SPLIT:
            break
        pitch /= 2
    return pitch


def chance_of(places: int, hits: int, share: float) -> float:
    """The chance that `hits` or more of `places` random places fall within SNAP_PX of a grid's lines,
    where each does with chance `share` (binomial tail)."""
    return sum(comb(places, k) * share**k * (1 - share) ** (places - k) for k in range(hits, places + 1))


def snap_to_design_grid(drawing: Drawing, units_per_px: int) -> Drawing:
    """`drawing` (refined, written on a grid) with its axis-aligned edges on its design grid's lines where
    one is found, and a view of a whole number of units per grid pitch (`view_units`); `drawing` itself
    where none is found."""
    if not drawing.is_polygonal or not drawing.grid or len(drawing.vertices) == 0:
        return drawing
    edges = axis_edges(drawing)
    pitch = design_pitch(edges, drawing.width, drawing.height)
    if pitch is None:
        return drawing
    lines, near = nearest_lines(edges.place, pitch)
    near &= ~edges.tip
    vertices = drawing.vertices.copy()
    vertices[edges.start[near], edges.axis[near]] = lines[near]
    vertices[edges.end[near], edges.axis[near]] = lines[near]
    units = view_units(pitch, units_per_px)
    return replace(drawing, vertices=vertices, view=(drawing.width * units, drawing.height * units),
                   design_pitch=pitch)


def snap_primitives(drawing: Drawing) -> Drawing:
    """`drawing` with the sides of its upright rectangle primitives (shared/primitives.py; rounded ones,
    pills) on its design grid's lines where within SNAP_PX, as `snap_to_design_grid` does for polygon
    edges (a primitive is fitted after the edges moved, from its own measured points), and its circles'
    centres and radii on half units (mdi's rings: r = 10 about (12, 12); `SNAP_CIRCLES`)."""
    pitch = drawing.design_pitch
    if pitch is None:
        return drawing
    fitted = dict(drawing.fitted)
    for ring, shape in drawing.fitted.items():
        if not isinstance(shape, Primitive):
            continue
        if shape.kind == "circle" and SNAP_CIRCLES:
            cx, cy, radius = snapped(np.array([shape.cx, shape.cy, shape.rx]), pitch / 2)
            fitted[ring] = replace(shape, cx=cx, cy=cy, rx=radius, ry=radius)
        elif shape.kind == "rect" and _upright(shape):
            x0, x1, y0, y1 = snapped(np.array([shape.cx - shape.rx, shape.cx + shape.rx,
                                               shape.cy - shape.ry, shape.cy + shape.ry]), pitch)
            fitted[ring] = replace(shape, cx=(x0 + x1) / 2, cy=(y0 + y1) / 2, rx=(x1 - x0) / 2,
                                   ry=(y1 - y0) / 2, angle=0.0)
    return replace(drawing, fitted=fitted)


def _upright(rect: Primitive) -> bool:
    """Whether a rectangle's turn moves none of its corners UPRIGHT_SHIFT_PX or more."""
    return bool(np.radians(abs(rect.angle)) * max(rect.rx, rect.ry) < UPRIGHT_SHIFT_PX)


def nearest_lines(values: np.ndarray, pitch: float) -> tuple[np.ndarray, np.ndarray]:
    """The grid line (a multiple of `pitch`, input px) nearest each of `values`, and whether it lies
    within SNAP_PX."""
    lines = np.round(values / pitch) * pitch
    return lines, np.abs(values - lines) <= SNAP_PX


def snapped(values: np.ndarray, pitch: float) -> np.ndarray:
    """`values` (input px) moved onto their nearest grid line where within SNAP_PX."""
    lines, near = nearest_lines(values, pitch)
    return np.where(near, lines, values)


def view_units(pitch: float, units_per_px: int) -> float:
    """View units per input px: the whole number of units per grid pitch nearest `units_per_px` per px,
    so the grid's lines are written exactly (256 / 24 px at 8 units per px: 85 units a pitch, a 2,040
    unit view). The other vertices then round to steps of 1/7.97 px, not 1/8: a multiple of
    `units_per_px` that holds the pitch too (24 units per px for that grid) keeps their old steps but
    costs bytes; paired as "Design grids" in docs/findings.md says, held-out 4x +0.00046 against +0.00042 at
    +2.1 % bytes, 96 monochrome icons +0.00076 against +0.00066 at +3.7 % bytes."""
    return max(1, round(units_per_px * pitch)) / pitch
