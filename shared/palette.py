"""A damaged image's palette: robust colour clusters in Lab (`robust_palette`; big near-neutral ones
apart in lightness stay apart: `_same_colour`), the colours of thin
strokes that have no calm pixels (`stroke_colours`; shared/halos.py drops the bands a JPEG's chroma
bleeds and rings around them), colours as their pixels' medians (`median_colours`), near-black made exact
(`exact_black`); and, after tracing, flat fills set to the cleaned image's main colours (`snap_fills`),
and any image's main colours that the trace does not draw where they are (`lost_colours`:
shared/tiers/tier1_retries.py traces those again). shared/damage.py estimates the damage and
cleans the image up with it.
"""

import re
import warnings

import numpy as np
from PIL import Image
from scipy import ndimage
from scipy.cluster.vq import kmeans2
from skimage.color import lab2rgb, rgb2lab

from shared.quality import composite
from shared.render import render_svg_zoomed
from shared.svg import svg_size, with_output_size

VISIBLE_ALPHA = 128
MERGE_DELTA_E = 12.0  # Lab distance under which two colour clusters are one logo colour
MIN_COLOR_SHARE = 0.003  # a palette colour holds at least this share of the calm visible pixels (training
# damaged copies: 1 % -> 0.3 % lifted small JPEGs 0.924 -> 0.948 and better-than-raster 85 -> 88 %)
LIGHT_SPLIT_L = 4.0  # two near-neutral clusters (chroma under NEUTRAL_CHROMA) this far apart in lightness
NEUTRAL_CHROMA = 6.0  # are two colours even within MERGE_DELTA_E: a #EEEEEE plate on a white ground (ΔE 5.7)
# is a logo's shape, and JPEG keeps lightness far better than its subsampled chroma; where the smaller
LIGHT_SPLIT_SHARE = 0.05  # holds this share of the calm pixels (a small icon's anti-aliasing greys do not).
# Images of 160 px or more only (shared/damage.py): on small JPEGs it lost (a 64 px flag 0.972 -> 0.948)
TWO_PEAKS_DIP = 0.2  # two clusters within MERGE_DELTA_E stay two colours, on images of 160 px or more,
TWO_PEAKS_DELTA_E = 6.5  # where at least this far apart, LIGHT_SPLIT_L apart in lightness (JPEG's chroma
# is subsampled and noisy), and their pixels, projected onto the line between them, leave a gap there (the
# middle at most this share of the thinner end's peak: `_two_peaks`): two flat inks, not a gradient's bands
# (spread evenly along the line) nor one ink's JPEG noise split by k-means. flat-color-icons' safe as a JPEG
# (#78909C frame, #90A4AE door, ΔE 8) 0.954 -> 0.992 against the clean icon; closer pairs lost (a
# generated gradient's JPEG -0.015, flag scans -0.010 and -0.026 at ΔE 5.3-6.1)
SAMPLE_PIXELS = 20_000
STROKE_DELTA_E = 20.0  # Lab distance from every palette colour and every mix of two beyond which a pixel
# is unexplained by the palette: thin strokes have no calm pixels, so their colour is found among these
# (training split, Tier 1, 864 damaged copies: better than the raster 91.2 -> 92.5 %, median ssim_clean
# 0.9643 -> 0.9658; 13 copies, 11 of thin text, had traced to an empty SVG)
STROKE_MIN_SHARE = 0.003  # unexplained pixels in groups of at least STROKE_MIN_AREA px, as a share of the
# visible pixels, from which a stroke's colour is added (as MIN_COLOR_SHARE for calm colours)
STROKE_MIN_AREA = 12  # px, 8-connected: smaller groups of unexplained pixels are JPEG specks, not strokes
STROKE_QUANTILE = 0.75  # the stroke colour is the median of the unexplained pixels furthest from the
# palette, from this quantile of their distance up (a thin stroke's centre, least mixed)
MAX_STROKE_COLORS = 3
EXACT_LEVELS = 6  # a damaged image's palette colour with every channel this close to 0 is pure black: JPEG
# clips the ringing of a flat black at 0, so its cluster's mean sits 1-3 levels above, and SSIM's
# luminance term is steep there ((2ab + C1) / (a^2 + b^2 + C1), C1 = 6.5: black drawn at 1 scores 0.87,
# at 5 0.21 in flat areas). Near white it is flat, and exact white changed the engine's layering
MEDIAN_MIN_PIXELS = 64  # a damaged image's palette colour with this many calm pixels nearest it takes their
# per-channel median (`median_colours`): JPEG clips ringing at 0 and 255, so a cluster's mean sits off a
# channel at 0 (#0038B8 stripes found as #023AB7, 0.62 of SSIM's luminance term on that channel in flat
# areas), and outliers pull it elsewhere. Training split, 240 JPEG / small JPEG / scan copies, Tier 1:
# median ssim_clean 0.9688 -> 0.9724 (JPEG 0.9803 -> 0.9821), 72 copies up and 17 down by over 0.002
# (the worst -0.054, a 48 px JPEG's noise colours); only channels near 0 moved: 0.9699
FILL_SNAP_LEVELS = 8  # a traced flat fill this close (every channel) to a main colour of the cleaned image
# is that colour: the engine averages a region's pixels, edge mixes included (black traced as #050505)
FILL_SNAP_SHARE = 0.01  # main colours: exact RGB values holding this share of the visible pixels
LOST_SHARE = 0.03  # a main colour holding this share of the visible pixels ...
LOST_LEVELS = 12  # ... drawn more than this off (any channel) on most of its calm pixels was lost in the
# trace (`lost_colours`); 24 against the fills alone let a white ring drawn #F4F2ED pass (mint-light)
LOST_SAMPLE_SIDE = 64  # ... looked for in blocks of max(side) / this px (~6 ms a trace at 256 px)
LOST_REGION_BLOCKS = 4  # ... or drawn off on most of one of its regions (connected calm blocks) this big
UNIMODAL_DELTA_E = 25.0  # two palette colours of a noisy image closer than this (Lab) ...
UNIMODAL_DIP = 0.5  # ... with their pixels between them at least this dense (of the thinner end's peak) ...
UNIMODAL_PEAK = 1.3  # ... and a peak this many times as dense as the far ends are one ink (`merged_unimodal`)


