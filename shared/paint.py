"""Colours and paints: the premultiplied colour space every fit and measurement works in, '#rrggbb'
fills, and the gradient paints a shape can carry instead of its flat fill (fitted by shared/gradients.py,
written as `<defs>` by shared/svg.py). Coordinates are input px, like the drawing's vertices."""

from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt


def premultiplied(rgba: np.ndarray, dtype: npt.DTypeLike = np.float32) -> np.ndarray:
    """HxWx4 (or any ...x4) uint8 RGBA as `dtype` in 0..1 with RGB multiplied by alpha (what a renderer
    blends in). Edge measurements read float32; region fits take float64."""
    out = rgba.astype(dtype) / np.asarray(255.0, dtype)
    out[..., :3] *= out[..., 3:4]
    return out


def hex_rgb(colour: str) -> list[float]:
    """R, G, B in [0, 1] of a '#rrggbb' colour (the engine's fills, the fitted stops)."""
    return [int(colour[i : i + 2], 16) / 255.0 for i in (1, 3, 5)]


@dataclass(frozen=True)
class Stop:
    """One colour stop: `offset` in [0, 1] along the gradient, `color` '#rrggbb', `opacity` in [0, 1]."""

    offset: float
    color: str
    opacity: float = 1.0


@dataclass(frozen=True)
class Gradient:
    """A linear gradient from (x1, y1) to (x2, y2) (`points` = x1, y1, x2, y2) or a radial one about
    (cx, cy) with radius r (`points` = cx, cy, r), elliptical with r along the major axis, the minor
    axis `ratio` times as long and the major axis at `angle` degrees (`points` = cx, cy, r, ratio,
    angle); colours pad beyond the first and last stop."""

    kind: Literal["linear", "radial"]
    points: tuple[float, ...]
    stops: tuple[Stop, ...]
