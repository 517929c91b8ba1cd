"""A heat map of where an SVG differs from the image it was traced from, for people to look at; its
per-pixel difference (`difference`) also tells Tier 1 which small parts a trace dropped
(shared/tiers/tier1_retries.py, `dropped_specks`).

Uses the same rendering and compositing as the quality figures (`shared.render.render_svg` at the
input's size, `shared.quality.composite`): both images are composited over white and over black, and
a pixel's difference is the largest absolute difference of any RGB channel on either background,
as a fraction of full scale in [0, 1] (1.0 = 255 grey levels, 1/255 = one level). So an SVG that
drops or invents transparency shows up as strongly as one with a wrong colour.

The PNG shows that value on a black → red → yellow → white scale (amplified 4x: a difference of a
quarter of full scale, 64 levels, is already white) over a faint grey copy of the input, so shapes
stay recognisable; pixels that differ by less than one grey level show only the faint copy.
Work is done in bands of rows, so a 16-megapixel input needs tens of MB, not a gigabyte.
"""

import io

import numpy as np
from PIL import Image

from shared.quality import composite
from shared.render import render_svg

BAND_ROWS = 256  # rows composited at a time (memory bound; results do not depend on it)
GAIN = 4.0  # colour scale amplification: GAIN * difference >= 1 is white
BACKDROP = 0.15  # brightness of the grey copy of the input under unchanged pixels


def difference(reference: np.ndarray, svg: str) -> np.ndarray:
    """Per-pixel difference (H x W float32, fraction of full scale in [0, 1]) between straight-alpha
    RGBA uint8 `reference` and `svg` rendered at the same size: the largest absolute RGB channel
    difference over a white and over a black background."""
    height, width = reference.shape[:2]
    rendered = render_svg(svg, width, height)
    worst = np.zeros((height, width), np.float32)
    for top in range(0, height, BAND_ROWS):
        rows = slice(top, top + BAND_ROWS)
        for background in (255.0, 0.0):
            delta = np.abs(composite(reference[rows], background) - composite(rendered[rows], background))
            np.maximum(worst[rows], delta.max(axis=-1), out=worst[rows])
    return worst / np.float32(255.0)


def heat_colours(diff: np.ndarray) -> np.ndarray:
    """Map differences in [0, 1] to RGB uint8 on black → red → yellow → white (`GAIN` x amplified)."""
    t = np.clip(diff * np.float32(GAIN), 0.0, 1.0)
    red = np.clip(t * 3.0, 0.0, 1.0)
    green = np.clip(t * 3.0 - 1.0, 0.0, 1.0)
    blue = np.clip(t * 3.0 - 2.0, 0.0, 1.0)
    return np.rint(np.stack([red, green, blue], axis=-1) * 255).astype(np.uint8)


def heat_map(reference: np.ndarray, svg: str) -> np.ndarray:
    """The heat map as an H x W x 3 uint8 image: colours where a pixel differs by at least one grey
    level, a faint grey copy of the input (composited over white) elsewhere."""
    diff = difference(reference, svg)
    shown = np.empty((*diff.shape, 3), np.uint8)
    for top in range(0, diff.shape[0], BAND_ROWS):
        rows = slice(top, top + BAND_ROWS)
        grey = composite(reference[rows], 255.0).mean(axis=-1, keepdims=True) * np.float32(BACKDROP)
        backdrop = np.clip(np.rint(grey), 0, 255).astype(np.uint8)
        changed = diff[rows, :, None] >= np.float32(1.0 / 255.0) - np.float32(1e-6)
        shown[rows] = np.where(changed, heat_colours(diff[rows]), backdrop)
    return shown


def heat_map_png(reference: np.ndarray, svg: str) -> bytes:
    """The heat map as PNG bytes, the input's size (RGB)."""
    buffer = io.BytesIO()
    Image.fromarray(heat_map(reference, svg), "RGB").save(buffer, "PNG")
    return buffer.getvalue()