def to_lab(colours: np.ndarray) -> np.ndarray:
    """Lab of RGB colours (N x 3, 0-255), float64 N x 3."""
    return rgb2lab(colours.reshape(1, -1, 3) / 255.0).reshape(-1, 3)


def robust_palette(pixels: np.ndarray, max_colors: int = 24, seed: int = 0, split_light: bool = False
                   ) -> np.ndarray:
    """Robust colours of RGB pixels (N x 3 uint8): k-means in Lab from a median-cut start, clusters closer
    than MERGE_DELTA_E merged (with `split_light`, not two big near-neutral ones apart in lightness:
    `_same_colour`), clusters under MIN_COLOR_SHARE dropped. Most common first."""
    if len(pixels) == 0:
        return np.zeros((0, 3), np.uint8)
    rng = np.random.default_rng(seed)
    if len(pixels) > SAMPLE_PIXELS:
        pixels = pixels[rng.choice(len(pixels), SAMPLE_PIXELS, replace=False)]
    strip = Image.fromarray(np.ascontiguousarray(pixels.reshape(1, -1, 3)), "RGB")
    quantized = strip.quantize(max_colors, method=Image.Quantize.MEDIANCUT)
    start = np.asarray(quantized.getpalette()[: 3 * max_colors], np.uint8).reshape(-1, 3)
    lab = to_lab(pixels)
    start_lab = to_lab(start)
    with warnings.catch_warnings():  # an emptied start cluster is expected (median-cut gives duplicates)
        warnings.simplefilter("ignore", UserWarning)
        centres, labels = kmeans2(lab, start_lab, iter=8, minit="matrix", seed=seed)
    counts = np.bincount(labels, minlength=len(centres)).astype(float)
    order = np.argsort(-counts)
    kept: list[np.ndarray] = []
    weights: list[float] = []
    for index in order:  # greedy merge: a cluster near a bigger kept one joins it
        if counts[index] == 0:
            continue
        big = split_light and counts[index] >= LIGHT_SPLIT_SHARE * counts.sum()
        near = [j for j, c in enumerate(kept) if _same_colour(c, centres[index], big)
                and not (split_light and _two_peaks(lab, c, centres[index]))]
        if near:
            weights[near[0]] += counts[index]
        else:
            kept.append(centres[index])
            weights.append(counts[index])
    share = np.array(weights) / counts.sum()
    chosen = np.array(kept)[share >= MIN_COLOR_SHARE]
    rgb = np.clip(np.round(lab2rgb(chosen.reshape(1, -1, 3)).reshape(-1, 3) * 255.0), 0, 255)
    return rgb.astype(np.uint8)


