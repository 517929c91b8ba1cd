"""The fill model of a drawing: each traced region gets a flat fill, a linear or a radial gradient
(shared/gradient_fit.py), and neighbouring bands of one gradient merge into one region (the tracer
posterises a gradient into bands of flat colour).

Regions are the pixels each shape shows (the drawing rasterised by pixel centres, nonzero winding,
painting order kept), less a 1 px border, so anti-aliased edges never count, and a region with colour
steps inside (an edge the trace left in it) keeps its flat fill.

Merging (in painting order): a shape joins the region of an earlier one under or beside it when one
gradient fits both within `merge_tolerance` (RMS, premultiplied [0, 1]), on the union and on the band
alone, no worse there than the band's own flat colour (`band_fit_limit`: for a band of mostly edge
pixels, which its flat colour misses by far, clearly better than it), and no colour step separates
them. In a stacked trace a band that the earlier shape already covers is dropped; otherwise its rings
join the earlier shape's compound path (kept only where that path covers exactly the union). Both only
where no shape painted in between shows under the band.
"""

from dataclasses import dataclass

import numpy as np

from shared.geometry import Drawing, Primitive, regroup
from shared.gradient_fit import MIN_PIXELS, SAMPLE, Fit, fit_region, paint_colours
from shared.gradient_share import share_paints
from shared.paint import Gradient, premultiplied
from shared.rasterise import Masks, rasterise, winding

EDGE_STEP, EDGE_SHARE = 0.08, 0.002  # more than this share of pixels stepping by more: not smooth
MIN_MERGE_PIXELS = 16  # slivers smaller than this keep their flat fill and stay apart
MIN_GAIN_PER_BYTE = 2e-6  # estimated SSIM of the image a lone gradient must buy per byte (~4e-4 each)
EDGE_BAND_FIT = 0.8  # a band whose own flat colour misses the merge tolerance (its pixels mostly its edges:
# a thin band of a shaded face) merges where the union's gradient leaves at most this share of that flat
# colour's RMS on it (0: never; 60 shaded emoji 3 up at 4x, none down, bytes -1.9 %; at 1.0 one generated
# logo's star rim joined the bar beside it, a green fringe: docs/findings.md, "Edge-dominated bands")
OUTSIDE_TOLERANCE = 0.01  # share of a dropped band's pixels that may lie outside the region it joins
RAMP_STEP, RAMP_SHARE = 0.5 / 255, 0.5  # a region ramps where this share of its pixels 2 px in step to a
# neighbour by more: only there are a gradient's stops placed (shared/gradient_profile.py,
# `placed_profile`); two flat colours the trace left in one region (a twemoji face and its shade) step at
# their edge alone, and placed stops would draw that edge as a ramp (farmer 1f9d1-1f3fe-200d-1f33e: 1x
# 0.9793 -> 0.9785)


def interior(mask: np.ndarray) -> np.ndarray:
    """The pixels of `mask` whose four neighbours are in it too."""
    return mask & same_as_neighbours(mask)


def same_as_neighbours(labels: np.ndarray) -> np.ndarray:
    """Pixels whose four neighbours hold the same value as they do (beyond the border counts as the
    same); on a label map, each region's interior at once (`interior` of every region)."""
    same = np.ones(labels.shape, bool)
    same[1:] &= labels[1:] == labels[:-1]
    same[:-1] &= labels[:-1] == labels[1:]
    same[:, 1:] &= labels[:, 1:] == labels[:, :-1]
    same[:, :-1] &= labels[:, :-1] == labels[:, 1:]
    return same


def _rms_on(paint: Gradient, mask: np.ndarray, colours: np.ndarray) -> float:
    ys, xs = np.nonzero(mask)
    if not len(ys):
        return 0.0
    diff = paint_colours(paint, np.column_stack([xs + 0.5, ys + 0.5])) - colours[ys, xs]
    return float(np.sqrt((diff**2).mean()))


