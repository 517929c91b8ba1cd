"""Writing: a `Drawing` (shared/geometry.py) becomes SVG markup once, after every step has run.

The root gets the output size in pixels and a viewBox of the drawing's view (traced px, or a grid of
units per input px), so sub-pixel vertices survive. Polygon rings are written with compact relative
commands: an absolute `M` per ring, then `h` or `v` where one coordinate is 0 and `l` pairs otherwise,
a separator only where the next number has no minus sign; fitted rings as `l`/`c` runs, splines as `l`
and `q`/`t` runs (straight segments as `h`/`v` too); a shape that is one primitive as
`<circle>`, `<ellipse>` or `<rect>` (rotation by `transform`), a circle or ellipse among the rings of a
compound shape as two arcs in the ring's winding, a rounded rectangle there as four sides and four
arcs; a translucent flat fill gets its `fill-opacity`.
Numbers have at most 2 decimals in view units (integers on a grid; a primitive's as many as keep
its step within PRIMITIVE_STEP_PX: 1 on the usual grid of 8 units per px).
A trace kept as markup (spline traces) only gets the root replaced and whitespace removed.
"""

import re
from itertools import pairwise

import numpy as np

from shared.geometry import Curve, Drawing, Primitive, Spline, cyclic_shift, signed_area
from shared.gradient_markup import gradient_id, in_turned_frame
from shared.primitive_shapes import from_frame
from shared.spline_rounding import rounded_controls
from shared.svg_number import number

_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_WIDTH = re.compile(r'\swidth="[^"]*"')
_HEIGHT = re.compile(r'\sheight="[^"]*"')
_XML_DECL = re.compile(r"<\?xml[^>]*\?>\s*")
_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)
_BETWEEN_TAGS = re.compile(r">\s+<")
SVG_NS = "http://www.w3.org/2000/svg"
PRIMITIVE_STEP_PX = 1 / 64  # a primitive's lengths and places are written with the fewest decimals
# (at most 2) whose step is at most this (input px): 1/80 px on a grid of 8 units per px, 1/400 on
# one of 4, far inside the 0.05 px its fit is held to (shared/primitives.py); 0: always 2 decimals
ARC_RADIUS_SHORT_STEPS = 1  # an arc ring's radii are written this many rounding steps short (`_arcs_text`)
MIN_ROTATION_SHIFT_PX = 0.05  # a rotation moving no point of a primitive farther is not written (the
# fit's own accuracy; twemoji's upright eyes came out turned by 0.12 degrees, a 0.02 px shift for 35 B)


def root_element(width: int, height: int, view_width: float, view_height: float) -> str:
    """The root element: output size in pixels, viewBox of the traced (or grid) size (no `version`:
    SVG 2 dropped it and no renderer needs it; 14 B of every result)."""
    return (f'<svg xmlns="{SVG_NS}" width="{width}" height="{height}" '
            f'viewBox="0 0 {number(view_width)} {number(view_height)}">')


def set_canvas(svg: str, width: int, height: int, view_width: float, view_height: float) -> str:
    """Give the root element of foreign markup the output size and a viewBox of the traced size."""
    svg, count = _SVG_OPEN.subn(root_element(width, height, view_width, view_height), svg, count=1)
    if count != 1:
        raise ValueError("markup has no <svg> root element")
    return svg


def svg_size(svg: str) -> tuple[int, int] | None:
    """(width, height) of the root element in pixels, None when either is missing or not an integer."""
    match = _SVG_OPEN.search(svg)
    if match is None:
        return None
    width, height = _WIDTH.search(match.group(0)), _HEIGHT.search(match.group(0))
    try:
        return (int(width.group(0).split('"')[1]), int(height.group(0).split('"')[1])) if width and height \
            else None
    except ValueError:
        return None


def with_output_size(svg: str, width: int, height: int) -> str:
    """`svg` with its root's width and height set to the input's size in pixels (the viewBox, in the
    working copy's units, is left alone, so the drawing is scaled to fill the new size)."""
    match = _SVG_OPEN.search(svg)
    if match is None:
        return svg
    root = match.group(0)
    if 'viewBox="' not in root:
        raise ValueError("the SVG root has no viewBox to scale")
    new_root = _HEIGHT.sub(f' height="{height}"', _WIDTH.sub(f' width="{width}"', root, count=1), count=1)
    return svg[: match.start()] + new_root + svg[match.end():]


def with_opacity(svg: str, opacity: float) -> str:
    """`svg` with everything inside its root element in one group drawn at `opacity` (0-1)."""
    close, root = svg.rfind("</svg>"), _SVG_OPEN.search(svg)
    if close < 0 or root is None:
        return svg
    body_start = root.end()
    if not svg[body_start:close].strip():
        return svg
    return f'{svg[:body_start]}<g opacity="{opacity:.4g}">{svg[body_start:close]}</g>{svg[close:]}'


