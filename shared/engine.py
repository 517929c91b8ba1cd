"""The tracing engine behind one small interface: RGBA pixels in, SVG markup out.

VTracer 1.0.0a4 was chosen by measurement (DESIGN.md, Engine and parameters; the numbers are in
docs/findings.md, "Engine choice"): the same geometry as 0.6.15 at about a third of the bytes, plus the
seam-free `cutout` mode.
"""

from importlib.metadata import version

import numpy as np
import vtracer

from shared.errors import SvgaiError
from shared.params import EngineParams

KEYING_SHARE = 0.4  # the engine treats fully transparent pixels as background only where its five
# sampled rows (top, quarters, bottom) hold at least this many of them per pixel of width
ENGINE_NAME = "vtracer"
ENGINE_VERSION = version("vtracer")
_EMPTY_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}"></svg>\n'


class EngineError(SvgaiError):
    """The engine failed on an input it should have handled (reported, never a crash)."""


def _config(params: EngineParams) -> vtracer.Config:
    opts = params.model_dump()
    opts["palette"] = list(opts["palette"]) or None
    return vtracer.Config(**opts)


def trace(rgba: np.ndarray, params: EngineParams) -> str:
    """Trace an HxWx4 uint8 straight-alpha image to SVG markup with the given engine options.

    An image with no visible pixel gives an empty SVG of the same size (the engine itself divides by
    zero on such input). An engine panic becomes `EngineError`; any other BaseException (a caller's time
    limit raised by a signal handler while the engine runs) passes through.
    """
    if rgba.ndim != 3 or rgba.shape[2] != 4 or rgba.dtype != np.uint8:
        raise ValueError(f"expected HxWx4 uint8, got {rgba.shape} {rgba.dtype}")
    height, width = rgba.shape[:2]
    if not rgba[..., 3].any():
        return _EMPTY_SVG.format(w=width, h=height)
    keyed = with_background_row(rgba)
    pixels = np.ascontiguousarray(keyed).tobytes()
    try:
        svg = _config(params).convert_pixels(pixels, width, keyed.shape[0])
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise  # KeyboardInterrupt, SystemExit, a caller's time limit raised by its signal handler
        raise EngineError(f"the tracing engine failed on this image: {exc}") from exc
    if keyed is not rgba:  # the added row is background: the picture keeps the input's height
        svg = svg.replace(f'height="{keyed.shape[0]}"', f'height="{height}"', 1)
    return svg


def with_background_row(rgba: np.ndarray) -> np.ndarray:
    """`rgba` with one fully transparent row added at the bottom where it has fully transparent
    pixels that the engine would not take for background (`KEYING_SHARE`): it then traces them as
    shapes of their RGB colour, usually black (a rounded-corner square icon got four black corners,
    0.983 instead of 0.999). The row makes the engine key transparency out; `rgba` itself where it
    would anyway or has no transparent pixel."""
    alpha = rgba[..., 3]
    height, width = alpha.shape
    transparent = alpha == 0
    if not transparent.any():
        return rgba
    rows = (0, height // 4, height // 2, 3 * height // 4, height - 1)
    sampled = sum(int(transparent[y].sum()) for y in rows)
    if sampled >= int(width * KEYING_SHARE):
        return rgba
    return np.concatenate([rgba, np.zeros((1, width, 4), np.uint8)])
