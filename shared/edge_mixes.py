"""Edge mixes: where a cleaned-up image's colour edges cross its pixels (shared/damage.py, `clean_up`).

Snapping each pixel of a damaged or upscaled image to its nearest palette colour puts every edge on the
pixel grid. These keep it between pixels instead: an edge pixel becomes a mix of two colours, fitted to
what the pixel holds (anti-aliasing is such a mix; JPEG ringing lies off it), and on an upscale that mix
is steepened by the upscale factor, since bicubic spreads a 1 px edge over that many pixels
(README, "Steepened edges").
"""

import numpy as np

from shared.features import LUMA
from shared.palette import snap_labels

MIX_STEPS = 4  # JPEG edge pixels keep their mix of two palette colours rounded to 1/MIX_STEPS (training
# split, all 216 JPEGs on white, Tier 1: better than the raster 77.8 % -> 84.3 %, median ssim_clean
# 0.9739 -> 0.9758, median bytes 1,852 -> 2,503 for halves against none; unrounded mixes 83.8 %, 0.9743,
# 3,166 B: each level of mix is a colour the tracer draws as shapes. With exact black and snapped fills,
# halves / thirds / quarters / sixths: 85.6 / 88.0 / 88.0 / 88.4 %, 0.9785 / 0.9759 / 0.9791 / 0.9781,
# 2,490 / 2,263 / 2,286 / 2,472 B; quarters keep a black logo's sub-pixel edges, halves lost them)
SHADED_EDGE_LEVELS = 70.0  # an upscaled shaded image's pixel is on an edge where the darkest and lightest
# colours near it lie this far apart (RGB distance; `steepened_shading`; 33 training shaded favicons,
# Tier 1 mean ssim_clean gain at 25 / 40 / 70 / 100 / 150: +0.0050 / +0.0046 / +0.0063 / +0.0057 /
# +0.0039)


def mix_edges(rgba: np.ndarray, labels: np.ndarray, palette: np.ndarray, steps: int = MIX_STEPS
              ) -> np.ndarray:
    """RGB (float, HxWx3) of a snapped label image that keeps where its edges cross pixels: a pixel
    next to another label (8 neighbours) becomes the point nearest to it on the mix of its palette
    colour and that neighbour's (anti-aliasing is such a mix; ringing lies off it), the mix rounded to
    1/`steps`; every other pixel its palette colour. JPEG edges are 1 px wide on a sharp logo, so a
    blur (SOFTEN_SIGMA_PX) moves them to pixel steps where this keeps them to half a pixel."""
    colours = palette.astype(np.float32)
    out = colours[labels]
    padded = np.pad(labels, 1, mode="edge")
    height, width = labels.shape
    directions = ((-1, -1), (-1, 0), (-1, 1), (0, -1), (0, 1), (1, -1), (1, 0), (1, 1))
    edge = np.zeros(labels.shape, bool)
    for dy, dx in directions:
        edge |= padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width] != labels
    ys, xs = np.nonzero(edge)  # only pixels beside another label can change: work on those alone
    rgb = rgba[ys, xs, :3].astype(np.float32)
    label = labels[ys, xs]
    own = colours[label]
    mixed_out = own.copy()
    best = np.full(len(ys), np.inf, np.float32)
    for dy, dx in directions:
        other = padded[1 + dy + ys, 1 + dx + xs]
        differs = other != label
        step = colours[other] - own
        t = np.round(_fraction_along(rgb - own, step) * steps) / steps
        mixed = own + t[..., None] * step
        residual = ((rgb - mixed) ** 2).sum(axis=-1)
        take = differs & (residual < best)
        best[take] = residual[take]
        mixed_out[take] = mixed[take]
    out[ys, xs] = mixed_out
    return out