def minify(svg: str) -> str:
    """Drop the XML declaration, comments and whitespace between tags (the markup stays valid SVG)."""
    svg = _COMMENT.sub("", _XML_DECL.sub("", svg))
    return _BETWEEN_TAGS.sub("><", svg).strip() + "\n"


def write_svg(drawing: Drawing) -> str:
    """The markup of `drawing` (see the module docstring)."""
    view_w, view_h = drawing.view
    if drawing.markup is not None:
        return minify(set_canvas(drawing.markup, drawing.width, drawing.height, view_w, view_h))
    scale = np.array([view_w / drawing.width, view_h / drawing.height])
    plain = np.ones(len(drawing.offsets) - 1, bool)
    plain[list(drawing.fitted)] = False
    sizes = np.diff(drawing.offsets)
    take = np.repeat(plain, sizes)
    points = drawing.vertices[take] * scale
    points = np.round(points) if drawing.grid else points
    polygon_text = iter(_ring_texts(points, np.append(0, np.cumsum(sizes[plain]))))
    body = []
    defs: dict[str, str] = {}  # a gradient's markup without its id -> its id (identical ones shared)
    for shape, (fill, rings) in enumerate(zip(drawing.fills, drawing.shape_rings(), strict=True)):
        outline = drawing.fitted.get(rings[0]) if len(rings) == 1 else None
        primitive = outline if isinstance(outline, Primitive) else None
        if shape in drawing.paints:  # a gradient carries its own opacity (its stops')
            gradient = drawing.paints[shape]
            if primitive is not None and _turned(primitive):
                gradient = in_turned_frame(gradient, primitive)
            fill = f"url(#{gradient_id(gradient, scale, drawing.grid, defs)})"
        paint = f'fill="{fill}"'
        if shape in drawing.opacity and shape not in drawing.paints:
            paint += f' fill-opacity="{number(drawing.opacity[shape])}"'
        if primitive is not None:
            body.append(_primitive_element(primitive, scale[0], paint))
            continue
        d = "".join(next(polygon_text) if plain[r] else _fitted_text(drawing, r, scale) for r in rings)
        body.append(f'<path d="{d}" {paint}/>')
    gradients = "".join(text.replace(" ", f' id="{gid}" ', 1) for text, gid in defs.items())
    head = f"<defs>{gradients}</defs>" if defs else ""
    return root_element(drawing.width, drawing.height, view_w, view_h) + head + "".join(body) + "</svg>\n"


def _ring_texts(vertices: np.ndarray, offsets: np.ndarray) -> list[str]:
    """The `d` text of every polygon ring: `M` and absolute for a ring's first vertex, then relative
    (`h` or `v` where one coordinate is 0, `l` pairs otherwise, each letter once per run, a separator
    only where the next number has no minus sign), `Z` after its last. Each distinct number is
    formatted once."""
    if not len(vertices):
        return ["" for _ in range(len(offsets) - 1)]
    first = np.zeros(len(vertices), bool)
    first[offsets[:-1][offsets[:-1] < len(vertices)]] = True
    values = np.where(first[:, None], vertices, vertices - cyclic_shift(vertices, 1))
    unique, inverse = np.unique(values.ravel(), return_inverse=True)
    texts = [number(v) for v in unique.tolist()]
    words = np.array(texts, object)[inverse.reshape(-1, 2)]
    minus = np.array([t.startswith("-") for t in texts], bool)[inverse.reshape(-1, 2)]
    zero = np.array([t == "0" for t in texts], bool)[inverse.reshape(-1, 2)]
    kind = np.select([first, zero[:, 1] & ~zero[:, 0], zero[:, 0] & ~zero[:, 1]], [0, 2, 3], 1)  # M l h v
    pair = words[:, 0] + np.where(minus[:, 1], "", ",").astype(object) + words[:, 1]
    body = np.select([kind == 2, kind == 3], [words[:, 0], words[:, 1]], pair)
    signed = np.where(kind == 3, minus[:, 1], minus[:, 0])
    same = (kind == cyclic_shift(kind, 1)) & ~first
    letter = np.array(["M", "l", "h", "v"], object)[kind]
    prefix = np.where(same, np.where(signed, "", " ").astype(object), letter)
    pieces = prefix + body
    return ["".join(pieces[a:b]) + "Z" if b > a else "" for a, b in pairwise(offsets.tolist())]