def neighbour_steps(colours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The largest channel difference between each pixel and the one below it (h - 1, w) and the one
    right of it (h, w - 1)."""
    return _channel_max(np.abs(np.diff(colours, axis=0))), _channel_max(np.abs(np.diff(colours, axis=1)))


def _channel_max(values: np.ndarray) -> np.ndarray:
    """values.max(axis=2) for (h, w, 4) arrays, as three elementwise maxima (~10x faster than a
    reduction over a 4-wide last axis)."""
    return np.maximum(np.maximum(values[..., 0], values[..., 1]), np.maximum(values[..., 2], values[..., 3]))


def jumps(steps: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """(h, w) largest step of each pixel to its right and lower neighbours."""
    down, right = steps
    out = np.zeros(right.shape[:1] + down.shape[1:])
    out[:, :-1] = right
    out[:-1] = np.maximum(out[:-1], down)
    return out


def _near_steps(jump: np.ndarray) -> np.ndarray:
    """Pixels on either side of a colour step over `EDGE_STEP` (anti-aliased edges, outlines)."""
    step = jump > EDGE_STEP
    near = step.copy()
    near[:, 1:] |= step[:, :-1]
    near[1:] |= step[:-1]
    return near


def _region_fit(mask: np.ndarray, colours: np.ndarray, max_stops: int, jump: np.ndarray,
                force: bool = False, gain_per_byte: float = 0.0) -> Fit:
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not len(rows):
        return Fit(None, 0.0, 0.0)
    y0, x0 = max(int(rows[0]) - 2, 0), max(int(cols[0]) - 2, 0)  # the mask's box and 2 px around it
    box = slice(y0, int(rows[-1]) + 3), slice(x0, int(cols[-1]) + 3)
    off_border = _off_canvas_border(colours.shape[:2], box)
    mask, colours, jump = mask[box], colours[box], jump[box]
    inner = interior(mask)
    core = jump[interior(inner) & off_border]  # 2 px in: anti-aliased borders can be 2 px wide
    if len(core) and (core > EDGE_STEP).mean() > EDGE_SHARE:  # an edge the trace left inside
        return Fit(None, 0.0, 0.0)
    # merged bands may be too thin to have an interior: their pixels off steps in the input instead
    xy, values = _sampled_pixels(mask & ~_near_steps(jump) if force else inner, y0, x0, colours)
    ramps = bool(len(core)) and float((core > RAMP_STEP).mean()) >= RAMP_SHARE
    return fit_region(xy, values, max_stops, force, gain_per_byte, place=ramps)


def _off_canvas_border(size: tuple[int, int], box: tuple[slice, slice]) -> np.ndarray:
    """Within `box` (clipped to an image of `size` (h, w)): the pixels at least 2 px from the canvas's
    edge. `interior` counts beyond the canvas as inside, so a disc touching the canvas would keep its
    anti-aliased rim there as core, and those steps (to transparency) would read as an edge the trace
    left inside it (twemoji's clock faces with a shaded rim kept their flat fill)."""
    height, width = size
    rows = np.arange(box[0].start, min(box[0].stop, height))
    cols = np.arange(box[1].start, min(box[1].stop, width))
    return ((rows >= 2) & (rows < height - 2))[:, None] & ((cols >= 2) & (cols < width - 2))[None, :]


def _sampled_pixels(mask: np.ndarray, y0: int, x0: int, colours: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Up to SAMPLE pixels of `mask`, a crop whose first pixel is (y0, x0) of the image (a fixed subset:
    fits cost O(pixels) per centre tried): their centres (x, y, input px) and their `colours` (the
    crop's)."""
    ys, xs = np.nonzero(mask)
    if len(ys) > SAMPLE:
        pick = np.random.default_rng(0).choice(len(ys), SAMPLE, replace=False)
        ys, xs = ys[pick], xs[pick]
    return np.column_stack([xs + x0 + 0.5, ys + y0 + 0.5]), colours[ys, xs]


def fit_gradients(drawing: Drawing, rgba: np.ndarray, max_stops: int, merge_tolerance: float) -> Drawing:
    """`drawing` with gradient paints where they beat flat fills and bands of one gradient merged (see
    the module docstring); `max_stops` and `merge_tolerance` are the parameters `gradient_stops` and
    `gradient_merge` (shared/params.py holds their defaults). Traces kept as markup pass unchanged."""
    if not drawing.is_polygonal or not drawing.fills:
        return drawing
    colours = premultiplied(rgba, np.float64)
    steps = neighbour_steps(colours)
    jump = jumps(steps)
    pixels = _Pixels(colours, jump, steps)
    top, under, coverage = rasterise(drawing)
    primitive = {int(drawing.ring_shape[r]) for r, o in drawing.fitted.items() if isinstance(o, Primitive)}
    group = np.arange(len(drawing.fills))  # shape -> the shape whose region it joined
    region = Masks(drawing.height, drawing.width)  # root shape -> the pixels its group shows
    fits: dict[int, Fit] = {}
    dropped: set[int] = set()
    joined: dict[int, int] = {}  # shape -> root whose compound path takes its rings
    for shape in range(len(drawing.fills)):
        box = coverage.box(shape)
        if box is None:
            region[shape] = np.zeros((0, 0), bool)
            continue
        own = top[box] == shape
        region.put(shape, own, box[0].start, box[1].start)
        if own.sum() < MIN_MERGE_PIXELS:
            continue
        shows = np.zeros(top.shape, bool)
        shows[box] = own
        merged = _try_merge(shape, shows, box, top, under, coverage, group, region, pixels, max_stops,
                            merge_tolerance, primitive | dropped, drawing)
        if merged is None:
            continue
        root, fit, drop = merged
        group[group == shape] = root
        region[root] = region[root] | shows
        del region[shape]
        fits[root] = fit
        if drop:
            dropped.add(shape)
        else:
            joined[shape] = root
            coverage[root] = coverage[root] | coverage[shape]
    paints: dict[int, Gradient] = {}
    for root in region:
        if root not in fits and region.count(root) < MIN_PIXELS:
            continue
        # a region's own gradient must be worth its markup: the image's SSIM per byte, `MIN_GAIN_PER_BYTE`
        # (merged bands pay for theirs with the paths they remove)
        per_byte = MIN_GAIN_PER_BYTE * drawing.width * drawing.height / max(region.count(root), 1)
        fit = fits.get(root) or _region_fit(region[root], colours, max_stops, jump, gain_per_byte=per_byte)
        if fit.paint is not None:
            paints[root] = fit.paint
    if paints:
        paints = share_paints(paints, _samples(region, colours), merge_tolerance, max_stops)
    return regroup(drawing, paints, dropped, joined)


@dataclass(frozen=True)
class _Pixels:
    """The input as the merge tests read it: premultiplied colours, `jumps` and `neighbour_steps`."""

    colours: np.ndarray
    jump: np.ndarray
    steps: tuple[np.ndarray, np.ndarray]


def _try_merge(shape: int, shows: np.ndarray, box: tuple[slice, slice], top: np.ndarray,
               under: np.ndarray, coverage: Masks, group: np.ndarray, region: Masks,
               pixels: _Pixels, max_stops: int, tolerance: float, no_join: set[int],
               drawing: Drawing) -> tuple[int, Fit, bool] | None:
    """(root, fit of the union, drop?) for the earlier group `shape` merges into, or None. `box`:
    a box holding `shows`. Shapes in `no_join` (primitives, dropped bands) take no rings into a
    compound path."""
    rows, cols = (slice(max(side.start - 1, 0), side.stop + 1) for side in box)
    near = rows, cols
    inside = shows[near]
    ring = np.zeros_like(inside)  # the pixels just outside the shape's region
    ring[1:] |= inside[:-1]
    ring[:-1] |= inside[1:]
    ring[:, 1:] |= inside[:, :-1]
    ring[:, :-1] |= inside[:, 1:]
    ring &= ~inside
    below = under[near][inside]
    neighbours = np.concatenate([top[near][ring], below])  # beside it, or under it (a band stacked on one)
    neighbours = neighbours[(neighbours >= 0) & (neighbours < shape)]
    if not len(neighbours):
        return None
    roots, counts = np.unique(group[neighbours], return_counts=True)
    for root in roots[np.argsort(-counts)][:2].tolist():
        if root not in region:
            continue
        members = np.flatnonzero(group == root)
        between = (below > root) & ~np.isin(below, members)  # a shape painted in between shows under it
        if between.sum() > OUTSIDE_TOLERANCE * len(below):
            continue
        root_region = region[root]
        if _step_across(shows, root_region, pixels.steps, near) > EDGE_STEP:  # an edge, not a band
            continue
        shape_cover, root_cover = coverage[shape], coverage[root]
        drop = (shape_cover & ~root_cover).sum() <= OUTSIDE_TOLERANCE * shape_cover.sum()
        if not drop and (shape in no_join or root in no_join):  # neither dropped nor joined: no fit needed
            continue
        union = root_region | shows
        fit = _region_fit(union, pixels.colours, max_stops, pixels.jump, force=True)
        if fit.paint is None or fit.rms > tolerance:
            continue
        # the band's own pixels must fit within the tolerance too (a small band is diluted in the
        # union's RMS) and no worse than by the band's own flat colour: a flat region beside a gradient
        # keeps its edge; where even that flat colour misses the tolerance, clearly better than it
        # (`EDGE_BAND_FIT`)
        core = interior(interior(shows))
        own = core if core.sum() >= MIN_PIXELS else shows
        colours = pixels.colours
        flat_rms = float(np.sqrt(((colours[own] - colours[own].mean(axis=0)) ** 2).mean()))
        if _rms_on(fit.paint, own, colours) > band_fit_limit(flat_rms, tolerance):
            continue
        if drop:
            return root, fit, True
        rings = drawing.shape_rings()
        compound = winding([drawing.ring(r) for m in [*members, shape] for r in rings[m]
                            if m not in no_join], drawing.height, drawing.width) != 0
        if (compound != (root_cover | shape_cover)).sum() <= OUTSIDE_TOLERANCE * union.sum():
            return root, fit, False
    return None


def band_fit_limit(flat_rms: float, tolerance: float) -> float:
    """The RMS (premultiplied [0, 1]) a merged gradient may leave on a band's own pixels, whose own flat
    colour leaves `flat_rms`: no more than that and the merge tolerance, or `EDGE_BAND_FIT` of it where
    that is more than the tolerance (a band of mostly edge pixels, which no flat colour fits)."""
    return max(min(tolerance, max(flat_rms, 1.0 / 255)), flat_rms * EDGE_BAND_FIT)


def _samples(region: Masks, colours: np.ndarray) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per region of at least `MIN_MERGE_PIXELS` interior pixels, largest first: up to `SAMPLE` of its
    interior pixel centres and their colours."""
    sizes = sorted(((region.count(root), root) for root in region), reverse=True)
    out = {}
    for size, root in sizes:
        crop = region.crop(root)
        if size < MIN_MERGE_PIXELS or crop is None:
            continue
        y0, x0, part = crop
        inner = interior(part)
        if inner.sum() < MIN_MERGE_PIXELS:
            continue
        out[root] = _sampled_pixels(inner, y0, x0, colours[y0 : y0 + part.shape[0], x0 : x0 + part.shape[1]])
    return out


def _step_across(first: np.ndarray, second: np.ndarray, steps: tuple[np.ndarray, np.ndarray],
                 near: tuple[slice, slice]) -> float:
    """The 90th percentile of the steps (`neighbour_steps`) between 4-neighbour pixels, one in each
    mask (0 where they do not touch); looked at within `near`, a box holding `first` grown by 1 px."""
    y0, y1, x0, x1 = near[0].start, near[0].stop, near[1].start, near[1].stop
    a, b = first[y0:y1, x0:x1], second[y0:y1, x0:x1]
    down, right = steps[0][y0:y1 - 1, x0:x1], steps[1][y0:y1, x0:x1 - 1]
    found = np.concatenate([down[(a[1:] & b[:-1]) | (a[:-1] & b[1:])],
                            right[(a[:, 1:] & b[:, :-1]) | (a[:, :-1] & b[:, 1:])]])
    return float(np.percentile(found, 90)) if len(found) else 0.0