def steepened_mixes(upscaled: np.ndarray, palette: np.ndarray, factor: float,
                    labels: np.ndarray | None = None, nearest: np.ndarray | None = None) -> np.ndarray:
    """HxWx3 float RGB: each pixel of a bicubic upscale as the mix of its nearest palette colour `a` and
    the palette colour `b` whose segment from `a` passes nearest to it (RGB: anti-aliasing mixes sRGB
    values), the fraction of `b` steepened by `factor` about 1/2: the edge stays where the upscale's
    half-way level runs, between pixels, where snapping each pixel to its nearest colour moved it to the
    pixel grid (a 64 px disc came out as a bumpy polygon, no circle). Unlike `mix_edges` (a JPEG at its
    own size, whose edges are 1 px wide), every palette colour is a candidate `b`, not only the labels
    of the 8 neighbours: tried as a `mix_edges` option, that lost 0.0004 mean ssim_clean on 108
    training small JPEGs (19 up, 29 down) and 108 training favicons (1 up, 7 down). `labels`: the
    caller's (a damaged input's majority-filtered labels); a pixel whose label is not its nearest colour
    is left that label's colour. `nearest`: `snap_labels(upscaled, palette)` where the caller has them."""
    rgb = upscaled[..., :3].astype(np.float32)
    colours = palette.astype(np.float32)
    own = snap_labels(upscaled, palette) if nearest is None else nearest
    labels = own if labels is None else labels
    start = colours[labels]
    offset = rgb - start
    least = np.full(labels.shape, np.inf, np.float32)
    fraction = np.zeros(labels.shape, np.float32)
    other = start.copy()
    for index, colour in enumerate(colours):
        segment = colour - start
        t = _fraction_along(offset, segment)
        residual = ((offset - t[..., None] * segment) ** 2).sum(axis=-1)
        better = (residual < least) & (labels != index)
        least[better], fraction[better], other[better] = residual[better], t[better], colour
    fraction[labels != own] = 0.0
    return start + _steepened(fraction, factor)[..., None] * (other - start)


def steepened_shading(upscaled: np.ndarray, factor: float) -> np.ndarray:
    """HxWx3 float RGB: a shaded image's bicubic upscale (its colours are no small palette) with its
    edges steepened all the same: each pixel whose window of about `factor` px (the width bicubic
    spreads an edge over) holds a darkest and a lightest colour (luma) at least SHADED_EDGE_LEVELS apart
    (RGB distance: an edge, where a gradient changes less) becomes the mix of those two nearest to it,
    steepened by `factor` about one half; other pixels, the gradients, stay as they are."""
    rgb = upscaled[..., :3].astype(np.float32)
    luma = rgb @ LUMA
    reach = int(np.ceil(factor / 2))
    height, width = luma.shape
    padded_luma = np.pad(luma, reach, mode="edge")
    padded_rgb = np.pad(rgb, ((reach, reach), (reach, reach), (0, 0)), mode="edge")
    darkest, lightest = luma.copy(), luma.copy()
    dark, light = rgb.copy(), rgb.copy()
    for dy in range(-reach, reach + 1):
        for dx in range(-reach, reach + 1):
            window = (slice(reach + dy, reach + dy + height), slice(reach + dx, reach + dx + width))
            near_luma, near_rgb = padded_luma[window], padded_rgb[window]
            darker, lighter = near_luma < darkest, near_luma > lightest
            darkest[darker], dark[darker] = near_luma[darker], near_rgb[darker]
            lightest[lighter], light[lighter] = near_luma[lighter], near_rgb[lighter]
    segment = light - dark
    edge = (segment * segment).sum(axis=-1) >= SHADED_EDGE_LEVELS**2
    steep = _steepened(_fraction_along(rgb - dark, segment), factor)
    return np.where(edge[..., None], dark + steep[..., None] * segment, rgb)


def _fraction_along(offset: np.ndarray, segment: np.ndarray) -> np.ndarray:
    """How far along `segment` (... x 3) the point nearest `offset` (from the segment's start) lies,
    0..1: the share of the end colour in the mix of two colours nearest a pixel."""
    length2 = (segment * segment).sum(axis=-1)
    return np.clip((offset * segment).sum(axis=-1) / np.maximum(length2, 1e-6), 0.0, 1.0)


def _steepened(fraction: np.ndarray, factor: float) -> np.ndarray:
    """A mix fraction steepened by `factor` about one half: an edge spread over `factor` px by an upscale
    (or blur) made that much narrower, its half-way level where it was."""
    return np.clip((fraction - 0.5) * factor + 0.5, 0.0, 1.0)
