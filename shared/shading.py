"""Shading: whether an image's colours are a small palette of flat fills or gradients between them
(shared/damage.py snaps the former to its palette and keeps the latter). Measured on calm pixels (away
from strong edges: anti-aliasing and ringing are not colours) as Lab distances to the palette: a JPEG is
shaded where its median calm pixel lies off the palette (`shaded`, also off its ground); a clean small
input also where a share of its interior pixels does (`interior_shaded`: exact flat fills lie on it).
"""

import numpy as np
from scipy import ndimage

from shared.features import over_white_grey
from shared.palette import SAMPLE_PIXELS, VISIBLE_ALPHA, to_lab

SHADED_DELTA_E = 2.5  # JPEGs whose calm pixels sit further (median, Lab) from their palette are shaded
GROUND_SHADED_DELTA_E = 4.0  # ... and so are those whose calm pixels off their ground (the most common
# colour) sit this far (median) from the palette, where they are GROUND_MIN_SHARE of the calm pixels and the
# palette has GROUND_MIN_COLORS: a gradient logo on a white ground over half the image has a median of 0
# (training JPEGs: all 13 gradient logos so missed at 4.1-5.5, flat logos of 4+ colours up to 3.8 but one 4.4;
# Tier 1 on all 216: better than the raster 88.0 -> 89.4 %, median ssim_clean 0.9791 -> 0.9799, median
# bytes 2,286 -> 2,481)
GROUND_MIN_SHARE = 0.05
GROUND_MIN_COLORS = 4
INTERIOR_SHADED_SHARE = 0.15  # a clean small image is shaded where this share of its interior pixels
# (`interior_pixels`) lies over SHADED_DELTA_E from its palette: exact flat fills lie on it, gradients off
# it (128 px favicons: flat dev logos and icons at most 0.14; 60 shaded emoji 0.19-0.53 where the median
# test missed 32 of them)
INTERIOR_MARGIN_PX = 2  # interior pixels lie this far inside calm, opaque areas (anti-aliasing is not fill)


def calm_pixels(rgba: np.ndarray) -> np.ndarray:
    """RGB of visible pixels away from strong edges (anti-aliasing and ringing are not colours)."""
    calm = _calm(rgba) & (rgba[..., 3] >= VISIBLE_ALPHA)
    pixels = rgba[calm][:, :3] if calm.sum() >= 64 else rgba[rgba[..., 3] >= VISIBLE_ALPHA][:, :3]
    return pixels


def _calm(rgba: np.ndarray) -> np.ndarray:
    """HxW bool: pixels away from strong edges (Sobel magnitude of the grey over white under 12 levels)."""
    grey = over_white_grey(rgba)
    return np.hypot(ndimage.sobel(grey, 0), ndimage.sobel(grey, 1)) / 4.0 < 12.0


def interior_pixels(rgba: np.ndarray) -> np.ndarray:
    """RGB of opaque calm pixels INTERIOR_MARGIN_PX or more inside their calm area: a small image's fills
    without its anti-aliased edges, which `calm_pixels` keeps where a shape is a few pixels wide."""
    calm = _calm(rgba) & (rgba[..., 3] == 255)
    return rgba[ndimage.binary_erosion(calm, iterations=INTERIOR_MARGIN_PX)][:, :3]


def shaded(rgba: np.ndarray, palette: np.ndarray, on_ground: bool = False,
           calm: np.ndarray | None = None) -> bool:
    """Whether the calm (away from edges) pixels of an image lie between its palette colours rather than
    on them: median Lab distance to the nearest palette colour over SHADED_DELTA_E (gradients, shading).
    Snapping such an image to its palette would band it. With `on_ground`, also where the calm pixels
    not nearest the first palette colour (the ground) do so by GROUND_SHADED_DELTA_E (see there).
    `calm`: the image's `calm_pixels` where the caller has them."""
    pixels = calm_pixels(rgba) if calm is None else calm
    if len(pixels) == 0:
        return False
    distances = _palette_distances(pixels, palette)
    distance = distances.min(axis=1)
    if float(np.median(distance)) > SHADED_DELTA_E:
        return True
    if not on_ground or len(palette) < GROUND_MIN_COLORS:
        return False
    logo = distance[distances.argmin(axis=1) != 0]
    return len(logo) >= GROUND_MIN_SHARE * len(distance) and float(np.median(logo)) > GROUND_SHADED_DELTA_E


def interior_shaded(rgba: np.ndarray, palette: np.ndarray) -> bool:
    """Whether a clean image's interiors are shaded: INTERIOR_SHADED_SHARE of its `interior_pixels` over
    SHADED_DELTA_E from the palette. `shaded`'s median misses an image whose flat parts outnumber its
    gradients; on a clean image exact fills sit on the palette, so a share tells (not on a JPEG's noise)."""
    pixels = interior_pixels(rgba)
    if len(pixels) < 64 or len(palette) == 0:
        return False
    off = _palette_distances(pixels, palette).min(axis=1) > SHADED_DELTA_E
    return float(off.mean()) >= INTERIOR_SHADED_SHARE


def _palette_distances(pixels: np.ndarray, palette: np.ndarray) -> np.ndarray:
    """N x k Lab distances of (at most SAMPLE_PIXELS, a fixed sample of) RGB pixels to palette colours."""
    if len(pixels) > SAMPLE_PIXELS:
        pixels = pixels[np.random.default_rng(0).choice(len(pixels), SAMPLE_PIXELS, replace=False)]
    return np.sqrt(((to_lab(pixels)[:, None, :] - to_lab(palette)[None]) ** 2).sum(axis=-1))


def small_shaded(small: np.ndarray, palette: np.ndarray) -> bool:
    """Whether a clean small image is shaded (`sharpened` keeps its gradients, not snapping it)."""
    return len(palette) > 0 and (shaded(small, palette) or interior_shaded(small, palette))
