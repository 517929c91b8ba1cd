"""Render SVG markup to pixels with resvg, the one renderer behind every quality figure."""

import io

import numpy as np
import resvg_py
from PIL import Image

from shared.errors import SvgaiError


class RenderError(SvgaiError):
    """resvg could not parse or render the SVG."""


def render_svg(svg: str, width: int, height: int) -> np.ndarray:
    """Render `svg` at exactly `width` x `height` pixels.

    Returns an HxWx4 uint8 array with straight (non-premultiplied) alpha; transparent where the SVG
    paints nothing. System fonts are not loaded: traced SVGs contain no text, and loading them costs
    tens of milliseconds per call.
    """
    try:
        png = resvg_py.svg_to_bytes(svg_string=svg, width=width, height=height, skip_system_fonts=True)
    except (ValueError, RuntimeError) as exc:
        raise RenderError(f"the SVG could not be rendered: {exc}") from exc
    with Image.open(io.BytesIO(bytes(png))) as im:
        rgba = np.asarray(im.convert("RGBA"))
    if rgba.shape[:2] != (height, width):
        raise RenderError(f"renderer returned {rgba.shape[1]}x{rgba.shape[0]}, expected {width}x{height}")
    return rgba
