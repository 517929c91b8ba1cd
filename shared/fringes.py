"""Anti-aliasing fringes traced as shapes: dropped from stacked traces before refinement.

Where two colours meet, the input's edge pixels hold their mixes, and the engine traces a run of them
as a shape of its own when it is larger than `filter_speckle` (an area in traced px, whatever the
input's size): a strip 1-2 px wide along the edge, of a colour between the two sides. At 256 px
there are a few (Twemoji's Japanese flag: three on its disc's edge); an export of the same icon at
1024 px has many more (a red disc on a rounded plate, tests/test_fringes.py: 21 shapes at 1024 px, 5
at 256 px). They add bytes, and zoomed in they show as hard-edged bands the source does not have.

In a stacked trace the shape painted before a strip runs on under it, so dropping the strip shows
that shape there, and refinement (shared/refine.py, which runs after this step) then moves the edges
left beside it onto the input's anti-aliased boundary. A shape is dropped where all of these hold:
- its mean width (2 x area / perimeter, input px) is under `MAX_WIDTH_PX`;
- shapes painted before it cover at least `MIN_COVERED` of it (sampled on a grid `GRID` times finer
  than the input's pixels), so nothing shows through where it was;
- its colour is a mix of two of the colours it lies between (the shapes showing on at least
  `SIDE_SHARE` of the cells under it and within 1 px around it, transparency included): within
  `MIX_LEVELS` (every channel) of the line between two of them, or of one of them (an edge over
  transparency, or a strip between a shape and another strip of the same edge).
Shapes with a fill opacity (translucent plateaus, shared/translucency.py) stay. Cutout traces keep
theirs: nothing runs on under a cutout shape, so a dropped one would leave a hole.

Measured (Tier 1, strips kept -> dropped, `python -m bench.paired --set drop_fringes=false`; docs/findings.md,
"Fringe strips"): 72 training images at 256 px, 1x / 4x medians 0.9933 / 0.9921 -> 0.9933 / 0.9922,
bytes -4.1 %; the same sources rendered at 1024 px, bytes -8.4 %, elements -24 %, no image lower by
more than 0.0003.
"""

import numpy as np
from scipy import ndimage

from shared.geometry import Drawing, regroup, ring_index
from shared.paint import hex_rgb
from shared.rasterise import shape_masks

MAX_WIDTH_PX = 2.0  # mean width of a fringe strip (an anti-aliased edge is 1-2 px of mixes; 1.5 left
# a twemoji flag's 1.7 px strip and dropped 30 % fewer bytes on the training split, at no gain)
MIN_COVERED = 0.9  # share of the strip that shapes painted before it must cover
MIX_LEVELS = 16.0  # distance (8-bit levels, largest channel) of a fringe's colour from the mix line
SIDE_SHARE = 0.1  # a shape showing on this share of the cells under and around it is a side it may mix
GRID = 4  # coverage is sampled at GRID x GRID points per input pixel


def mean_widths(drawing: Drawing) -> np.ndarray:
    """Per shape, 2 x |area| / perimeter in input px (a strip's width; a disc's radius): rings' signed
    areas summed, so holes count against their shape."""
    vertices, offsets = drawing.vertices, drawing.offsets
    n_shapes = len(drawing.fills)
    if not len(vertices):
        return np.zeros(n_shapes)
    nxt = vertices[ring_index(offsets)[0]]  # each ring closes on its first vertex
    sizes = np.diff(offsets)
    cross = vertices[:, 0] * nxt[:, 1] - vertices[:, 1] * nxt[:, 0]
    length = np.hypot(*(nxt - vertices).T)
    ring_of = np.repeat(np.arange(len(sizes)), sizes)
    shape_of = drawing.ring_shape[ring_of]
    area = np.abs(0.5 * np.bincount(shape_of, weights=cross, minlength=n_shapes))
    perimeter = np.bincount(shape_of, weights=length, minlength=n_shapes)
    return 2 * area / np.maximum(perimeter, 1e-9)


def _levels(fill: str) -> np.ndarray:
    """A '#rrggbb' fill's R, G, B in 8-bit levels (shared/paint.py reads it)."""
    return np.array(hex_rgb(fill)) * 255.0


