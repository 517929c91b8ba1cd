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
    rgba = _rendered(svg, width=width, height=height)
    if rgba.shape[:2] != (height, width):
        raise RenderError(f"renderer returned {rgba.shape[1]}x{rgba.shape[0]}, expected {width}x{height}")
    return rgba


def render_svg_zoomed(svg: str, zoom: float) -> np.ndarray:
    """Render `svg` at its own size times `zoom`, exactly that scale (the pixel size as resvg rounds
    it; `render_svg` fits a size whose aspect ratio may differ a little from the SVG's by a smaller
    scale on one axis)."""
    return _rendered(svg, zoom=zoom)


def _rendered(svg: str, **size: float) -> np.ndarray:
    try:
        png = resvg_py.svg_to_bytes(svg_string=svg, skip_system_fonts=True, **size)
    except (ValueError, RuntimeError) as exc:
        raise RenderError(f"the SVG could not be rendered: {exc}") from exc
    with Image.open(io.BytesIO(bytes(png))) as im:
        return np.asarray(im.convert("RGBA"))
