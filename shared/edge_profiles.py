"""Coverage profiles across a shape's edges: where the input's anti-aliased boundary of a fill lies.

Across an edge the input's colour goes from the shape's fill to the colour beside it, and the 50 % point
of that ramp is the edge. The input (premultiplied RGBA, bilinear, transparent beyond the canvas) is
sampled on lines across each edge, each sample expressed as coverage between the fill and the colour
beside the shape (the sample least like the fill on the outside half), and the edge placed at the 0.5
crossing nearest the line's middle, refined by the coverage ramp's area (`edge_positions`). A profile
is used where fill and outside differ by MIN_CONTRAST, or by LOW_CONTRAST where it is a clean step
(`_clean_step`: a faint shape on a flat ground, not a band the trace cut out of a gradient).
Refinement (shared/refine.py), primitives (shared/primitives.py), curves and splines (shared/curves.py,
`measured_edge_points`) measure edges this way.

A region the trace drew in one flat colour need not show that colour along its edges (a gradient the
colour clustering kept whole: devicon's harbor beams, dark to pale blue, traced as flat #AACEEC): where
the flat fill is not what the input shows beside an edge, the edge is measured against the colour the
input shows inside it (LOCAL_FILL), on the side the ring's winding puts the fill
(shared.geometry.outward_signs), and only where the edge's own shape is the topmost one there
(`Insides`: a stacked trace's lower outline under an upper shape is not moved onto the upper's edge).
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import ndimage

from shared.geometry import Drawing
from shared.paint import hex_rgb
from shared.rasterise import rasterise

REACH_PX = 2.5  # how far either side of a segment the input is sampled, input px
PROFILE_STEPS = 51  # samples across a segment, over -REACH_PX .. +REACH_PX
AREA_HALF_WIDTH_PX = 1.5  # half the window whose coverage area places an edge
MIN_CONTRAST = 0.15  # premultiplied RGBA distance (0..2) between fill and outside for a usable profile ...
LOW_CONTRAST = 0.1  # ... or this, where the profile is a clean step (`_clean_step`): a faint shape on a
# flat ground (emojione's full moon's craters, 0.13), not the band of a gradient the trace cut
STEP_PLATEAU_PX = 2.0  # a clean step's coverage is flat beyond this from the profile's middle ...
STEP_FLAT = 0.2  # ... within this of 1 inside and 0 outside
MAX_SHIFT_PX = 1.25  # largest vertex move, input px (guards sharp corners against miter spikes); see
# docs/findings.md, "Refinement's reach"
CANVAS_EDGES = True  # samples beyond the canvas are transparent, so an edge in the outermost pixels is
# measured (else they repeat the border pixel, and a plate ending 0.66 px from the border kept the
# trace's edge at 1 px)
LOCAL_FILL = True  # a segment whose flat fill the input does not show beside it (a gradient region the
# trace drew in one flat colour) is measured against the colour the input shows inside it
LOCAL_SWITCH = 0.1  # ... where that colour lies this share of its contrast with the outside from the fill
LOCAL_DEPTH_PX = 2.0  # that colour: the mean of the samples this far inside or deeper (to REACH_PX)
LOCAL_OWN_PX = 2.25  # where the shape must be the topmost one for that colour to be its own
LOCAL_FLAT = 0.03  # most those samples may differ from their mean (premultiplied RGBA distance)


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


@dataclass(frozen=True)
class Profiles:
    """Coverage profiles across segments: `coverage` (n, A, S), 1 inside at low steps, 0 outside;
    `usable` (n, A) where the fill and a contrasting outside were found; `inside_high` (n,) where the
    profiles were flipped (the fill lay on the +normal side); `steps` (S,) px along the normal; `clean`
    (n, A) where a profile is a clean step (`_clean_step`: two flat colours meet, no ramp)."""

    coverage: np.ndarray
    usable: np.ndarray
    inside_high: np.ndarray
    steps: np.ndarray
    contrast: np.ndarray  # (n, A) premultiplied RGBA distance between the fill and the outside
    local: np.ndarray  # (n,) measured against the colour the input shows inside (`_local_fill`)
    clean: np.ndarray


class TopShapes:
    """The topmost shape at each pixel of `drawing` (rasterise.rasterise), rasterised when first read:
    the edge measurements of one drawing share it."""

    def __init__(self, drawing: Drawing) -> None:
        self.drawing = drawing

    @cached_property
    def grid(self) -> np.ndarray:
        return rasterise(self.drawing)[0]


@dataclass(frozen=True)
class Insides:
    """Where each measured segment's (or point's) shape lies: `sign` (n,) +1 where its fill lies on the
    +normal (left-hand) side, -1 on the other (shared.geometry.outward_signs), `shape` (n,) its shape,
    and `tops` the drawing's topmost shapes."""

    tops: TopShapes
    sign: np.ndarray
    shape: np.ndarray

    def own(self, rows: np.ndarray, points: np.ndarray) -> np.ndarray:
        """(len(rows), A) whether the shape of each of `rows` is the topmost one at `points` (len(rows),
        A, 2; input px); False beyond the canvas."""
        top = self.tops.grid
        x, y = np.floor(points[..., 0]).astype(int), np.floor(points[..., 1]).astype(int)
        inside = (x >= 0) & (y >= 0) & (x < top.shape[1]) & (y < top.shape[0])
        found = top[np.clip(y, 0, top.shape[0] - 1), np.clip(x, 0, top.shape[1] - 1)]
        return inside & (found == self.shape[rows, None])


