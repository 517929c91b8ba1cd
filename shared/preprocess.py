"""Pixel steps before tracing: supersampling and alpha handling. Pure functions on RGBA uint8 arrays."""

import numpy as np
from PIL import Image

from shared.params import StepParams


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
    hard shape edges instead of semi-transparent fringes it would trace as shapes of their own."""
    out = rgba.copy()
    opaque = rgba[..., 3] >= level
    out[..., 3] = np.where(opaque, 255, 0).astype(np.uint8)
    out[~opaque, :3] = 0
    return out


def prepare(rgba: np.ndarray, steps: StepParams) -> np.ndarray:
    """Apply the pre-tracing steps in order: supersample, then alpha handling."""
    out = supersample(rgba, steps.scale)
    if steps.alpha == "threshold":
        out = threshold_alpha(out, steps.alpha_threshold)
    return np.ascontiguousarray(out)