def _pairs(values: np.ndarray) -> str:
    """Relative coordinate pairs 'x,y' joined by a space, or nothing before a minus sign."""
    out = ""
    for x, y in values.tolist():
        pair = _pair(x, y)
        out += pair if not out or pair[0] == "-" else " " + pair
    return out


def _line(offset: np.ndarray) -> tuple[str, str]:
    """A relative line's command letter and text: `h` or `v` where one coordinate is 0, else `l`."""
    x, y = number(offset[0]), number(offset[1])
    if (x == "0") != (y == "0"):
        return ("v", y) if x == "0" else ("h", x)
    return "l", _pair(offset[0], offset[1])


def _pair(x: float, y: float) -> str:
    """'x,y', or 'x-y' where y has a minus sign (the path grammar starts a number there)."""
    y_text = number(y)
    return number(x) + ("" if y_text.startswith("-") else ",") + y_text


def _fitted_text(drawing: Drawing, ring: int, scale: np.ndarray) -> str:
    """The `d` text of a fitted ring of a compound path: its curve, or its primitive as arcs in the
    winding of the ring it replaces (so that holes stay holes)."""
    outline = drawing.fitted[ring]
    if isinstance(outline, Primitive):
        return _arcs_text(outline, scale[0], clockwise=signed_area(drawing.ring(ring)) > 0)
    if isinstance(outline, Spline):
        return _spline_text(outline, scale, drawing.grid)
    return _curve_text(outline, scale, drawing.grid)


def _curve_text(curve: Curve, scale: np.ndarray, grid: bool) -> str:
    """The `d` text of a fitted curve: `l` (or `h`, `v`) and `c` runs, relative."""
    points = np.vstack([curve.start[None], curve.controls.reshape(-1, 2)]) * scale
    points = np.round(points) if grid else np.round(points, 2)
    start, controls = points[0], points[1:].reshape(-1, 3, 2)
    ends = np.vstack([start[None], controls[:-1, 2]])
    text, command = "M" + _pair(start[0], start[1]), ""
    last = len(controls) - 1
    for k, (straight, ctrl, origin) in enumerate(zip(curve.straight.tolist(), controls, ends, strict=True)):
        if straight and k == last:
            break  # Z draws the closing line
        letter, pairs = _line(ctrl[2] - origin) if straight else ("c", _pairs(ctrl - origin))
        text += (letter + pairs) if letter != command else (pairs if pairs[0] == "-" else " " + pairs)
        command = letter
    return text + "Z"


def _spline_text(spline: Spline, scale: np.ndarray, grid: bool) -> str:
    """The `d` text of a spline: `l` for straight segments, `q` opening each run of quadratics and `t`
    continuing it, relative. A `t` segment's control is implied (the previous one reflected about the
    joint), so each run's controls are written as chosen (on a grid: rounded together,
    shared/spline_rounding.py) and the joints between them are their midpoints: on a grid, a joint of
    two controls of unlike parity lies on a half unit."""
    closed = bool(spline.smooth[0])
    curved = ~spline.straight
    last = len(spline.controls) - 1
    following = cyclic_shift(np.arange(len(spline.controls)), -1)
    joins = curved & curved[following] & spline.smooth[following] & ((following > 0) | closed)
    controls = rounded_controls(spline.controls * scale, spline.ends * scale, spline.start * scale, joins,
                                curved) if grid else np.round(spline.controls * scale, 2)

    def snap(values: np.ndarray) -> np.ndarray:
        return np.round(values * scale) if grid else np.round(values * scale, 2)

    ends = np.where(joins[:, None], (controls + controls[following]) / 2, snap(spline.ends))
    here = start = ends[last] if closed else snap(spline.start)
    text, command = "M" + _pair(start[0], start[1]), ""
    for k in range(len(controls)):
        end = start if k == last else ends[k]
        if spline.straight[k]:
            if k == last:
                break  # Z draws the closing line
            letter, pairs = _line(end - here)
        else:
            letter = "t" if spline.smooth[k] and k > 0 else "q"
            rel = (end - here)[None] if letter == "t" else np.array([controls[k] - here, end - here])
            pairs = _pairs(rel)
        text += (letter + pairs) if letter != command else (pairs if pairs[0] == "-" else " " + pairs)
        command, here = letter, end
    return text + "Z"


def primitive_decimals(scale: float) -> int:
    """The decimals a primitive's lengths and places are written with at `scale` view units per input
    px: the fewest whose step is at most PRIMITIVE_STEP_PX, and at most 2."""
    return next((d for d in range(2) if 10.0**-d / scale <= PRIMITIVE_STEP_PX), 2)