def profile_offsets(image: np.ndarray, anchors: np.ndarray, normal: np.ndarray, fills: np.ndarray,
                    insides: Insides | None = None) -> np.ndarray:
    """Signed distance (input px) along each unit `normal` (n, 2) from the anchors (n, A, 2) to the
    boundary of fill `fills[i]`, from the coverage profiles across the anchors averaged; NaN where
    no boundary is found (see shared/refine.py `edge_offsets`; `insides`: see `coverage_profiles`)."""
    return mean_offsets(coverage_profiles(image, anchors, normal, fills, insides))


def mean_offsets(profiles: Profiles) -> np.ndarray:
    """The boundary's offset from each segment's usable profiles averaged (NaN where none is usable)."""
    usable = profiles.usable
    counts = usable.sum(axis=1)
    mean = np.where(usable[..., None], profiles.coverage, 0.0).sum(axis=1) / np.maximum(counts, 1)[:, None]
    offsets = edge_positions(mean, profiles.steps)
    offsets = np.where(profiles.inside_high, -offsets, offsets)
    offsets[counts == 0] = np.nan
    return offsets


def coverage_profiles(image: np.ndarray, anchors: np.ndarray, normal: np.ndarray, fills: np.ndarray,
                       insides: Insides | None = None) -> Profiles:
    """The coverage profiles across `anchors` (n, A, 2) along `normal` (n, 2) against `fills` (n, 4).
    With `insides`, a segment whose flat fill the input does not show beside it (none of its profiles
    finds it, or the input's colour inside lies over LOCAL_SWITCH of the contrast from it) is measured
    against the colour the input shows inside it instead (`_local_fill`), where that colour is a plateau
    and the segment's own shape is the topmost one there (not a shape painted over it: a stacked trace's
    lower outline under an upper shape keeps its place, or the two edges would conflate into a halo)."""
    steps = np.linspace(-REACH_PX, REACH_PX, PROFILE_STEPS)
    points = anchors[:, :, None, :] + steps[None, None, :, None] * normal[:, None, None, :]
    values = sample(image, points)  # (n, A, S, 4)
    gap = np.linalg.norm(values - fills[:, None, None, :], axis=-1)  # (n, A, S) distance to the fill
    inside_high = steps[np.argmin(gap.mean(axis=1), axis=1)] > 0  # fill nearest on the +normal side
    flip = inside_high[:, None, None]
    values = np.where(flip[..., None], values[:, :, ::-1], values)  # inside now at low steps
    gap = np.where(flip, gap[:, :, ::-1], gap)
    coverage, usable, contrast, clean = _against(values, gap, fills[:, None, :], steps)
    switch = np.zeros(len(fills), bool)
    if LOCAL_FILL and insides is not None:
        high = insides.sign > 0
        turned = np.where((high != inside_high)[:, None, None, None], values[:, :, ::-1], values)
        local, flat = _local_fill(turned, steps)
        local_gap = np.linalg.norm(turned - local[:, :, None, :], axis=-1)
        cover, ok, contrast_l, clean_l = _against(turned, local_gap, local, steps)
        ok &= flat
        off = np.linalg.norm(local - fills[:, None, :], axis=-1) > LOCAL_SWITCH * contrast_l

        def switches() -> np.ndarray:  # a local profile found, where the flat fill is lost or off
            return ok.any(axis=1) & (~usable.any(axis=1) | (off & ok).any(axis=1))

        rows = np.flatnonzero(switches())
        if len(rows):  # where the colour measured is the shape's own (not a shape painted over it)
            deep = anchors[rows] + (insides.sign[rows, None, None] * LOCAL_OWN_PX) * normal[rows, None, :]
            ok[rows] &= insides.own(rows, deep)
        switch = switches()
        coverage[switch], usable[switch], contrast[switch] = cover[switch], ok[switch], contrast_l[switch]
        clean[switch] = clean_l[switch]
        inside_high[switch] = high[switch]
    return Profiles(coverage, usable, inside_high, steps, contrast, switch, clean)


