"""Seam-free cutout traces: each shape's edges that border a shape painted later are pushed under it.

Renderers anti-alias each shape alone. Where two shapes share an edge, a pixel the edge halves is
painted at coverage 1/2 twice, 1 - (1 - 1/2)² = 3/4 in all (the conflation artefact), and each of
the engine's two layerings suffers from it in its own way:
- **cutout** (every region its own shape, edge to edge with its neighbours): the background shows
  through every shared edge, a light or dark seam;
- **stacked** (lower shapes run on under the upper ones): where an upper shape's edge is also the
  outline of a shape under it, the edge pixels are painted at 3/4 coverage in a mix of both colours, a
  halo (Twemoji's French flag drew its blue and red stripes' outer edges pale over its white base:
  0.971 stacked against 0.996 cutout).
`underlap` removes the cutout's seams: it pushes each shape's edge outward by `SPREAD` px (a hole's
edge into the hole: `outward_signs`) wherever opaque shapes painted later cover the strip beyond it
(looked up on the drawing rasterised at `LOOKUP_SCALE` times the input's size, at depths `LOOK_PX`).
The later shape's edge then lies over the
earlier one's fill, as in a stacked trace, and the outline keeps its place (no halo). Edges are split
where their look-ups change (samples every `SAMPLE_PX` px); a vertex between two moved edges is
offset as a mitre (bevelled at a convex corner sharper than 60 degrees, whose capped mitre would pull
both edges in short of the push), one between a moved and a fixed edge goes where the moved line meets
the fixed one (so a moved edge never pokes past its neighbour's outline), or steps where the two are
near parallel. An edge facing a gap between shapes (`GAP_FILL`) moves by `GAP_PUSH` instead.
Pulling a stacked trace's lower outlines in under the upper shapes instead (the halo's fix) was tried:
it lifted Twemoji's 🤣 from 0.961 to 0.966 at 1.7x the bytes, against 0.984 cutout with `underlap`.

A shape's own other rings count as a later shape (`SAME_SHAPE_GAPS`): the gradient step merges bands
of one gradient into one shape whose rings were refined apart, each against its band's flat colour, and
the background showed in white slivers between them (devicon's ruby; the dev holdout's
`gradient/004`). Pushed into each other, they overlap under one paint, and the nonzero fill rule keeps
the overlap filled once.

`closed_holes` goes first and goes further for holes: a cutout shape's hole that only later shapes fill
is dropped, so the shape runs on under them whole. A push by SPREAD cannot close a hole whose filling
shape refinement made thinner than the hole (an anti-aliased sliver of an outline: the hole's edge and
the sliver's are measured apart, against different fills) or where the look-up finds the later shape
too thin at the depths; the background then showed through at 4x as white slivers inside dark
outlines. A dropped hole is also markup saved.
"""

from dataclasses import replace

import numpy as np
from scipy import ndimage

from shared.geometry import Drawing, cyclic_shift, outward_signs, signed_area
from shared.rasterise import shape_masks, winding

