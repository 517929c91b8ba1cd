"""Gradient markup: a `Gradient` (shared/paint.py, input px) as a `<linearGradient>` or
`<radialGradient>` for the `<defs>` that shared/svg.py writes, once per distinct gradient.

Coordinates are in view units with `gradientUnits="userSpaceOnUse"` (whole units on a grid); a linear
gradient's ends slide along its lines of equal colour to where they write shortest; an elliptical
radial gradient is a circle under a `gradientTransform`; a first stop at offset 0 leaves its offset
out and colours are written as '#rgb' where exact. A gradient on a primitive written under `rotate`
is given in that element's turned frame (`in_turned_frame`).
"""

from dataclasses import replace
from itertools import pairwise

import numpy as np

from shared.geometry import Primitive
from shared.paint import Gradient, hex_rgb
from shared.svg_number import number

TURN_LEVELS = 0.5  # a gradient is written in a turned primitive's own frame where the turn would change a
# colour by this many levels (of 255) or more


def gradient_id(paint: Gradient, scale: np.ndarray, grid: bool, defs: dict[str, str]) -> str:
    """The id of `paint`'s `<linearGradient>`/`<radialGradient>` in `defs` (added if new): short
    letters in order of first use, coordinates in view units (userSpaceOnUse; whole units on a grid),
    a linear gradient's ends slid to where they write shortest (`_slid_ends`: x1 or y1 0, left out), a
    first stop at offset 0 without its offset (the default), colours as '#rgb' where that is exact; an
    elliptical radial gradient as a circle under a `gradientTransform` (`_ellipse_head`)."""
    def coordinate(value: float, k: int) -> str:
        value *= scale[min(k, 1)]
        return number(round(value) if grid else value)

    if paint.kind == "linear":
        names = ("x1", "y1", "x2", "y2")
        ends = min(("".join(f' {name}="{text}"' for name, text in
                            zip(names, (coordinate(v, k % 2) for k, v in enumerate(points)), strict=True)
                            if name[1] == "2" or text != "0")
                    for points in _slid_ends(paint.points)), key=len)
        head = f'<linearGradient gradientUnits="userSpaceOnUse"{ends}>'
        tail = "</linearGradient>"
    elif len(paint.points) == 3:
        cx, cy, r = (coordinate(v, k) for k, v in enumerate(paint.points))
        head = f'<radialGradient gradientUnits="userSpaceOnUse" cx="{cx}" cy="{cy}" r="{r}">'
        tail = "</radialGradient>"
    else:
        head = _ellipse_head(paint.points, scale, grid)
        tail = "</radialGradient>"
    stops = "".join(
        "<stop" + (f' offset="{number(stop.offset)}"' if number(stop.offset) != "0" else "")
        + f' stop-color="{_short_colour(stop.color)}"'
        + (f' stop-opacity="{number(stop.opacity)}"' if stop.opacity < 0.995 else "") + "/>"
        for stop in paint.stops)
    text = head + stops + tail
    if text not in defs:
        k, gid = len(defs), ""
        while True:
            gid = chr(ord("a") + k % 26) + gid
            k = k // 26 - 1
            if k < 0:
                break
        defs[text] = gid
    return defs[text]


def _ellipse_head(points: tuple[float, ...], scale: np.ndarray, grid: bool) -> str:
    """An elliptical radial gradient's start tag: a circle in the gradient's own space, mapped onto
    the ellipse by `rotate(angle) scale(1 ratio)` (the centre given in that space), or by a full matrix
    where the view scales x and y apart."""
    cx, cy, r, ratio, angle = points
    theta = np.radians(angle)
    cos, sin = float(np.cos(theta)), float(np.sin(theta))
    ratio_text = f"{ratio:.3f}".rstrip("0").lstrip("0") or "0"
    if abs(scale[0] - scale[1]) <= 1e-9 * scale[0]:
        x, y = cx * scale[0], cy * scale[0]
        gx, gy, gr = (number(round(v) if grid else v)
                      for v in (x * cos + y * sin, (y * cos - x * sin) / ratio, r * scale[0]))
        return (f'<radialGradient gradientUnits="userSpaceOnUse" cx="{gx}" cy="{gy}" r="{gr}" '
                f'gradientTransform="rotate({number(angle)})scale(1 {ratio_text})">')
    matrix = (scale[0] * cos, scale[1] * sin, -scale[0] * sin * ratio, scale[1] * cos * ratio,
              scale[0] * cx, scale[1] * cy)
    numbers = " ".join(f"{v:.4g}" for v in matrix)
    return (f'<radialGradient gradientUnits="userSpaceOnUse" cx="0" cy="0" r="{number(r)}" '
            f'gradientTransform="matrix({numbers})">')