def _same_colour(first: np.ndarray, second: np.ndarray, big: bool) -> bool:
    """Whether two Lab cluster centres are one logo colour: closer than MERGE_DELTA_E, unless both are
    near-neutral, differ in lightness by LIGHT_SPLIT_L or more and the smaller is `big` (see there)."""
    if np.linalg.norm(first - second) >= MERGE_DELTA_E:
        return False
    if not big:
        return True
    neutral = max(np.hypot(first[1], first[2]), np.hypot(second[1], second[2])) < NEUTRAL_CHROMA
    return not (neutral and abs(first[0] - second[0]) >= LIGHT_SPLIT_L)


def _two_peaks(lab: np.ndarray, first: np.ndarray, second: np.ndarray) -> bool:
    """Whether two Lab cluster centres apart in lightness have the Lab pixels (N x 3) near the line between
    them (within half their distance of it) densest at both ends and sparse between (see TWO_PEAKS_DIP)."""
    span = float(np.linalg.norm(second - first))
    if TWO_PEAKS_DIP <= 0 or span < TWO_PEAKS_DELTA_E or abs(second[0] - first[0]) < LIGHT_SPLIT_L:
        return False
    density = _density_along(lab, first, second, within=span / 2)
    ends = min(density[1:3].max(), density[7:9].max())
    return bool(ends > 0 and density[4:6].max() <= TWO_PEAKS_DIP * ends)


def _density_along(lab: np.ndarray, first: np.ndarray, second: np.ndarray, within: float | None = None
                   ) -> np.ndarray:
    """How Lab pixels (N x 3; with `within`, those that near the line) spread along the line from Lab
    colour `first` (0) to `second` (1): counts in 10 bins from -0.25 to 1.25 (bins 1-2 hold the first
    colour, 7-8 the second, 4-5 the middle)."""
    gap = second - first
    along = (lab - first) @ gap / float(gap @ gap)
    if within is not None:
        along = along[np.linalg.norm(lab - first - along[:, None] * gap, axis=1) < within]
    return np.histogram(along, bins=10, range=(-0.25, 1.25))[0]


def _mix_distance(lab: np.ndarray, centres: np.ndarray, beyond: float = 0.0) -> np.ndarray:
    """Lab distance of each pixel (N x 3) to the nearest palette colour or mix of two (segment), from
    one product of the pixels with the colours: |p - ci - t(cj - ci)|^2 = |p - ci|^2 - 2t(p - ci).s +
    t^2|s|^2 with (p - ci).s = p.cj - p.ci - ci.cj + |ci|^2, every pair at once. Mixes are looked at only
    for pixels over `beyond` from every colour (a mix is never further than its nearest end), so
    distances up to `beyond` may be those to the nearest colour alone."""
    pixels, colours = lab.astype(np.float64), centres.astype(np.float64)
    dots = pixels @ colours.T  # (N, K)
    squares = (colours * colours).sum(axis=1)
    to_colour = np.maximum((pixels * pixels).sum(axis=1)[:, None] - 2.0 * dots + squares[None], 0.0)
    best = to_colour.min(axis=1)
    first, second = np.triu_indices(len(colours), 1)
    far = np.flatnonzero(best > beyond * beyond)
    if len(first) and len(far):
        dots, to_colour = dots[far], to_colour[far]
        span = ((colours[second] - colours[first]) ** 2).sum(axis=1)
        cross = (colours[first] * colours[second]).sum(axis=1)
        along = dots[:, second] - dots[:, first] - cross + squares[first]
        t = np.clip(along / np.maximum(span, 1e-6), 0.0, 1.0)
        to_mix = np.maximum(to_colour[:, first] - 2.0 * t * along + t * t * span, 0.0)
        best[far] = np.minimum(best[far], to_mix.min(axis=1))
    return np.sqrt(best)


