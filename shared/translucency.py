"""Translucent fills: shapes of partial alpha over transparency (a logo's 40 %-opaque facet) drawn as
shapes with a `fill-opacity`, instead of vanishing under the alpha threshold or turning opaque.

Before tracing (`split_layers`, called by shared/preprocess.py), the pixels of translucent plateaus
(partial alpha, locally flat: not the anti-aliased fringe of an opaque edge) and their fringe
(thresholded at half the plateau's alpha) are taken out of the alpha-thresholded image into a layer of
their own, opaque there in their colour over white (dark colours) or black (light ones) at their alpha,
so that one colour at two opacities, or beside its opaque self, makes clusters of its own.
shared/candidate.py traces that layer apart, seam-free (`cutout`: in a stacked trace a shape is
painted under the shapes it encloses, which would show through translucent ones), and puts its shapes
above the opaque layer's (`geometry.stacked`; the opaque layer has true holes where they lie, since
transparent pixels are background to the engine). After tracing (`translucent_fills`), each of them
gets the flat colour that fits the input's pixels it shows best in premultiplied RGBA: fill = their
mean premultiplied colour over their mean alpha, `fill-opacity` = that alpha.
shared/candidate.py `evaluate` also measures the trace without the layer and keeps the higher (a soft
shadow's slow fade passes as a plateau, and drawn flat it measured lower than left out: vscode-icons
light-warp 0.9669 -> 0.9620). Opaque images and images whose only partial alpha is edge anti-aliasing
have no plateau: nothing changes for them.
"""

from dataclasses import replace

import numpy as np
from scipy import ndimage

from shared.features import LUMA
from shared.geometry import Drawing
from shared.paint import premultiplied
from shared.rasterise import rasterise

PARTIAL = (16, 239)  # alpha levels counted as partial (the census of translucent icons used the same)
FLAT_RANGE = 8  # most the alpha may vary over a 3x3 window for a plateau pixel
MIN_PLATEAU_PX = 24  # smaller plateaus (a flat spot in a soft edge) are thresholded as before ...
MIN_INNER_PX = 9  # ... and so are thinner ones: fewer pixels than this 1 px inside them (an upscaled
# favicon's soft edges have flat ridges 1-3 px wide)
FRINGE_PX = 3.0  # pixels this near a plateau are its fringe (or an opaque neighbour's edge)
OPAQUE_FROM = 0.995  # an opacity this high is written as opaque


def plateau_alpha(rgba: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(per pixel the alpha of the nearest translucent plateau, 0-255 float, where the pixel belongs to a
    plateau or lies within FRINGE_PX of one, else 0; the plateau pixels themselves). Zeros for an opaque
    image and for one whose only partial alpha is edge anti-aliasing."""
    alpha = rgba[..., 3]
    partial = (alpha >= PARTIAL[0]) & (alpha <= PARTIAL[1])
    out = np.zeros(alpha.shape, np.float32)
    none = (out, np.zeros(alpha.shape, bool))
    if partial.sum() < MIN_PLATEAU_PX:
        return none
    a = alpha.astype(np.int16)
    flat = (ndimage.maximum_filter(a, 3) - ndimage.minimum_filter(a, 3)) < FLAT_RANGE
    core = partial & flat
    labels, n = ndimage.label(core, np.ones((3, 3), bool))
    if not n:
        return none
    inner = np.bincount(labels[ndimage.binary_erosion(core, np.ones((3, 3), bool))], minlength=n + 1)
    core &= (np.bincount(labels.ravel())[labels] >= MIN_PLATEAU_PX) & (inner[labels] >= MIN_INNER_PX)
    if not core.any():
        return none
    distance, (iy, ix) = ndimage.distance_transform_edt(~core, return_indices=True)
    near = distance <= FRINGE_PX
    out[near] = alpha[iy[near], ix[near]]
    return out, core


def split_layers(rgba: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray | None]:
    """(the opaque layer: alpha >= `level` opaque, the rest transparent, less the translucent plateaus
    and their fringe; the translucent layer: those, opaque in their colour over white or black at their
    alpha, or None where the image has no plateau). A fringe pixel of alpha a by a plateau of alpha p
    goes to the opaque layer where a >= max(level, (p + 255) / 2) (the edge of an opaque shape beside
    the plateau), else to the translucent one where a >= p / 2, else to neither."""
    out = rgba.copy()
    opaque = rgba[..., 3] >= level
    out[..., 3] = np.where(opaque, 255, 0).astype(np.uint8)
    out[~opaque, :3] = 0
    near, core = plateau_alpha(rgba)
    if not core.any():
        return out, None
    alpha = rgba[..., 3].astype(np.float32)
    mine = near > 0
    to_opaque = mine & ~core & (alpha >= np.maximum(level, 0.5 * (near + 255.0)))
    shown = mine & ~to_opaque & (core | (alpha >= 0.5 * near))
    out[mine & ~to_opaque] = 0
    layer = np.zeros_like(rgba)
    p = (near[shown] / 255.0)[:, None]
    rgb = rgba[shown, :3].astype(np.float32)
    ground = np.where(rgb @ LUMA < 128.0, 255.0, 0.0)[:, None]
    layer[shown, :3] = np.round(rgb * p + ground * (1.0 - p)).astype(np.uint8)
    layer[shown, 3] = 255
    return out, layer


def translucent_fills(drawing: Drawing, rgba: np.ndarray, first: int) -> Drawing:
    """`drawing` (input px) with shapes `first` on (the translucent layer's) given the flat colour and
    opacity that fit the input's pixels they show best: their mean premultiplied colour (over the
    pixels they show less a 1 px border, where that leaves any)."""
    if not drawing.is_polygonal or len(drawing.fills) <= first:
        return drawing
    top, _, coverage = rasterise(drawing)
    colours = premultiplied(rgba, np.float64)
    inner = (top == ndimage.minimum_filter(top, 3)) & (top == ndimage.maximum_filter(top, 3))
    fills, opacity = list(drawing.fills), dict(drawing.opacity)
    for shape in range(first, len(fills)):
        shows = top == shape
        region = shows & inner if (shows & inner).any() else shows if shows.any() else coverage[shape]
        if not region.any():
            continue
        mean = colours[region].mean(axis=0)
        a = round(float(mean[3]), 2)
        if a <= 0:
            continue
        rgb = np.clip(np.round(mean[:3] / mean[3] * 255.0), 0, 255).astype(int)
        fills[shape] = "#{:02X}{:02X}{:02X}".format(*rgb.tolist())
        if a < OPAQUE_FROM:
            opacity[shape] = a
    return replace(drawing, fills=tuple(fills), opacity=opacity)