def mix_distance(colour: np.ndarray, under: np.ndarray, beside: np.ndarray | None) -> float:
    """Largest-channel distance (levels) of `colour` from the segment between `under` and `beside`
    (from `under` itself where `beside` is None)."""
    if beside is None:
        return float(np.abs(colour - under).max())
    span = beside - under
    t = float(np.clip((colour - under) @ span / max(float(span @ span), 1e-9), 0.0, 1.0))
    return float(np.abs(colour - (under + t * span)).max())


def drop_fringes(drawing: Drawing) -> Drawing:
    """`drawing` (a stacked trace, before refinement) without its fringe strips (see the module
    docstring). Traces kept as markup pass unchanged."""
    if not drawing.is_polygonal or len(drawing.fills) < 2:
        return drawing
    widths = mean_widths(drawing)
    rings = drawing.shape_rings()
    candidates = {s for s in np.flatnonzero(widths < MAX_WIDTH_PX).tolist()
                  if s > 0 and rings[s] and s not in drawing.opacity and s not in drawing.paints}
    if not candidates:
        return drawing
    near = _box_around(drawing, candidates)  # only shapes there can lie under or beside a strip
    label = np.full((near[2] - near[0], near[3] - near[1]), -1, np.int32)  # painted so far, in `near`
    dropped: set[int] = set()
    for shape, y0, x0, mask in shape_masks(drawing, GRID, within=near):
        if mask is None:
            continue
        y0, x0 = y0 - near[0], x0 - near[1]
        box = slice(y0, y0 + mask.shape[0]), slice(x0, x0 + mask.shape[1])
        if shape in candidates and _is_fringe(drawing, shape, label, mask, y0, x0):
            dropped.add(shape)
            continue  # shapes after it are judged against what stays
        label[box][mask] = shape
    return regroup(drawing, drawing.paints, dropped, {}) if dropped else drawing


def _box_around(drawing: Drawing, shapes: set[int]) -> tuple[int, int, int, int]:
    """The cells (y0, x0, y1, x1 of the GRID-times finer grid) of the box holding `shapes` and 2 px
    around them, within the image."""
    rings = drawing.rings
    points = np.vstack([rings[r] for s in shapes for r in drawing.shape_rings()[s]])
    (x0, y0), (x1, y1) = points.min(axis=0) - 2, points.max(axis=0) + 2
    bottom, right = int(np.ceil(y1 * GRID)), int(np.ceil(x1 * GRID))
    return (max(int(y0 * GRID), 0), max(int(x0 * GRID), 0),
            min(bottom, drawing.height * GRID), min(right, drawing.width * GRID))


def _is_fringe(drawing: Drawing, shape: int, label: np.ndarray, mask: np.ndarray, y0: int, x0: int) -> bool:
    """Whether `shape` (its coverage `mask`, first cell at (y0, x0) of the fine grid) lies on shapes
    painted before it (`label`: shape per cell, -1 none) in a mix of the colours there."""
    beneath = label[y0:y0 + mask.shape[0], x0:x0 + mask.shape[1]][mask]
    covered = beneath[beneath >= 0]
    if not len(beneath) or len(covered) < MIN_COVERED * len(beneath):
        return False
    # what shows within 1 px around it: the fine grid's box grown by GRID cells, the mask's ring there
    gy0, gx0 = max(y0 - GRID, 0), max(x0 - GRID, 0)
    gy1 = min(y0 + mask.shape[0] + GRID, label.shape[0])
    gx1 = min(x0 + mask.shape[1] + GRID, label.shape[1])
    grown = np.zeros((gy1 - gy0, gx1 - gx0), bool)
    grown[y0 - gy0:y0 - gy0 + mask.shape[0], x0 - gx0:x0 - gx0 + mask.shape[1]] = mask
    ring = ndimage.binary_dilation(grown, iterations=GRID) & ~grown
    near = np.concatenate([covered, label[gy0:gy1, gx0:gx1][ring]])
    values, counts = np.unique(near, return_counts=True)
    sides = values[counts >= SIDE_SHARE * len(near)].tolist()  # the colours it lies between
    colour = _levels(drawing.fills[shape])
    paints = [_levels(drawing.fills[s]) if s >= 0 else None for s in sides]
    return any(mix_distance(colour, a, b) <= MIX_LEVELS
               for k, a in enumerate(paints) if a is not None for b in [None, *paints[k + 1:]])
