"""The tracing engine behind one small interface: RGBA pixels in, SVG markup out.

VTracer 1.0.0a4 was chosen by measurement (DESIGN.md, Engine and parameters; the numbers are in the
README): the same geometry as 0.6.15 at about a third of the bytes, plus the seam-free `cutout` mode.
"""

from importlib.metadata import version

import numpy as np
import vtracer

from shared.errors import SvgaiError
from shared.params import EngineParams

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
    pixels = np.ascontiguousarray(rgba).tobytes()
    try:
        return _config(params).convert_pixels(pixels, width, height)
    except BaseException as exc:  # pyo3's PanicException derives from BaseException
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise  # KeyboardInterrupt, SystemExit, a caller's time limit raised by its signal handler
        raise EngineError(f"the tracing engine failed on this image: {exc}") from exc