def stroke_colours(rgba: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """The palette with the colours of thin strokes added: a 1-2 px line has no calm pixels (every pixel is
    an edge), so `robust_palette` misses its colour, and the clean-up snaps it away. Visible pixels more
    than STROKE_DELTA_E from every palette colour and every mix of two, in 8-connected groups of at least
    STROKE_MIN_AREA px that together hold STROKE_MIN_SHARE of the visible pixels, are a colour the
    palette lacks; the colour added is the median of the quarter of them furthest from the palette (a
    thin stroke's centre, least mixed with its background). Repeated for up to MAX_STROKE_COLORS."""
    visible = rgba[..., 3] >= VISIBLE_ALPHA
    n_visible = int(visible.sum())
    if n_visible == 0:
        return palette
    lab = rgb2lab(rgba[..., :3] / 255.0).astype(np.float32)
    ys, xs = np.nonzero(visible)
    pixels = lab[ys, xs]
    for _ in range(MAX_STROKE_COLORS):
        centres = to_lab(palette).astype(np.float32) if len(palette) else np.zeros((0, 3), np.float32)
        distance = _mix_distance(pixels, centres, STROKE_DELTA_E) if len(centres) \
            else np.full(len(pixels), np.inf)
        far = np.zeros(visible.shape, bool)
        far[ys, xs] = distance > STROKE_DELTA_E
        groups, n_groups = ndimage.label(far, structure=np.ones((3, 3), bool))
        if n_groups == 0:
            break
        sizes = np.bincount(groups.ravel(), minlength=n_groups + 1)
        big = sizes >= STROKE_MIN_AREA
        big[0] = False
        keep = big[groups[ys, xs]]
        if keep.sum() < STROKE_MIN_SHARE * n_visible:
            break
        candidates, away = pixels[keep], distance[keep]
        centre = np.median(candidates[away >= np.quantile(away, STROKE_QUANTILE)], axis=0)
        rgb = lab2rgb(centre.reshape(1, 1, 3).astype(np.float64)).reshape(3)
        palette = np.vstack([palette.reshape(-1, 3), np.clip(np.round(rgb * 255.0), 0, 255).astype(np.uint8)])
    return palette


def median_colours(palette: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """The palette (k x 3 uint8) with each colour set to the per-channel median of the pixels (N x 3
    uint8, the calm ones) nearest it in RGB, where it has at least MEDIAN_MIN_PIXELS of them. See
    MEDIAN_MIN_PIXELS for why the median and not the clusters' mean."""
    if len(palette) == 0 or len(pixels) == 0:
        return palette
    values, colours = pixels.astype(np.int32), palette.astype(np.int32)
    squares = (colours * colours).sum(axis=1)
    distances = (values * values).sum(axis=1)[:, None] - 2 * values @ colours.T + squares
    nearest = distances.argmin(axis=1)
    out = palette.copy()
    for index in range(len(palette)):
        own = values[nearest == index]
        if len(own) >= MEDIAN_MIN_PIXELS:
            out[index] = np.round(np.median(own, axis=0)).astype(np.uint8)
    return out


def merged_unimodal(palette: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """The palette (k x 3 uint8) of a noisy image (a scan) with colours merged where their calm `pixels`
    (N x 3 uint8) form one blob. Noise spreads one ink's pixels so wide that `robust_palette`'s k-means
    splits it (a scan of mdi's green toolbox: its one #188038 as two clusters ΔE 13 apart, over
    `MERGE_DELTA_E`), and the clean-up then snaps the noise to the two: specks and ragged edges (0.928
    against the clean icon; 0.974 merged). A pair closer than UNIMODAL_DELTA_E whose pixels (those
    nearest either), projected onto the line between the two colours, show no dip there (the density
    between them at least UNIMODAL_DIP of the thinner end's peak) and a hump (the densest part
    UNIMODAL_PEAK times as dense as the far ends: a gradient's bands spread flat along that line) is one
    colour; the one fewer pixels are nearest goes. Two inks that far apart with less noise leave a gap
    between their blobs."""
    if len(palette) < 2 or len(pixels) == 0:
        return palette
    lab, centres = to_lab(pixels), to_lab(palette)
    nearest = _nearest_colours(lab.astype(np.float32), centres.astype(np.float32))  # as `snap_labels`
    counts = np.bincount(nearest, minlength=len(palette))
    keep = list(range(len(palette)))
    for i in range(len(palette)):
        for j in range(i + 1, len(palette)):
            span = float(np.linalg.norm(centres[j] - centres[i]))
            if i not in keep or j not in keep or not 0 < span < UNIMODAL_DELTA_E:
                continue
            density = _density_along(lab[(nearest == i) | (nearest == j)], centres[i], centres[j])
            hump = density.max() >= UNIMODAL_PEAK * (density[0] + density[-1]) / 2  # a gradient's is flat
            if hump and density[4:6].min() >= UNIMODAL_DIP * min(density[1:4].max(), density[6:9].max()):
                keep.remove(j if counts[j] <= counts[i] else i)
    return palette[keep]


def exact_black(palette: np.ndarray) -> np.ndarray:
    """The palette (k x 3 uint8) with colours within EXACT_LEVELS of black made exactly black."""
    out = palette.copy()
    out[(out <= EXACT_LEVELS).all(axis=-1)] = 0
    return out


_FILL = re.compile(r' fill="#([0-9A-Fa-f]{6})"')


def main_colours(rgba: np.ndarray, share: float = FILL_SNAP_SHARE) -> np.ndarray:
    """Exact RGB values (k x 3 int) holding at least `share` of an image's visible pixels."""
    visible = rgba[rgba[..., 3] >= VISIBLE_ALPHA][:, :3].astype(np.int64)
    if len(visible) == 0:
        return np.zeros((0, 3), np.int64)
    codes, counts = np.unique(visible @ np.array([65536, 256, 1]), return_counts=True)
    kept = codes[counts >= share * len(visible)]
    return np.stack([kept >> 16, (kept >> 8) & 255, kept & 255], axis=-1)


def snap_fills(svg: str, rgba: np.ndarray) -> str:
    """`svg` with each flat fill within FILL_SNAP_LEVELS (every channel) of a main colour of the image it
    was traced from (`main_colours`) set to that colour, the nearest one; gradients are left alone."""
    colours = main_colours(rgba)
    if len(colours) == 0:
        return svg

    def nearest(match: re.Match[str]) -> str:
        value = np.array([int(match.group(1)[i : i + 2], 16) for i in (0, 2, 4)])
        gaps = np.abs(colours - value).max(axis=-1)
        best = int(np.argmin(gaps))
        if gaps[best] > FILL_SNAP_LEVELS:
            return match.group(0)
        return ' fill="#{:02X}{:02X}{:02X}"'.format(*colours[best])

    return _FILL.sub(nearest, svg)


def lost_colours(svg: str, rgba: np.ndarray) -> np.ndarray:
    """Main colours (k x 3 int) of the image `svg` was traced from that hold LOST_SHARE of its visible
    pixels and that `svg` paints more than LOST_LEVELS (any channel) off on most of those pixels: the
    engine's clustering merged their region into a neighbour's (a favicon's #DD2E44 die face traced as
    the #EA596E face beside it; skill-icons' mint-light's white ring drawn in its #F4F2ED plate, which
    6-bit colours do not tell apart, while the #F8F8F8 letters inside took #FFFFFF: a fill of the
    colour is not enough, it must be where the colour is)."""
    step = max(1, max(rgba.shape[:2]) // LOST_SAMPLE_SIDE)  # blocks of step x step px (3 % is large)
    height, width = rgba.shape[0] // step, rgba.shape[1] // step
    blocks = rgba[: height * step, : width * step].reshape(height, step, width, step, 4)
    colours = main_colours(blocks[:, step // 2, :, step // 2], LOST_SHARE)
    if not len(colours):
        return colours
    # calm blocks: one exact colour over the block (and its 8 neighbours where blocks are under 3 px):
    # no edge, no anti-aliasing
    first = blocks[:, 0, :, 0].astype(np.int64)
    codes = first @ np.array([1 << 24, 1 << 16, 1 << 8, 1])
    codes[(blocks.max(axis=(1, 3)) != blocks.min(axis=(1, 3))).any(axis=-1)] = -1
    calm = codes >= 0
    if step < 3:
        padded = np.pad(codes, 1, constant_values=-2)
        for dy in range(3):
            for dx in range(3):
                calm &= padded[dy : dy + height, dx : dx + width] == codes
    if svg_size(svg) != (rgba.shape[1], rgba.shape[0]):  # zoomed from its declared size: the image's
        svg = with_output_size(svg, rgba.shape[1], rgba.shape[0])
    drawn = render_svg_zoomed(svg, 1.0 / step)  # one pixel a block; resvg rounds the size either way
    short = (0, max(height - drawn.shape[0], 0)), (0, max(width - drawn.shape[1], 0)), (0, 0)
    drawn = composite(np.pad(drawn, short)[:height, :width], 255.0)
    off = np.abs(drawn - composite(first.astype(np.uint8), 255.0)).max(axis=-1) > LOST_LEVELS
    lost = []
    for colour in colours:
        where = calm & (first[..., :3] == colour).all(axis=-1) & (first[..., 3] >= VISIBLE_ALPHA)
        lost.append(where.sum() >= 4 and (off[where].mean() > 0.5 or _region_lost(where, off)))
    return colours[np.array(lost, bool)]


def _region_lost(where: np.ndarray, off: np.ndarray) -> bool:
    """Whether one region of `where` (8-connected blocks) of LOST_REGION_BLOCKS or more is drawn off
    (`off`) on most of its blocks: a colour's plate drawn right and a ring of it elsewhere painted over
    (skill-icons' sequelize-dark: the dark gap around its inner cubes, the colour of its plate, traced
    into the cubes' blue at 6-bit colours)."""
    if not LOST_REGION_BLOCKS:
        return False
    labels, count = ndimage.label(where, structure=np.ones((3, 3), bool))
    if count < 2:
        return False
    size = np.bincount(labels.ravel(), minlength=count + 1)[1:]
    offs = np.bincount(labels.ravel(), weights=off.ravel(), minlength=count + 1)[1:]
    return bool(((size >= LOST_REGION_BLOCKS) & (offs > 0.5 * size)).any())


def snap_labels(rgba: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """Index of the nearest palette colour (Lab distance) for every pixel (an image, or N x 3 pixels),
    found one colour at a time: memory in proportion to the pixels, not pixels x palette colours."""
    lab = rgb2lab(rgba[..., :3] / 255.0).astype(np.float32)
    return _nearest_colours(lab, to_lab(palette).astype(np.float32))


def _nearest_colours(lab: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Index of the nearest of `centres` (k x 3 Lab) for every Lab value of `lab` (... x 3)."""
    nearest, least = np.zeros(lab.shape[:-1], np.intp), np.full(lab.shape[:-1], np.inf, np.float32)
    for index, centre in enumerate(centres):
        distance = ((lab - centre) ** 2).sum(axis=-1)
        closer = distance < least  # strict: ties go to the first colour, as argmin's
        nearest[closer], least[closer] = index, distance[closer]
    return nearest
