"""Damage estimate and clean-up: aim the trace at the logo, not at JPEG ringing, noise or blur.

A clean logo raster is mostly exactly flat colour (the inside of its shapes) plus anti-aliased edges. A
JPEG, a noisy scan or a photograph is not: its flat areas vary by a few grey levels, and its colours
spread into hundreds of near-duplicates. `estimate` measures that per image (noise sigma away from edges,
8 px blockiness, the share of exactly flat pixels, a palette of robust colour clusters in Lab, plus the
colours of thin strokes that have no calm pixels, less the pale bands JPEG's chroma bleeds:
shared/palette.py); `clean_up` replaces a damaged image by a cleaned estimate of the logo (each pixel
snapped to its palette colour, specks below a noise-scaled area removed by a majority filter, edges
re-softened so sub-pixel refinement still finds them; on a JPEG of 160 px or more, each pixel next to
another colour becomes the nearest mix of the two in quarters: `mix_edges`; on an upscaled small input or
a noisy one, its mix of two palette colours steepened: `steepened_mixes`), upscaling small inputs first. A
damaged palette's near-black is exact black, and Tier 1 sets the fills it traced near a colour of the
cleaned image to that colour (`snap_fills`, shared/palette.py): SSIM is steep at black, where JPEG and the
engine's averaging left fills at 1-7 grey levels. A shaded JPEG (gradients) is only smoothed, not snapped
(shared/shading.py: `shaded`, also measured off the ground so a wide white ground does not hide a gradient
logo). Tiers then trace and measure against the cleaned estimate, so no tier adds shapes to reproduce
noise. A clean image is never cleaned; a small one (under UPSCALE_BELOW px) with anti-aliased edges is
only upscaled, so the trace has room for its curves (training favicons: median ssim_clean 0.915 -> 0.948),
pixel art is left as it is. Images with no small palette (photographs, noise) are posterised to
`PHOTO_COLORS` colours at `PHOTO_SIDE` px, which bounds the cost of tracing them (README, "Real-world
inputs").
"""

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
from PIL import Image
from scipy import ndimage

from shared.edge_mixes import mix_edges, steepened_mixes, steepened_shading
from shared.features import blockiness, noise_sigma, over_white_grey
from shared.halos import drop_halos, drop_line_mixes
from shared.palette import (
    VISIBLE_ALPHA,
    exact_black,
    median_colours,
    merged_unimodal,
    robust_palette,
    snap_labels,
    stroke_colours,
)
from shared.shading import calm_pixels, shaded, small_shaded
from shared.thin_lines import with_thin_lines

NOISE_DAMAGED = 1.0  # grey levels: noise sigma away from edges from this on is damage (clean dev logos
# <= 0.41, blurred + noisy scans >= 1.5 at their 5th percentile)
TEXTURE_LAPLACIAN = 25.0  # grey levels: median |Laplacian| above this is noise or texture (random noise
# 159-258 at its own resolution, 30-90 downscaled 2-4x; clean dev logos <= 1.5, photographs of scenes
# 2-7; a 48 px favicon of fine lines 200, hence MIN_TEXTURE_SIDE)
DETAIL_SIDE = 512  # pixel statistics are measured on a central crop this large, at the input's resolution
MAX_REGIONS = 1500  # more colour regions than this is posterised like noise (damaged training logos
# after the clean-up: at most 185)
MOSAIC_COLORS = 16  # clean images with this many robust colours (dev logos: at most 10) get their regions
# counted: a mosaic of random flat squares is neither noisy nor textured, yet takes 25 s to trace at 512 px
SMALL_TEXTURE_LAPLACIAN = 120.0  # the same for images under UPSCALE_BELOW px (random noise >= 159)
MIN_TEXTURE_SIDE = 64  # smaller images are cheap to trace whatever they hold (upscaled: `upscales_small`)
FINE_LINE_COLOURS = 4  # a textured input under MIN_TEXTURE_SIDE px in at most this many colours is fine line
# art, not noise (simple-icons' gutenberg at 48 px: texture 198-200 in 1-3 colours; noise: 10-24 colours)
PHOTO_COLORS = 8
PHOTO_SIDE = 160
PHOTO_WINDOW = 5  # majority window of posterised photographs (px)
UPSCALE_BELOW = 160  # damaged inputs with a longer side under this are upscaled before the clean-up
UPSCALE_TO = 256
MIN_UPSCALED_SIDE = 16  # below this the tiers trace exact pixel squares (shared/tiers/tier1.py)
SMOOTH_SHARE = 0.05  # anti-aliased (smooth-edged) when this share of visible pixels is a mix of colours
SOFTEN_SIGMA_PX = 0.6  # Gaussian re-softening of the snapped edges (an anti-aliased edge's width)
DAMAGED_EDGE_PX = 2.0  # a damaged small input's edges spread over about this many of its pixels (JPEG
# halves chroma), so their mixes are steepened this much more than a clean one's 1 px anti-aliasing
# (`steepened_mixes`; 216 training small JPEGs, every 2nd, against the clean source: mean 0.93009 at 2,
# 0.92995 at 3, 0.92925 at 4; 1: 0.92941 at 1.5x the bytes)
NOISY_EDGE_PX = 3.0  # a noisy (scanned, blurred) input's edges spread over about this many pixels: its mixes
# are steepened this much (`steepened_mixes`; two halves of the 216 training scans against the clean
# source, Tier 1 mean gain at 2 / 3 / 4: +0.0053 / +0.0041 / +0.0037 and +0.0011 / +0.0032 / +0.0026)


