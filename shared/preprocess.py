"""Pixel steps before tracing: denoise, supersampling, colour snapping and alpha handling.
Pure functions on RGBA uint8 arrays."""

import numpy as np
from PIL import Image
from scipy import ndimage

from shared.params import StepParams
from shared.translucency import split_layers


def traced_size(width: int, height: int, scale: float) -> tuple[int, int]:
    """Pixel size the engine traces at for a supersampling factor (at least 1x1)."""
    return max(1, round(width * scale)), max(1, round(height * scale))


def supersample(rgba: np.ndarray, scale: float) -> np.ndarray:
    """Resize by `scale` with bicubic resampling on premultiplied alpha.

    Pillow premultiplies RGBA internally for every filter but NEAREST, so colours of transparent pixels
    never bleed into visible edges.
    """
    if scale == 1.0:
        return rgba
    height, width = rgba.shape[:2]
    size = traced_size(width, height, scale)
    return np.asarray(Image.fromarray(rgba, "RGBA").resize(size, Image.Resampling.BICUBIC))


def threshold_alpha(rgba: np.ndarray, level: int) -> np.ndarray:
    """Alpha >= `level` becomes opaque, the rest fully transparent (RGB zeroed), so the engine sees
    hard shape edges instead of semi-transparent fringes it would trace as shapes of their own.
    `prepare_layers` takes translucent plateaus out first (shared/translucency.py)."""
    out = rgba.copy()
    opaque = rgba[..., 3] >= level
    out[..., 3] = np.where(opaque, 255, 0).astype(np.uint8)
    out[~opaque, :3] = 0
    return out


def median_denoise(rgba: np.ndarray, size: int) -> np.ndarray:
    """Edge-preserving clean-up of JPEG noise: a `size` x `size` median on RGB; alpha untouched."""
    if size <= 1:
        return rgba
    out = rgba.copy()
    out[..., :3] = ndimage.median_filter(rgba[..., :3], size=(size, size, 1))
    return out


def snap_colors(rgba: np.ndarray, n_colors: int, palette_from: np.ndarray | None = None) -> np.ndarray:
    """Map every pixel's RGB to the nearest of `n_colors` dominant colours (Pillow's median-cut
    quantizer, no dithering), so anti-aliasing fringes and noise join the colour regions they border.

    The palette is built from the visible pixels of `palette_from` (default: `rgba` itself), so a
    supersampled image can be snapped to the original's colours. Alpha is untouched.
    """
    source = rgba if palette_from is None else palette_from
    visible = source[source[..., 3] >= 128][:, :3]
    if len(visible) == 0:
        return rgba
    strip = Image.fromarray(np.ascontiguousarray(visible.reshape(1, -1, 3)), "RGB")
    palette = strip.quantize(n_colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    rgb = Image.fromarray(np.ascontiguousarray(rgba[..., :3]), "RGB")
    mapped = np.asarray(rgb.quantize(palette=palette, dither=Image.Dither.NONE).convert("RGB"))
    return np.dstack([mapped, rgba[..., 3]])


def prepare(rgba: np.ndarray, steps: StepParams) -> np.ndarray:
    """Apply the pre-tracing steps in order: denoise, supersample, snap colours, alpha handling."""
    return prepare_layers(rgba, steps, translucent=False)[0]


def prepare_layers(rgba: np.ndarray, steps: StepParams,
                   translucent: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """`prepare`'s image and, with `translucent` and the alpha thresholded, the layer of translucent
    plateaus taken out of it (None where there are none; `translucent=False`: plateaus thresholded with
    the rest, for traces the translucent layer cannot join)."""
    source = median_denoise(rgba, steps.denoise)
    out = supersample(source, steps.scale)
    if steps.snap_colors:
        out = snap_colors(out, steps.snap_colors, palette_from=source)
    layer = None
    if steps.alpha == "threshold" and translucent:
        out, layer = split_layers(out, steps.alpha_threshold)
    elif steps.alpha == "threshold":
        out = threshold_alpha(out, steps.alpha_threshold)
    return np.ascontiguousarray(out), layer