SPREAD = 0.75  # px an edge moves under the later shapes (their anti-aliased ramp spans ~0.5 px each side)
LOOK_PX = (0.25, 0.5, 0.75, 1.0)  # depths (px) beyond the moved edge that must show a later opaque shape
LOOKUP_SCALE = 4  # the drawing is rasterised at up to this many times the input's size for the look-ups,
LOOKUP_SIDE = 1024  # with the grid's long side at most this (memory: 4 bytes per grid point)
STEP_SINE = 0.3  # a moved edge meets a fixed one at a corner sharper than ~17 degrees: a step instead
SAMPLE_PX = 1.0  # spacing of the samples that find where along an edge its parts change
HOLE_EARLIER_SHARE = 0.01  # most of a dropped hole's inner part (1 px in) an earlier shape may show in
HOLE_OPAQUE_SHARE = 0.99  # least of a dropped hole's area that must be opaque in the input
GAP_FILL = 1  # 1: `underlap` pushes edges into gaps where the input is opaque (0: only under later shapes)
SAME_SHAPE_GAPS = 1  # 1: `underlap` pushes edges into the shape's own other rings too (0: no)
HIDDEN_PX = 0.25  # see `hidden_edges`
NOTHING, TRANSLUCENT = -1, -2  # `later_lookup`'s marks where no shape, or a translucent one, is on top
GAP_ALPHA = 128  # input alpha from which a pixel no shape covers is a gap `underlap` fills (Tier 1's alpha
# threshold; a searched trace's may be 64-192): a source's own conflation seams are 3/4 alpha (devicon's
# mongodb leaf: 184-240)
GAP = np.iinfo(np.int32).max  # `underlap`'s mark of a gap between shapes where the input is opaque
GAP_PUSH = 1.0  # px an edge facing such a gap moves (the depth the look-ups have seen covered): pushed
# by SPREAD across a 0.5 px gap it ended 0.25 px under the later shape, whose anti-aliased edge halved
# the same pixel row, and the two conflated to 7/8 (docs/geometry.md)


def closed_holes(drawing: Drawing, rgba: np.ndarray) -> Drawing:
    """`drawing` (a cutout trace) without the holes of its opaque shapes (flat or gradient) that no
    earlier shape shows through (at most HOLE_EARLIER_SHARE of the hole 1 px in from its edge, on
    `later_lookup`'s grid) and that lie on opaque input (`rgba`'s alpha 255 on HOLE_OPAQUE_SHARE of the
    hole): what fills such a hole is painted later, over the shape, so the shape may run on under it
    (see the module docstring). Where the later shapes leave a gap, the shape's colour shows instead of
    the background."""
    if not drawing.is_polygonal or len(drawing.fills) < 2:
        return drawing
    areas = np.array([signed_area(ring) for ring in drawing.rings])
    holes = np.flatnonzero(np.sign(areas) == -outward_signs(drawing))
    translucent = _translucent(drawing)
    holes = [int(h) for h in holes if int(drawing.ring_shape[h]) not in translucent and areas[h] != 0]
    if not holes:
        return drawing
    top, scale = later_lookup(drawing)
    opaque = rgba[..., 3] == 255
    dropped = {h for h in holes if _filled_later(drawing.ring(h) * scale, int(drawing.ring_shape[h]), top,
                                                 scale, opaque)}
    if not dropped:
        return drawing
    keep = [r for r in range(len(drawing.offsets) - 1) if r not in dropped]
    renumbered = {old: new for new, old in enumerate(keep)}
    sizes = np.diff(drawing.offsets)[keep]
    return replace(drawing, vertices=np.vstack([drawing.ring(r) for r in keep]),
                   offsets=np.append(0, np.cumsum(sizes)), ring_shape=drawing.ring_shape[keep],
                   fitted={renumbered[r]: o for r, o in drawing.fitted.items() if r in renumbered})