def _arcs_text(shape: Primitive, scale: float, clockwise: bool) -> str:
    """A circle or ellipse as a closed subpath of two half-turn elliptical arcs from the end of its
    major axis (sweep flag 1: clockwise on screen). The radii are written one rounding step short:
    where the rounded chord came out shorter than the rounded diameter, each half-turn arc took a
    centre off the chord's middle (by sqrt(2 r e) for a shortfall e: 4.8 units on a 326-unit ellipse
    at 1 decimal, beatport's ring 0.9971 -> 0.9938), while radii too short for the chord are scaled up
    by the renderer until the arc just spans it (SVG 1.1, F.6.6), which is exact."""
    if shape.kind == "rect":
        return _rounded_rect_text(shape, scale, clockwise)
    d = primitive_decimals(scale)
    step = ARC_RADIUS_SHORT_STEPS * 10.0**-d
    theta = np.radians(shape.angle)
    dx, dy = shape.rx * scale * np.cos(theta), shape.rx * scale * np.sin(theta)
    x, y = number(shape.cx * scale + dx, d), number(shape.cy * scale + dy, d)
    rx, ry = (number(max(v * scale - step, 10.0**-d), d) for v in (shape.rx, shape.ry))
    turn = number(shape.angle)
    sweep = "1" if clockwise else "0"
    there, back = (f"{number(-2 * dx, d)} {number(-2 * dy, d)}", f"{number(2 * dx, d)} {number(2 * dy, d)}")
    return f"M{x},{y}a{rx} {ry} {turn} 1 {sweep} {there}a{rx} {ry} {turn} 1 {sweep} {back}Z"


def _rounded_rect_text(shape: Primitive, scale: float, clockwise: bool) -> str:
    """A rounded rectangle as a closed subpath of its four sides (`l`, where not of zero length) and
    four quarter-turn arcs, clockwise on screen or not; relative steps between the rounded corners'
    points, so that rounding does not add up."""
    d = primitive_decimals(scale)
    hx, hy = shape.rx, shape.ry
    r = min(shape.corner, hx, hy)
    local = np.array([[-hx + r, -hy], [hx - r, -hy], [hx, -hy + r], [hx, hy - r],
                      [hx - r, hy], [-hx + r, hy], [-hx, hy - r], [-hx, -hy + r]])  # clockwise on screen
    if not clockwise:
        local = local[[1, 0, 7, 6, 5, 4, 3, 2]]  # the same points the other way round, a side first
    theta = np.radians(shape.angle) if _turned(shape) else 0.0
    points = np.round(from_frame(local, shape.cx, shape.cy, theta) * scale, d)
    steps = np.diff(np.vstack([points, points[:1]]), axis=0)
    radius = number(r * scale, d)
    arc = f"a{radius} {radius} 0 0 {'1' if clockwise else '0'} "
    text = "M" + _pair(*points[0].tolist())
    for k, step in enumerate(steps):
        if k % 2:
            text += arc + _pair(*step.tolist())
        elif np.abs(step).max() >= 10.0**-d / 2:
            letter, pairs = _line(step)
            text += letter + pairs
    return text + "Z"


def _turned(shape: Primitive) -> bool:
    """Whether `shape` is written with a `rotate` transform (`MIN_ROTATION_SHIFT_PX`)."""
    return bool(np.radians(abs(shape.angle)) * max(shape.rx, shape.ry) >= MIN_ROTATION_SHIFT_PX)


def _primitive_element(shape: Primitive, scale: float, paint: str) -> str:
    """`shape` as an element with `paint` (its fill attributes); the angle keeps 2 decimals (0.01
    degree moves a point 120 px from the centre by 0.02 px)."""
    d = primitive_decimals(scale)
    cx, cy, rx, ry, corner = (number(v * scale, d)
                              for v in (shape.cx, shape.cy, shape.rx, shape.ry, shape.corner))
    turn = f' transform="rotate({number(shape.angle)} {cx} {cy})"' if _turned(shape) else ""
    if shape.kind == "circle":
        return f'<circle cx="{cx}" cy="{cy}" r="{rx}" {paint}/>'
    if shape.kind == "ellipse":
        return f'<ellipse cx="{cx}" cy="{cy}" rx="{rx}" ry="{ry}"{turn} {paint}/>'
    centre, half = np.array([shape.cx, shape.cy]), np.array([shape.rx, shape.ry])
    low, high = np.round((centre - half) * scale, d), np.round((centre + half) * scale, d)
    x, y = number(float(low[0]), d), number(float(low[1]), d)  # each side rounded on its own, not the
    w, h = number(float(high[0] - low[0]), d), number(float(high[1] - low[1]), d)  # far one off the near
    rounded = f' rx="{corner}"' if corner != "0" else ""
    return f'<rect x="{x}" y="{y}" width="{w}" height="{h}"{rounded}{turn} {paint}/>'
