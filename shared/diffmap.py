"""A heat map of where an SVG differs from the image it was traced from, for people to look at.

Uses the same rendering and compositing as the quality figures (`shared.quality`): both images are
composited over white and over black, and a pixel's difference is the largest absolute difference of
any RGB channel on either background, in [0, 1] (1 = 255 grey levels). The map shows that value on a
black → red → yellow → white scale, over a faint grey copy of the input so shapes stay recognisable.
"""

import io

import numpy as np
from PIL import Image

from shared.quality import composite
from shared.render import render_svg


def difference(reference: np.ndarray, svg: str) -> np.ndarray:
    """Per-pixel difference in [0, 1] (H x W float32) between RGBA `reference` and the rendered `svg`."""
    height, width = reference.shape[:2]
    rendered = render_svg(svg, width, height)
    worst = np.zeros((height, width), np.float32)
    for background in (255.0, 0.0):
        delta = np.abs(composite(reference, background) - composite(rendered, background)).max(axis=-1)
        worst = np.maximum(worst, delta)
    return worst / np.float32(255.0)


def heat_colours(diff: np.ndarray) -> np.ndarray:
    """Map [0, 1] to RGB uint8 on black → red → yellow → white (differences are amplified 4x, so a
    quarter of full scale is already bright)."""
    t = np.clip(diff * 4.0, 0.0, 1.0)
    red = np.clip(t * 3.0, 0.0, 1.0)
    green = np.clip(t * 3.0 - 1.0, 0.0, 1.0)
    blue = np.clip(t * 3.0 - 2.0, 0.0, 1.0)
    return (np.stack([red, green, blue], axis=-1) * 255).astype(np.uint8)


def heat_map_png(reference: np.ndarray, svg: str) -> bytes:
    """The difference heat map as PNG bytes, the input's size."""
    diff = difference(reference, svg)
    heat = heat_colours(diff).astype(np.float32)
    grey = composite(reference, 255.0).mean(axis=-1, keepdims=True)
    backdrop = 0.15 * grey  # faint input underneath, so the map shows where the differences are
    shown = np.where(diff[..., None] > 1.0 / 255.0, heat, backdrop)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(shown, 0, 255).astype(np.uint8), "RGB").save(buffer, "PNG")
    return buffer.getvalue()
