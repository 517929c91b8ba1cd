"""The one geometry model of a trace: read once from the engine's markup, worked on as arrays by
simplification, refinement, curve fitting and primitive detection, and written once (shared/svg.py).

A `Drawing` holds every closed outline (ring) of every shape as float vertices in input pixels, in one
(n, 2) array with ring offsets (so the steps work on all rings at once), the fill of each shape, and
the outlines that fitting replaced: a ring with an entry in `fitted` is written as that curve, spline
or primitive instead of its polygon. Painting order is shape order; rings of one shape are one compound
path (holes are rings wound the other way, as the engine writes them).

`read_trace` is the one reader of VTracer's output: a trace of `<path d="..." fill="#rrggbb"/>` with
straight segments only (polygon and pixel modes). Other markup (spline traces) is kept as text in
`markup` and passes through the steps unchanged.
"""

import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from itertools import pairwise
from typing import Literal

import numpy as np

from shared.paint import Gradient

_ENGINE_PATH = re.compile(r'<path d="([MmLlZz0-9.,eE\s-]*)" fill="(#[0-9A-Fa-f]{6})"/>')
_TOKEN = re.compile(r"[MmLlZz]|-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
_INTEGERS, _COMMAND, _RELATIVE, _MOVETO, _CLOSES = (  # character classes; '#' opens a path
    np.isin(np.arange(256), list(c)) for c in (b"MmLlZz#0123456789-, ", b"MmLlZz#", b"ml", b"#Mm", b"#Zz"))


@dataclass(frozen=True)
class Curve:
    """A closed outline of straight and cubic segments, input px: from `start`, segment k ends at
    `controls[k, 2]` through control points `controls[k, 0:2]`; `straight[k]` segments are lines."""

    start: np.ndarray  # (2,)
    controls: np.ndarray  # (m, 3, 2)
    straight: np.ndarray  # (m,) bool


@dataclass(frozen=True)
class Spline:
    """A closed outline of straight segments and runs of quadratic Béziers, input px (shared/splines.py):
    from `start`, segment k ends at `ends[k]`, bending towards `controls[k]` unless `straight[k]`.
    `smooth[k]`: segment k continues a run, its control being the previous one's reflected about their
    joint (a quadratic B-spline), so it is written as `t` with one coordinate pair (shared/svg.py);
    `smooth[0]`: the ring is one closed run, `start` the joint of its last and first segments."""

    start: np.ndarray  # (2,)
    controls: np.ndarray  # (m, 2)
    ends: np.ndarray  # (m, 2)
    straight: np.ndarray  # (m,) bool
    smooth: np.ndarray  # (m,) bool


@dataclass(frozen=True)
class Primitive:
    """A closed outline that is a circle, an ellipse or a (rounded) rectangle, input px. `rx`/`ry` are
    the radii (circle: equal) or the rectangle's half sides; `corner` the rectangle's corner radius;
    `angle` the rotation in degrees about the centre."""

    kind: Literal["circle", "ellipse", "rect"]
    cx: float
    cy: float
    rx: float
    ry: float
    angle: float = 0.0
    corner: float = 0.0


Outline = Curve | Spline | Primitive


@dataclass(frozen=True)
class Drawing:
    """A trace in input px. `view` is the viewBox size the writer uses (traced px for an unrefined
    trace, `grid` units per px for a refined one, whose coordinates are written as integers)."""

    width: int
    height: int
    fills: tuple[str, ...] = ()
    vertices: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    offsets: np.ndarray = field(default_factory=lambda: np.zeros(1, int))
    ring_shape: np.ndarray = field(default_factory=lambda: np.zeros(0, int))
    fitted: dict[int, Outline] = field(default_factory=dict)
    paints: dict[int, Gradient] = field(default_factory=dict)  # shape -> gradient replacing its fill
    opacity: dict[int, float] = field(default_factory=dict)  # shape -> fill opacity below 1 (others: 1)
    view: tuple[float, float] = (0.0, 0.0)
    grid: bool = False
    markup: str | None = None
    design_pitch: float | None = None  # input px between the lines of the design grid found, if any

    def ring(self, index: int) -> np.ndarray:
        """One ring's vertices (a view)."""
        return self.vertices[self.offsets[index] : self.offsets[index + 1]]

    @cached_property
    def rings(self) -> list[np.ndarray]:
        """Every ring's vertices, in order (views; computed once per drawing: the steps read it per ring,
        and splitting anew each time made them quadratic in the ring count)."""
        return np.split(self.vertices, self.offsets[1:-1]) if len(self.offsets) > 1 else []

    @property
    def is_polygonal(self) -> bool:
        """Whether the steps can work on this drawing (an engine trace of straight segments)."""
        return self.markup is None

    def with_rings(self, vertices: np.ndarray, offsets: np.ndarray) -> "Drawing":
        return replace(self, vertices=vertices, offsets=offsets)

    def with_points_after(self, vertices: np.ndarray, after: np.ndarray, points: np.ndarray) -> "Drawing":
        """`vertices` (this drawing's rings' vertices, moved or not) with `points` (k, 2) inserted each
        right after the vertex of index `after` (k, ascending), in that vertex's ring; offsets follow."""
        per_ring = np.bincount(np.searchsorted(self.offsets, after, side="right") - 1,
                               minlength=len(self.offsets) - 1)
        offsets = self.offsets + np.concatenate([[0], np.cumsum(per_ring)])
        return self.with_rings(np.insert(vertices, after + 1, points, axis=0), offsets)

    def shape_rings(self) -> tuple[tuple[int, ...], ...]:
        """The ring indices of each shape (computed once per drawing)."""
        return self._shape_rings

    @cached_property
    def _shape_rings(self) -> tuple[tuple[int, ...], ...]:
        out: list[list[int]] = [[] for _ in self.fills]
        for ring, shape in enumerate(self.ring_shape.tolist()):
            out[shape].append(ring)
        return tuple(tuple(members) for members in out)


def read_trace(svg: str, width: int, height: int, view_width: int, view_height: int) -> Drawing:
    """The engine's markup for an input of `width` x `height` px traced at `view_width` x `view_height`
    px. A trace of other elements or curved paths keeps its markup (see the module docstring)."""
    found = _ENGINE_PATH.findall(svg)
    view = (float(view_width), float(view_height))
    if svg.count("<path") != len(found) or re.search(r"<(?:rect|circle|ellipse|polygon|g|use)\b", svg):
        return Drawing(width, height, view=view, markup=svg)
    found = [(_with_moveto(d), fill) for d, fill in found]
    found = [(d, fill) for d, fill in found if d[:1] in ("M", "m")]  # the rest ("", "Z") draws nothing
    vertices, offsets, path = parse_paths([d for d, _ in found])
    vertices = vertices / np.array([view_width / width, view_height / height])
    return Drawing(width, height, tuple(fill for _, fill in found), vertices, offsets, path, view=view)


def _with_moveto(d: str) -> str:
    """Path data with a leading lineto read as the moveto it stands for. Path data must begin with a
    moveto (else it renders nothing: SVG 1.1, 8.3.2), and the engine's cutout traces sometimes begin a
    shape's outline with `L` (31 of 420 cutout traces of 210 Iconify icons: flat-color-icons'
    electrical-threshold lost its whole zigzag, devicon's linux parts of its beak); the outline it
    then draws is the shape's, closed by its `Z`."""
    d = d.lstrip()
    return {"L": "M", "l": "m"}.get(d[:1], d[:1]) + d[1:]


def merge_consecutive_fills(drawing: Drawing) -> Drawing:
    """Shapes of one fill that follow each other in painting order become one compound shape (each
    ring keeps its own winding, so the picture is the same). Shapes with a fitted primitive, and
    shapes of different fill opacity, stay apart. Use on stacked traces only: measured on 120 dev
    images (256 px) it never lowered SSIM by more than 4e-5 on stacked traces and saved 0.7-2.7 % of
    bytes on average, while on cutout traces it lowered SSIM on 4 % of images (up to 0.0045)."""
    if not drawing.is_polygonal or not drawing.fills:
        return drawing
    primitive_shapes = {int(drawing.ring_shape[r]) for r, outline in drawing.fitted.items()
                        if isinstance(outline, Primitive)} | set(drawing.paints)  # painted: apart too
    new_index, fills = [], []
    for shape, fill in enumerate(drawing.fills):
        joins = (fills and fills[-1].upper() == fill.upper() and shape not in primitive_shapes
                 and shape - 1 not in primitive_shapes
                 and drawing.opacity.get(shape, 1.0) == drawing.opacity.get(shape - 1, 1.0))
        if not joins:
            fills.append(fill)
        new_index.append(len(fills) - 1)
    return replace(drawing, fills=tuple(fills), ring_shape=np.array(new_index, int)[drawing.ring_shape],
                   paints={new_index[s]: p for s, p in drawing.paints.items()},
                   opacity={new_index[s]: a for s, a in drawing.opacity.items()})


def stacked(below: Drawing, above: Drawing) -> Drawing:
    """One drawing of two traces of one image at one view size: `above`'s shapes painted over
    `below`'s (the translucent layer over the opaque one, shared/candidate.py)."""
    n, count = len(below.fills), len(below.offsets) - 1
    return replace(
        below, fills=below.fills + above.fills, vertices=np.vstack([below.vertices, above.vertices]),
        offsets=np.append(below.offsets, below.offsets[-1] + above.offsets[1:]),
        ring_shape=np.append(below.ring_shape, above.ring_shape + n).astype(int),
        fitted={**below.fitted, **{count + r: o for r, o in above.fitted.items()}},
        paints={**below.paints, **{n + s: p for s, p in above.paints.items()}},
        opacity={**below.opacity, **{n + s: a for s, a in above.opacity.items()}})


def parse_paths(ds: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Vertices (n, 2), ring offsets and the path of each ring of the straight-segment paths `ds`, read
    like the SVG rules for M m L l Z z (absolute, relative to the previous vertex, or after a Z to the
    subpath start). A repeated closing vertex is kept (simplification drops it)."""
    first, values = _tokens(ds)
    number, pos = (first >= ord("-")) & (first <= ord("9")), np.arange(len(first))
    owner = np.maximum.accumulate(np.where(number, 0, pos))  # the command each number follows
    xt = np.flatnonzero(number & ((pos - owner) % 2 == 1))  # token of each coordinate pair's x
    if 2 * len(xt) != len(values):
        raise ValueError("a path command with an odd number of coordinates")
    if not len(xt):
        return np.zeros((0, 2)), np.zeros(1, int), np.zeros(0, int)
    p, code, j = values.reshape(-1, 2), first[owner[xt]], np.arange(len(xt))
    rel, moveto = _RELATIVE[code], _MOVETO[code] & (owner[xt] == xt - 1)
    closes = np.cumsum(_CLOSES[first])[xt]
    reset = np.append(True, closes[1:] != closes[:-1])  # a Z or a new path since the previous pair
    path = np.cumsum(first == ord("#"))[xt] - 1
    start = np.append(-1, np.maximum.accumulate(np.where(moveto, j, -1))[:-1])  # subpath start
    start[path[start] != path] = -1  # -1: the origin
    ref = np.where(reset, start, j - 1)  # the pair a relative pair is added to
    q = p.copy()
    heads = np.flatnonzero(~rel | reset)  # chains: a head, then the pairs relative to the one before
    for h, e in pairwise([*heads.tolist(), len(q)]):
        if rel[h]:
            q[h] += q[ref[h]] if ref[h] >= 0 else 0.0
        np.cumsum(q[h:e], axis=0, out=q[h:e])
    begins = np.flatnonzero(moveto | reset)
    insert = np.flatnonzero(reset & ~moveto)  # a lineto after Z starts its outline at the current point
    if len(insert):
        q = np.insert(q, insert, np.where(start[insert, None] >= 0, q[start[insert]], 0.0), axis=0)
    return q, np.append(begins + np.searchsorted(insert, begins), len(q)), path[begins]


def _tokens(ds: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """The first character of every token of the paths `ds`, each opened by '#', and the numbers.
    Text of commands and integers only (the engine's polygon output) is read by numpy (integers below
    1e15 are exact floats); other text by one tokenizer."""
    text = "#" + "#".join(ds)
    chars = np.frombuffer(text.encode(), np.uint8)
    digit = (chars >= ord("0")) & (chars <= ord("9"))
    lo, hi = np.flatnonzero(np.diff(digit, prepend=False, append=False)).reshape(-1, 2).T  # digit runs
    if text.count("#") == len(ds) and _INTEGERS[chars].all() and len(lo) and (hi - lo).max() <= 15:
        at, size = np.flatnonzero(digit), hi - lo
        scaled = (chars[at] - ord("0")).astype(np.int64) * 10 ** (np.repeat(hi, size) - 1 - at)
        values = np.add.reduceat(scaled, np.cumsum(size) - size).astype(float)
        values[chars[lo - 1] == ord("-")] *= -1
        return chars[_COMMAND[chars] | (digit & ~np.append(False, digit[:-1]))], values
    tokens = [t for d in ds for t in ("#", *_TOKEN.findall(d))]
    first = np.array(tokens, "U1").view(np.uint32).astype(np.uint8)
    return first, np.array(tokens, object)[(first >= ord("-")) & (first <= ord("9"))].astype(float)


def cyclic_shift(values: np.ndarray, shift: int) -> np.ndarray:
    """`values` moved `shift` places along the first axis, wrapping round: np.roll(values, shift, axis=0),
    the same values, in a fifth of its time on the short arrays of a ring's vertices (~2 against ~12 us;
    the steps after tracing take ~70k such shifts on the 40 images of `make bench`)."""
    count = len(values)
    k = shift % count if count else 0
    return np.concatenate((values[count - k :], values[: count - k])) if k else values.copy()


def signed_area(ring: np.ndarray) -> float:
    """Shoelace area of a closed ring (n, 2), px²: positive where the ring runs clockwise on screen
    (y down), negative the other way (a hole, as the engine winds it)."""
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * float(np.dot(x, cyclic_shift(y, -1)) - np.dot(y, cyclic_shift(x, -1)))


def outward_signs(drawing: Drawing) -> np.ndarray:
    """Per ring, +1 or -1: the sign that turns its right-hand edge normals (dy, -dx) away from its
    shape's fill. That is the sign of the area of the shape's largest ring for all of the shape's rings:
    a hole runs the other way round its outer ring (nonzero winding), and its fill lies outside it, so
    the sign of its own area would point into the fill."""
    areas = np.array([signed_area(ring) for ring in drawing.rings])
    signs = np.ones(len(areas))
    for ring_ids in drawing.shape_rings():
        if ring_ids:
            ids = list(ring_ids)
            signs[ids] = np.sign(areas[ids][np.argmax(np.abs(areas[ids]))]) or 1.0
    return signs


def ring_index(offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the flat vertex array of rings with `offsets`: the index of each vertex's next and previous
    vertex within its ring."""
    sizes = np.diff(offsets)
    first = np.repeat(offsets[:-1], sizes)
    size = np.repeat(sizes, sizes)
    position = np.arange(offsets[-1]) - first
    return first + (position + 1) % np.maximum(size, 1), first + (position - 1) % np.maximum(size, 1)


def regroup(drawing: Drawing, paints: dict[int, Gradient], dropped: set[int],
             joined: dict[int, int]) -> Drawing:
    """The drawing without the `dropped` shapes, each shape of `joined` (shape -> root) with its rings
    moved into its root's path (rings keep their order within a shape), with `paints` (shape ->
    gradient) and opacities re-indexed."""
    if not dropped and not joined and not paints:
        return drawing
    kept = [s for s in range(len(drawing.fills)) if s not in dropped and s not in joined]
    new_index = {s: k for k, s in enumerate(kept)}
    rings = drawing.rings
    order: list[int] = []
    shape_of: list[int] = []
    members: dict[int, list[int]] = {s: [s] for s in kept}
    for shape, root in joined.items():
        members[root].append(shape)
    shape_rings = drawing.shape_rings()
    for s in kept:
        for m in members[s]:
            order.extend(shape_rings[m])
            shape_of.extend([new_index[s]] * len(shape_rings[m]))
    sizes = [len(rings[r]) for r in order]
    vertices = np.vstack([rings[r] for r in order]) if order else np.zeros((0, 2))
    offsets = np.append(0, np.cumsum(sizes)).astype(int)
    fitted = {k: drawing.fitted[r] for k, r in enumerate(order) if r in drawing.fitted}
    return replace(drawing, fills=tuple(drawing.fills[s] for s in kept), vertices=vertices, offsets=offsets,
                   ring_shape=np.array(shape_of, int), fitted=fitted,
                   paints={new_index[s]: p for s, p in paints.items() if s in new_index},
                   opacity={new_index[s]: a for s, a in drawing.opacity.items() if s in new_index})