@dataclass(frozen=True)
class DamageEstimate:
    """What an image looks like, measured on its working copy."""

    noise: float  # grey levels, robust sigma away from edges
    blockiness: float  # >= 0, JPEG 8 px grid
    flat_share: float  # [0, 1] visible pixels equal to their 4 neighbours
    texture: float  # grey levels, median |Laplacian| (noise and texture are high)
    palette: np.ndarray  # k x 3 uint8 RGB, the robust colours, most common first
    kind: str  # "clean", "damaged" or "photo"

    @property
    def damaged(self) -> bool:
        return self.kind != "clean"

    def to_dict(self) -> dict[str, float | int | str]:
        return {"kind": self.kind, "noise": round(self.noise, 3), "blockiness": round(self.blockiness, 3),
                "flat_share": round(self.flat_share, 3),
                "texture": round(self.texture, 1), "colors": len(self.palette)}


def flat_share(rgba: np.ndarray) -> float:
    """Share of visible pixels whose RGBA equals that of all four neighbours (0 for tiny images)."""
    if min(rgba.shape[:2]) < 3:
        return 0.0
    core = rgba[1:-1, 1:-1].astype(np.int16)
    same = np.ones(core.shape[:2], bool)
    for neighbour in (rgba[:-2, 1:-1], rgba[2:, 1:-1], rgba[1:-1, :-2], rgba[1:-1, 2:]):
        same &= (core == neighbour).all(axis=-1)
    visible = core[..., 3] >= VISIBLE_ALPHA
    return float(same[visible].mean()) if visible.any() else 1.0


def texture_limit(side: int) -> float:
    """Median |Laplacian| above which an image whose longer side is `side` px is noise or texture: small
    images hold fine detail in few pixels (a 64-128 px JPEG of a detailed icon reaches 26-40)."""
    if side < MIN_TEXTURE_SIDE:
        return float("inf")
    return TEXTURE_LAPLACIAN if side >= UPSCALE_BELOW else SMALL_TEXTURE_LAPLACIAN


def upscales_small(found: DamageEstimate, side: int) -> bool:
    """Whether an input under UPSCALE_BELOW px is upscaled before tracing: where its texture is no noise's,
    or it is fine line art (FINE_LINE_COLOURS). Traced at its own 48 px, the gutenberg logo's 1 px lines
    snapped to grey as a JPEG (0.21 against the clean logo, the raster 0.46) and merged as a favicon (0.50);
    upscaled, they measure 0.67 and 0.72. Noise stays at its own size: upscaled, a 63 px JPEG of random
    pixels took 11 s instead of 1 s."""
    if found.texture <= SMALL_TEXTURE_LAPLACIAN:
        return True
    return side < MIN_TEXTURE_SIDE and len(found.palette) <= FINE_LINE_COLOURS


