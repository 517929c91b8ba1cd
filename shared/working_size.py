"""Bounded working resolution: any input size costs at most a fixed-size conversion.

A logo's geometry does not need more than a few hundred pixels a side to be traced, refined and
measured; the time and memory of tracing, refinement and the SSIM grow with pixels (issue 16 measured
Tier 1 at 3 s for 1024², 15 s for 2048², 51-151 s and 2 GB at 4096²). So an input whose longer side
exceeds `WORKING_SIDE` is downscaled once (Pillow's box-then-Lanczos on premultiplied alpha, linear in
the input's pixels), converted at that size, and the SVG keeps the input's dimensions: the root's
width and height attributes become the input's, the viewBox stays in working units, so the drawing
scales exactly (shared/svg.py, `with_output_size`). The quality figures are measured at the working
size (stated in the result's notes).
"""

import numpy as np
from PIL import Image

WORKING_SIDE = 512
"""Longest side traced, refined and measured (pixels). Chosen by measurement (README, "Real-world
inputs"): 512 keeps Tier 1 at 2048² under a second on one core; the SVG of a 512 px working copy
renders at 2048 px within 0.01 SSIM of a full-size trace on the dev logos."""

MIN_SHORT_SIDE = 64
"""Shortest side a working copy keeps (pixels, or all of it), within `WORKING_SIDE` squared pixels and
`MAX_LONG_SIDE`: a 4000x100 banner scaled to 512 on its longer side was 512x13, under Tier 1's 16 px
floor for shapes, and came out as 143 pixel squares; at 2048x51 it is 3 shapes
(tests/test_real_world_inputs.py, `banner`). Only inputs longer than 8 times their height (or width)
are affected."""
MAX_LONG_SIDE = 4 * WORKING_SIDE  # the longer side a working copy has at most, whatever its shorter side


def working_shape(width: int, height: int, side: int = WORKING_SIDE) -> tuple[int, int]:
    """(width, height) of the working copy: the input's size if its longer side is at most `side`, else
    scaled down to `side` on the longer side, or less far where that would leave the shorter side under
    `MIN_SHORT_SIDE`, as long as the copy holds at most `side` squared pixels and is at most
    `MAX_LONG_SIDE` long (each side at least 1 px)."""
    longest, shortest = max(width, height), min(width, height)
    if longest <= side:
        return width, height
    factor = max(side / longest, min(1.0, MIN_SHORT_SIDE / shortest))  # at most 1: longest > side
    factor = min(factor, (side * side / (width * height)) ** 0.5, max(MAX_LONG_SIDE, side) / longest)
    return max(1, round(width * factor)), max(1, round(height * factor))


def bounded(rgba: np.ndarray, side: int = WORKING_SIDE) -> np.ndarray:
    """The working copy of an HxWx4 uint8 straight-alpha image (the image itself when small enough).

    Pillow premultiplies RGBA for resampling, so transparent pixels' colours never bleed into edges;
    `reducing_gap` box-reduces first, so the cost is linear in the input's pixels."""
    height, width = rgba.shape[:2]
    size = working_shape(width, height, side)
    if size == (width, height):
        return rgba
    image = Image.fromarray(np.ascontiguousarray(rgba), "RGBA")
    return np.ascontiguousarray(np.asarray(image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)))