def _filled_later(ring: np.ndarray, shape: int, top: np.ndarray, scale: int, opaque: np.ndarray) -> bool:
    """Whether a hole `ring` of `shape` (on `top`'s grid, `scale` times the input's pixels) passes
    `closed_holes`' tests."""
    height, width = top.shape
    x0, y0 = (max(int(v) - 1, 0) for v in ring.min(axis=0))
    x1, y1 = min(int(ring[:, 0].max()) + 2, width), min(int(ring[:, 1].max()) + 2, height)
    if x1 <= x0 or y1 <= y0:
        return False
    inside = winding([ring - [x0, y0]], y1 - y0, x1 - x0) != 0
    if not inside.any():
        return False
    rows, cols = np.nonzero(inside)
    if opaque[(rows + y0) // scale, (cols + x0) // scale].mean() < HOLE_OPAQUE_SHARE:
        return False
    inner = ndimage.binary_erosion(inside, iterations=scale)
    shown = top[y0:y1, x0:x1][inner if inner.any() else inside]
    return bool(((shown >= 0) & (shown < shape)).mean() <= HOLE_EARLIER_SHARE)


def underlap(drawing: Drawing, rgba: np.ndarray | None = None) -> Drawing:
    """`drawing` (a cutout trace, painting order = shape order) with each ring's parts that border
    opaque shapes painted later (or the shape's own other rings: `SAME_SHAPE_GAPS`) pushed out under
    them; fitted curves and primitives stay as they are.
    With the input `rgba`, a gap between shapes where the input is opaque (alpha from `GAP_ALPHA`)
    counts as a later shape (GAP_FILL): two neighbours' shared edge is refined twice, once per shape
    against its own fill, and where the two came out over 0.25 px apart the earlier edge is pushed across
    the gap too; so is a seam the source's own renderer left between two shapes, which an exact-colour
    trace leaves out as clusters too small to keep."""
    if not drawing.is_polygonal or len(drawing.fills) < 2:
        return drawing
    top, scale = later_lookup(drawing)
    if rgba is not None and GAP_FILL:
        opaque = np.repeat(np.repeat(rgba[..., 3] >= GAP_ALPHA, scale, axis=0), scale, axis=1)
        top[(top == NOTHING) & opaque] = GAP
    rings, out, offsets = drawing.rings, [], [0]
    outward = outward_signs(drawing)
    for index, ring in enumerate(rings):
        shape = int(drawing.ring_shape[index])
        moved = ring if index in drawing.fitted or len(ring) < 3 \
            else _move_ring(ring, shape, top, scale, outward[index], bool(SAME_SHAPE_GAPS))
        out.append(moved)
        offsets.append(offsets[-1] + len(moved))
    if all(a is b for a, b in zip(out, rings, strict=True)):
        return drawing
    return replace(drawing, vertices=np.vstack(out), offsets=np.array(offsets, int))


def later_lookup(drawing: Drawing) -> tuple[np.ndarray, int]:
    """The grid `underlap` looks shapes up on (the topmost opaque shape at each point) and its scale."""
    scale = max(1, min(LOOKUP_SCALE, LOOKUP_SIDE // max(drawing.width, drawing.height)))
    return _opaque_top(drawing, scale), scale


def borders_later(ring: np.ndarray, shape: int, top: np.ndarray, scale: int, outward: float) -> bool:
    """Whether `underlap` pushes part of `ring` (of `shape`; `outward`: its `outward_signs` entry)
    under an opaque shape painted later (`top`, `scale`: `later_lookup`); a ring that borders none may
    be drawn as a curve, since its earlier neighbours are pushed under it (shared/splines.py)."""
    return _move_ring(ring, shape, top, scale, outward) is not ring


def hidden_edges(ring: np.ndarray, shape: int, top: np.ndarray, scale: int, outward: float) -> np.ndarray:
    """Per edge of `ring` (of `shape`; `outward`: its `outward_signs` entry; `top`, `scale`:
    `later_lookup` of a drawing after `underlap`), whether it lies under opaque shapes painted later: its
    points at a quarter, half and three quarters of its length show a later shape HIDDEN_PX either side
    of it (an edge `underlap` pushed lies SPREAD inside the later shape)."""
    direction, _, normal = _edge_normals(ring, outward)
    hidden = np.ones(len(ring), bool)
    for along in (0.25, 0.5, 0.75):
        for side in (-HIDDEN_PX, HIDDEN_PX):
            hidden &= _later_at(ring + along * direction + side * normal, shape, top, scale)
    return hidden


def _edge_normals(ring: np.ndarray, outward: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each edge of `ring` as (direction: end minus start, length px, unit normal turned away from the
    fill by `outward`, its `outward_signs` entry)."""
    direction = cyclic_shift(ring, -1) - ring
    length = np.hypot(direction[:, 0], direction[:, 1])
    normal = outward * np.column_stack([direction[:, 1], -direction[:, 0]]) \
        / np.maximum(length, 1e-12)[:, None]
    return direction, length, normal


def _translucent(drawing: Drawing) -> set[int]:
    """The shapes painted with a fill opacity or a gradient stop opacity under 1."""
    return set(drawing.opacity) | {shape for shape, paint in drawing.paints.items()
                                   if min(stop.opacity for stop in paint.stops) < 1}


def _opaque_top(drawing: Drawing, k: int) -> np.ndarray:
    """The topmost opaque shape at each point of a `k` times finer grid than the input's pixels
    (NOTHING: no shape; TRANSLUCENT: a translucent shape, which does not hide what lies under it)."""
    top = np.full((drawing.height * k, drawing.width * k), NOTHING, np.int32)
    translucent = _translucent(drawing)
    for shape, y0, x0, mask in shape_masks(drawing, k):
        if mask is not None:
            box = slice(y0, y0 + mask.shape[0]), slice(x0, x0 + mask.shape[1])
            top[box][mask] = TRANSLUCENT if shape in translucent else shape
    return top


def _later_at(points: np.ndarray, shape: int, top: np.ndarray, k: int, same: bool = False) -> np.ndarray:
    """Whether each point (input px) shows an opaque shape painted after `shape` on `top`, a `k` times
    finer grid (outside the image: no); with `same`, `shape` itself too."""
    shown = _shown_at(points, top, k)
    return (shown >= shape) if same else (shown > shape)


def _gap_at(points: np.ndarray, top: np.ndarray, k: int) -> np.ndarray:
    """Whether each point (input px) lies in a gap between shapes that `underlap` fills (GAP_FILL's
    mark on `top`, a `k` times finer grid; outside the image: no)."""
    return _shown_at(points, top, k) == GAP


def _shown_at(points: np.ndarray, top: np.ndarray, k: int) -> np.ndarray:
    """What `top` (a `k` times finer grid than the input's pixels) shows at each point (input px);
    NOTHING outside the image."""
    height, width = top.shape
    col, row = np.floor(points[:, 0] * k).astype(int), np.floor(points[:, 1] * k).astype(int)
    inside = (col >= 0) & (col < width) & (row >= 0) & (row < height)
    shown = np.full(len(points), NOTHING, top.dtype)
    shown[inside] = top[row[inside], col[inside]]
    return shown


def _move_ring(ring: np.ndarray, shape: int, top: np.ndarray, scale: int, outward: float,
               same: bool = False) -> np.ndarray:
    """One ring of `shape` with the parts that may move (see the module docstring) moved out by SPREAD:
    edges split where their samples' look-ups change, then each vertex between two moving edges offset
    as a mitre and each between a moving and a fixed edge put where the moved line meets the fixed one
    (a step of two vertices where the two are within `STEP_SINE` of parallel)."""
    if signed_area(ring) == 0:
        return ring
    direction, length, normal = _edge_normals(ring, outward)
    counts = np.maximum(np.ceil(length / SAMPLE_PX).astype(int), 1)
    edge_of = np.repeat(np.arange(len(ring)), counts)
    t = (np.arange(len(edge_of)) - np.repeat(np.cumsum(counts) - counts, counts) + 0.5) / counts[edge_of]
    points = ring[edge_of] + t[:, None] * direction[edge_of]
    flags = np.ones(len(points), bool)
    for depth in LOOK_PX:
        flags &= _later_at(points + depth * normal[edge_of], shape, top, scale, same)
    if not flags.any():
        return ring
    gap = _gap_at(points + LOOK_PX[0] * normal[edge_of], top, scale) & flags
    starts: list[np.ndarray] = []  # the ring split where an edge's look-ups change: its vertices ...
    moving: list[bool] = []  # ... and whether the edge from each moves
    pushes: list[float] = []  # ... and how far
    first = np.cumsum(counts) - counts
    for k in range(len(ring)):
        samples = flags[first[k] : first[k] + counts[k]]
        core = samples[1:-1] if len(samples) >= 3 else samples  # the end samples may look past a corner
        push = GAP_PUSH if gap[first[k] : first[k] + counts[k]].any() else SPREAD
        if core.all() or not core.any():
            starts.append(ring[k])
            moving.append(bool(core[0]))
            pushes.append(push)
            continue
        state = bool(samples[0])
        starts.append(ring[k])
        moving.append(state)
        pushes.append(push)
        for j, flag in enumerate(samples.tolist()):
            if flag != state:
                starts.append(ring[k] + (j / len(samples)) * direction[k])
                moving.append(flag)
                pushes.append(push)
                state = flag
    return _offset(np.array(starts), np.array(moving), np.array(pushes), outward)


def _offset(vertices: np.ndarray, move: np.ndarray, push: np.ndarray, outward: float) -> np.ndarray:
    """The ring of `vertices` with each edge whose `move` is set moved out by its `push` (px): a
    vertex between two moved edges where their moved lines cross (a mitre; a bevel at a convex corner
    sharper than 60 degrees, whose mitre would be capped short of the push), one between a moved and a
    fixed edge where the moved line meets the fixed one (a step of two vertices where the two are
    within `STEP_SINE` of parallel)."""
    direction = cyclic_shift(vertices, -1) - vertices
    length = np.maximum(np.hypot(direction[:, 0], direction[:, 1]), 1e-12)
    unit = direction / length[:, None]
    normal = outward * np.column_stack([unit[:, 1], -unit[:, 0]])  # outward, away from the fill
    out: list[np.ndarray] = []
    for k in range(len(vertices)):
        before, after = (k - 1) % len(vertices), k
        v = vertices[k]
        if move[before] and move[after]:
            bisector = normal[before] + normal[after]
            norm = float(np.hypot(*bisector))
            sine = float(unit[before, 0] * unit[after, 1] - unit[before, 1] * unit[after, 0])
            if norm < 1e-9:
                _append(out, v + push[after] * normal[after])
            elif (norm < 1 and float(normal[before] @ unit[after]) < 0) \
                    or (push[before] != push[after] and abs(sine) < STEP_SINE):
                _append(out, v + push[before] * normal[before])  # a bevel, or a step between pushes
                _append(out, v + push[after] * normal[after])
            elif push[before] != push[after]:  # where the two moved lines cross
                _append(out, v + np.linalg.solve(np.array([normal[before], normal[after]]),
                                                 np.array([push[before], push[after]])))
            else:
                _append(out, v + bisector / norm * push[after] / max(norm / 2, 0.5))
        elif not move[before] and not move[after]:
            _append(out, v)
        else:
            moved, fixed = (before, after) if move[before] else (after, before)
            sine = float(unit[moved, 0] * unit[fixed, 1] - unit[moved, 1] * unit[fixed, 0])
            if abs(sine) > STEP_SINE:  # where the moved line meets the fixed one
                _append(out, _meet(v, normal[moved], unit[fixed], push[moved]))
            elif move[before]:
                _append(out, v + push[before] * normal[before])
                _append(out, v)
            else:
                _append(out, v)
                _append(out, v + push[after] * normal[after])
    return np.array(out)


def _meet(vertex: np.ndarray, moved_normal: np.ndarray, fixed_unit: np.ndarray, push: float) -> np.ndarray:
    """Where the moved edge's line (through `vertex`, normal `moved_normal`, shifted by `push` along it)
    crosses the fixed edge's line (through `vertex` along `fixed_unit`)."""
    # vertex + s * fixed_unit lies on the shifted line: (s * fixed_unit - push * n) . n = 0
    s = push / float(fixed_unit @ moved_normal)
    return vertex + s * fixed_unit


def _append(points: list[np.ndarray], point: np.ndarray) -> None:
    """Append `point` unless it repeats the last one (within 1e-9 px)."""
    if not points or abs(points[-1][0] - point[0]) + abs(points[-1][1] - point[1]) > 1e-9:
        points.append(point)