def detail_crop(rgba: np.ndarray, side: int = DETAIL_SIDE) -> np.ndarray:
    """The central `side` x `side` crop of an image (all of it when smaller), its corner on the 8 px grid
    so JPEG blocks stay aligned: pixel statistics at the input's own resolution for a bounded cost."""
    height, width = rgba.shape[:2]
    top, left = max(0, (height - side) // 2) // 8 * 8, max(0, (width - side) // 2) // 8 * 8
    return rgba[top : top + side, left : left + side]


def estimate(rgba: np.ndarray, source_format: str | None = None, original: np.ndarray | None = None
             ) -> DamageEstimate:
    """Noise, blockiness, flat share, texture and palette of an HxWx4 uint8 image, and its kind. The pixel
    statistics come from a crop of `original` (the full-size input, when `rgba` is its downscaled working
    copy: downscaling hides noise), the palette from `rgba`. A JPEG source (`source_format`, as sniffed
    from the bytes) carries its artefacts whatever the pixels say."""
    detail = detail_crop(rgba if original is None else original)
    grey = over_white_grey(detail)
    edges = np.hypot(ndimage.sobel(grey, 0), ndimage.sobel(grey, 1)) / 4.0 > 48.0 if min(grey.shape) >= 3 \
        else np.zeros(grey.shape, bool)
    texture = float(np.median(np.abs(ndimage.laplace(grey)))) if min(grey.shape) >= 3 else 0.0
    noise = noise_sigma(grey, edges)
    block = blockiness(grey)
    flat = flat_share(detail)
    palette = robust_palette(calm_pixels(rgba), split_light=max(rgba.shape[:2]) >= UPSCALE_BELOW)
    if texture > texture_limit(max(rgba.shape[:2])):
        kind = "photo"  # the typical pixel differs from its neighbours by an edge's step: noise, texture
    elif noise >= NOISE_DAMAGED or source_format == "JPEG":
        kind = "damaged"
    elif len(palette) >= MOSAIC_COLORS and count_regions(snap_labels(rgba, palette), len(palette)) \
            > MAX_REGIONS:
        kind = "photo"  # a mosaic of thousands of flat patches: bounded like noise (no logo has this many)
    else:
        kind = "clean"
    if kind == "damaged" or (kind == "clean" and max(rgba.shape[:2]) < UPSCALE_BELOW):
        palette = stroke_colours(rgba, palette)  # the palettes the clean-up snaps to
        if source_format == "JPEG":  # subsampled chroma bleeds (a scan's blur makes wider, real mixes)
            palette = drop_halos(rgba, palette, full_size=max(rgba.shape[:2]) >= UPSCALE_BELOW)
    if kind == "damaged":
        palette = exact_black(palette)
    return DamageEstimate(noise, block, flat, texture, palette, kind)


def smooth_edges(rgba: np.ndarray, palette: np.ndarray) -> bool:
    """Whether an image's edges are anti-aliased (a downscaled logo) rather than hard pixel steps (pixel
    art): at least SMOOTH_SHARE of its visible pixels are semi-transparent or more than 3 levels away
    from every palette colour."""
    alpha = rgba[..., 3]
    visible = alpha >= 8
    if not visible.any():
        return False
    soft_alpha = (alpha >= 8) & (alpha <= 247)
    if len(palette):
        rgb = rgba[..., :3].astype(np.int16)
        near = np.zeros(alpha.shape, bool)
        for colour in palette.astype(np.int16):
            near |= np.abs(rgb - colour).max(axis=-1) <= 3
        mixed = ~near & visible
    else:
        mixed = visible
    return float((soft_alpha | mixed)[visible].mean()) >= SMOOTH_SHARE


def majority(labels: np.ndarray, n_labels: int, window: int) -> np.ndarray:
    """Each pixel takes the most common label in its `window` x `window` neighbourhood (removes specks
    smaller than about half the window's area and smooths ragged edges)."""
    if window <= 1:
        return labels
    votes = np.stack([ndimage.uniform_filter((labels == k).astype(np.float32), window, mode="nearest")
                      for k in range(n_labels)])
    return np.argmax(votes, axis=0)


def count_regions(labels: np.ndarray, n_labels: int) -> int:
    """Number of 4-connected regions of one label in a label image."""
    return sum(int(ndimage.label(labels == k)[1]) for k in range(n_labels))


def _upscale(rgba: np.ndarray, factor: float) -> np.ndarray:
    h, w = rgba.shape[:2]
    size = (max(1, round(w * factor)), max(1, round(h * factor)))
    image = Image.fromarray(np.ascontiguousarray(rgba), "RGBA")
    return np.asarray(image.resize(size, Image.Resampling.BICUBIC))


def _softened(values: np.ndarray) -> np.ndarray:
    """Each channel of an HxWxC float image blurred by SOFTEN_SIGMA_PX (an anti-aliased edge's width)."""
    channels = [ndimage.gaussian_filter(values[..., c], SOFTEN_SIGMA_PX) for c in range(values.shape[2])]
    return np.stack(channels, axis=-1)


def sharpened(upscaled: np.ndarray, small: np.ndarray, palette: np.ndarray, shading: bool | None = None
              ) -> np.ndarray:
    """A bicubic upscale of a clean small image with its edges made anti-aliased-sharp again: bicubic
    spreads each edge over about `factor` px, where the engine traces colour ramps as bands of shapes
    (a 48 px disc on white: 81 shapes, 9 KB) and refinement finds no edge. Alpha ramps are steepened
    by the factor about half the image's peak alpha and re-softened by SOFTEN_SIGMA_PX; colours are
    made mixes of two palette colours steepened the same way (`steepened_mixes`: the edge between
    pixels, not snapped to the upscale's pixel grid) and re-softened; a shaded image's edges are
    steepened without a palette (`steepened_shading`), its gradients left, and not re-softened: softened,
    its 1-2 px edge ramps were traced as thin bands of edge colour (60 shaded emoji at 128 px, mean
    SSIM at 4x 0.9692 -> 0.9714; README, "Shaded interiors"). `shading`: `small_shaded`, which the caller
    may have decided.
    Training favicons (30, Tier 1): median SSIM against the clean logo 0.9647 -> 0.9715, better than the
    raster 87 -> 93 %, worst paired change -0.0037. The snap was kept only where, box-downscaled back,
    it scored at most 0.01 below the bicubic colours against the small image (meant for colours the
    palette lacks); that gate measured against a favicon's own resampling overshoot (a #ED0000 logo's
    edges at up to #FF0000) and kept 58 of 226 favicons blurry, traced as bands: without it, 108
    training favicons (every 2nd) 0.96514 -> 0.96775 mean against the clean logo (17 up, 1 down by more
    than 0.002), bytes -24 %; README, "Steepened edges"."""
    factor = upscaled.shape[1] / small.shape[1]
    peak = float(small[..., 3].max())  # a faded logo's ramps run from 0 to its peak, not to 255
    alpha = (upscaled[..., 3].astype(np.float32) - peak / 2) * factor + peak / 2
    alpha = _softened(np.clip(alpha, 0, peak)[..., None])[..., 0]
    alpha_u8 = np.clip(np.round(alpha), 0, 255).astype(np.uint8)
    rgb = upscaled[..., :3]
    if len(palette):
        shading = small_shaded(small, palette) if shading is None else shading
        mixes = steepened_shading(upscaled, factor) if shading else steepened_mixes(upscaled, palette, factor)
        rgb = np.clip(np.round(mixes if shading else _softened(mixes)), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.dstack([rgb, alpha_u8]))


def sharp_edges(rgba: np.ndarray, found: DamageEstimate) -> bool:
    """Whether `clean_up` keeps a damaged image's edges as mixes of two palette colours (`mix_edges`: a JPEG
    of UPSCALE_BELOW px or more, whose edges are 1 px wide) rather than re-softening them (noise, upscaled
    small inputs). Tier 1 traces only the former again with exact colours where two of them are close
    (shared/tiers/tier1_retries.py, `close_colours`): on softened edges exact colours trace each level as
    shapes."""
    return found.kind == "damaged" and found.noise < NOISE_DAMAGED and max(rgba.shape[:2]) >= UPSCALE_BELOW


def snap_palette(rgba: np.ndarray, found: DamageEstimate, calm: np.ndarray | None = None) -> np.ndarray:
    """The colours a damaged image is snapped to: its palette's colours as the medians of their calm
    pixels (shared/palette.py, `median_colours`), near-black made exact. `shaded` decides on the
    clusters' means (`found.palette`), as it was measured: medians sit nearer a gradient's pixels.
    `calm`: the image's `calm_pixels` where the caller has them."""
    return exact_black(median_colours(found.palette, calm_pixels(rgba) if calm is None else calm))


class CleanUp(NamedTuple):
    """`clean_up`'s result: the cleaned estimate (the image itself when clean), what was done in words, and
    whether its colours were snapped to a palette (its soft edges are then no shading:
    shared/tiers/tier1_retries.py traces it with exact colours only where two are close)."""

    rgba: np.ndarray
    notes: list[str]
    snapped: bool


def clean_up(rgba: np.ndarray, found: DamageEstimate) -> CleanUp:
    """The cleaned estimate of a damaged image (see `CleanUp`). The result may be larger (small inputs are
    upscaled) or smaller (photographs are downscaled)."""
    if not found.damaged:
        side = max(rgba.shape[:2])
        if MIN_UPSCALED_SIDE <= side < UPSCALE_BELOW and upscales_small(found, side) \
                and smooth_edges(rgba, found.palette):  # noise is not upscaled
            factor = UPSCALE_TO / side
            shading = small_shaded(rgba, found.palette)
            upscaled = sharpened(_upscale(rgba, factor), rgba, found.palette, shading)
            return CleanUp(upscaled, [f"small input upscaled {factor:.1f}x before tracing"],
                           snapped=len(found.palette) > 0 and not shading)
        return CleanUp(rgba, [], snapped=False)
    notes: list[str] = []
    palette = found.palette
    small = max(rgba.shape[:2]) < UPSCALE_BELOW  # small JPEGs of flat logos sit ΔE 1-4 off their palette
    sharp = sharp_edges(rgba, found)  # before a small input is upscaled
    calm = calm_pixels(rgba) if found.kind == "damaged" else None  # ~100 ms at 1024 px: once, for both
    keep_shading = found.kind == "damaged" and found.noise < NOISE_DAMAGED and not small \
        and len(palette) > 0 and shaded(rgba, palette, on_ground=True, calm=calm)
    if found.kind == "damaged" and not keep_shading:  # a shaded image is smoothed, not snapped
        palette = snap_palette(rgba, found, calm)
        if found.noise >= NOISE_DAMAGED:  # one ink that noise split in two (shared/palette.py)
            palette = merged_unimodal(palette, calm)
    factor = 1.0  # the upscale of a small input
    if found.kind == "photo":
        side = max(rgba.shape[:2])
        if side > PHOTO_SIDE:
            rgba = _upscale(rgba, PHOTO_SIDE / side)
        palette = robust_palette(calm_pixels(rgba), max_colors=PHOTO_COLORS)[:PHOTO_COLORS]
        notes.append(f"looks like a photograph or noise, not a logo: posterised to {len(palette)} colours "
                     f"at {rgba.shape[1]}x{rgba.shape[0]} px")
    elif small and upscales_small(found, max(rgba.shape[:2])):
        if found.kind == "damaged":  # its lines are more mix than colour (shared/halos.py)
            palette = drop_line_mixes(rgba, palette)
        factor = UPSCALE_TO / max(rgba.shape[:2])
        notes.append(f"small input upscaled {factor:.1f}x before tracing")
        rgba = _upscale(rgba, factor)
    if len(palette) == 0:
        return CleanUp(rgba, notes, snapped=False)
    if keep_shading:
        smoothed = np.dstack([ndimage.median_filter(rgba[..., :3], size=(3, 3, 1)), rgba[..., 3]])
        notes.append("JPEG artefacts smoothed (shaded colours kept)")
        return CleanUp(np.ascontiguousarray(smoothed), notes, snapped=False)
    filtered = ndimage.median_filter(rgba, size=(3, 3, 1))
    nearest = snap_labels(filtered, palette)
    window = PHOTO_WINDOW if found.kind == "photo" else 3 if found.noise < 3.0 else 5  # specks go
    labels = majority(nearest, len(palette), window)
    if sharp:  # a JPEG's hairlines: the 3 px filters above take them for specks (shared/thin_lines.py)
        labels = with_thin_lines(labels, snap_labels(rgba, palette), len(palette))
    if found.kind != "photo" and count_regions(labels, len(palette)) > MAX_REGIONS:
        return clean_up(rgba, replace(found, kind="photo"))  # too many regions to trace within a budget
    if sharp:  # a JPEG (not upscaled: `small`): sharp edges
        soft = mix_edges(rgba, labels, palette)
    else:  # noise (or an upscaled small input) blurs edges over more than a pixel: re-soften them
        if found.kind == "photo":
            snapped = palette[labels].astype(np.float32)
        else:  # the edges between pixels, not on the (upscale's) pixel grid
            steepen = factor * DAMAGED_EDGE_PX if factor != 1.0 else NOISY_EDGE_PX
            snapped = steepened_mixes(filtered, palette, steepen, labels, nearest)
        soft = _softened(snapped)
    out = np.dstack([np.clip(np.round(soft), 0, 255).astype(np.uint8), rgba[..., 3]])
    what = "noise" if found.noise >= NOISE_DAMAGED else "JPEG artefacts"
    if found.kind != "photo":
        notes.append(f"{what} removed: {len(palette)} colours")
    return CleanUp(np.ascontiguousarray(out), notes, snapped=True)