def _against(values: np.ndarray, gap: np.ndarray, fills: np.ndarray,
             steps: np.ndarray) -> tuple[np.ndarray, ...]:
    """(coverage (n, A, S), usable (n, A), contrast (n, A), clean (n, A): `_clean_step`) of profiles
    `values` (n, A, S, 4; inside at low steps, sampled at `steps` px) against fill colours `fills`
    (n, A, 4), `gap` each sample's distance to its fill."""
    middle = PROFILE_STEPS // 2
    # the colour beside the shape: the sample least like the fill on the outside half (a thin
    # neighbouring stroke is found before the profile runs past it)
    far = middle + np.argmax(gap[:, :, middle:], axis=2)
    outside = np.take_along_axis(values, far[:, :, None, None], axis=2)  # (n, A, 1, 4)
    span = fills[:, :, None, :] - outside
    contrast2 = np.sum(span * span, axis=-1)  # (n, A, 1)
    coverage = np.sum((values - outside) * span, axis=-1) / np.maximum(contrast2, 1e-12)
    inside_gap = gap[:, :, : middle + 1].min(axis=2)
    contrast = np.sqrt(contrast2[..., 0])
    clean = _clean_step(coverage, steps)
    strong = (contrast >= MIN_CONTRAST) | ((contrast >= LOW_CONTRAST) & clean)
    return coverage, strong & (inside_gap <= 0.35 * contrast), contrast, clean


def _clean_step(coverage: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """(n, A) whether coverage profiles (n, A, S; sampled at `steps` px) are flat at 1 inside and at 0
    outside, beyond STEP_PLATEAU_PX of their middle (within STEP_FLAT): an edge, not a ramp."""
    inside = np.abs(coverage[..., steps <= -STEP_PLATEAU_PX] - 1.0).max(axis=-1)
    outside = np.abs(coverage[..., steps >= STEP_PLATEAU_PX]).max(axis=-1)
    return (inside <= STEP_FLAT) & (outside <= STEP_FLAT)


def _local_fill(values: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(colour (n, A, 4), flat (n, A)) the input shows inside a shape at each anchor: the mean of
    the profile's samples `LOCAL_DEPTH_PX` or deeper (inside at low steps), and whether they agree
    within LOCAL_FLAT (a plateau; not another edge or a thin part's far side)."""
    deep = values[:, :, steps <= -LOCAL_DEPTH_PX]
    colour = deep.mean(axis=2)
    spread = np.linalg.norm(deep - colour[:, :, None, :], axis=-1).max(axis=2)
    return colour, spread <= LOCAL_FLAT


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