def _short_colour(colour: str) -> str:
    """'#rrggbb' as '#rgb' where each channel's two digits are equal (the same colour), else as is."""
    pairs = colour[1:3], colour[3:5], colour[5:7]
    short = len(colour) == 7 and all(p[0] == p[1] for p in pairs)
    return "#" + "".join(p[0] for p in pairs) if short else colour


def _slid_ends(points: tuple[float, ...]) -> list[tuple[float, ...]]:
    """A linear gradient's ends (x1, y1, x2, y2) and the same gradient with both ends slid along the
    lines of equal colour (across the axis) until y1 = 0 or until x1 = 0, where the axis allows."""
    x1, y1, x2, y2 = points
    vx, vy = x2 - x1, y2 - y1
    out = [points]
    if abs(vx) > 1e-9:  # the ends move by s * (-vy, vx)
        out.append((x1 + y1 / vx * vy, 0.0, x2 + y1 / vx * vy, vy))
    if abs(vy) > 1e-9:
        out.append((0.0, y1 + x1 / vy * vx, vx, y2 + x1 / vy * vx))
    return out


def in_turned_frame(paint: Gradient, shape: Primitive) -> Gradient:
    """`paint` (input px) in the frame of `shape` written under `rotate(angle cx cy)`: a gradient's
    userSpaceOnUse is the user space of the element that uses it, its own transform included, so the
    gradient is turned back by the angle about the centre (unturned, twemoji's shaded eye, an upright
    ellipse under `rotate(-89.65)`, drew its light spot a quarter turn off: 22 levels of mean error).
    `paint` itself where the turn changes no colour in the shape by `TURN_LEVELS` (a rounded bar turned
    by 0.46 degrees moves its points 0.09 px): it stays one definition with the shapes it is shared by."""
    theta = np.radians(shape.angle)
    if abs(theta) * np.hypot(shape.rx, shape.ry) * _steepest(paint) < TURN_LEVELS / 255:
        return paint
    cos, sin = float(np.cos(theta)), float(np.sin(theta))

    def back(x: float, y: float) -> tuple[float, float]:
        dx, dy = x - shape.cx, y - shape.cy
        return shape.cx + dx * cos + dy * sin, shape.cy - dx * sin + dy * cos

    points = paint.points
    if paint.kind == "linear":
        moved: tuple[float, ...] = (*back(points[0], points[1]), *back(points[2], points[3]))
    else:
        moved = (*back(points[0], points[1]), *points[2:])
        if len(points) == 5:
            moved = (*moved[:4], points[4] - shape.angle)
    return replace(paint, points=moved)


def _steepest(paint: Gradient) -> float:
    """The most a colour channel or the opacity of `paint` changes per input px ([0, 1] per px)."""
    points = paint.points
    if paint.kind == "linear":
        length = float(np.hypot(points[2] - points[0], points[3] - points[1]))
    else:
        length = points[2] * (points[3] if len(points) == 5 else 1.0)  # the shorter axis' radius
    steepest = 0.0
    for first, second in pairwise(paint.stops):
        rgb = np.abs(np.subtract(hex_rgb(first.color), hex_rgb(second.color)))
        change = max(float(rgb.max()), abs(first.opacity - second.opacity))
        span = (second.offset - first.offset) * length
        if change > 0:
            steepest = max(steepest, change / span if span > 1e-9 else np.inf)
    return steepest
