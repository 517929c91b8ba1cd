"""Shaded emoji: Twemoji with its flat fills turned into gradients, a generated stand-in for gradient
emoji in the style of Noto's and Fluent's (no dev emoji package paints with gradients; those sets are
kept for the independent check).

Each fill brighter than near-black becomes, with probability 0.75, a radial gradient (lighter at the
upper left, the colour at 55 %, darker at the rim; 65 %) or a linear one (lighter at the top, darker at
the bottom; 35 %), in the shape's own bounding box; dark details (eyes, outlines) and the rest stay
flat. The choice is seeded by the icon's name, so an icon is shaded the same way in every run.
"""

import json
import re
import zlib
from pathlib import Path

import numpy as np

PACKAGE = "@iconify-json/twemoji@1.2.5"
FILL = re.compile(r'fill="#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})"')
DARK_SUM = 150  # fills whose R + G + B (0-765) is under this stay flat
FLAT_SHARE, RADIAL_SHARE = 0.25, 0.65
LIGHTER, DARKER = 0.35, 0.3  # the ends' shift towards white, towards black


def _levels(colour: str) -> np.ndarray:
    """R, G, B (0-255) of an 'rrggbb' colour."""
    return np.array([int(colour[i : i + 2], 16) for i in (0, 2, 4)], float)


def _shifted(colour: str, towards_white: float, towards_black: float) -> str:
    rgb = _levels(colour)
    rgb = (rgb + (255 - rgb) * towards_white) * (1 - towards_black)
    return "#" + "".join(f"{int(v):02x}" for v in rgb)


def shaded_svg(body: str, view: tuple[float, float], rng: np.random.Generator) -> str:
    """An SVG of an icon `body` (viewBox 0 0 `view`) with its fills shaded (see the module docstring)."""
    defs: list[str] = []

    def shade(match: re.Match[str]) -> str:
        colour = match.group(1).lower()
        if len(colour) == 3:
            colour = "".join(c * 2 for c in colour)
        if _levels(colour).sum() < DARK_SUM or rng.random() < FLAT_SHARE:
            return match.group(0)
        gid = f"s{len(defs)}"
        light, dark = _shifted(colour, LIGHTER, 0.0), _shifted(colour, 0.0, DARKER)
        if rng.random() < RADIAL_SHARE:
            defs.append(f'<radialGradient id="{gid}" cx="0.38" cy="0.32" r="0.75"><stop offset="0" '
                        f'stop-color="{light}"/><stop offset="0.55" stop-color="#{colour}"/><stop offset="1" '
                        f'stop-color="{dark}"/></radialGradient>')
        else:
            defs.append(f'<linearGradient id="{gid}" x1="0" y1="0" x2="0.3" y2="1"><stop offset="0" '
                        f'stop-color="{light}"/><stop offset="1" stop-color="{dark}"/></linearGradient>')
        return f'fill="url(#{gid})"'

    body = FILL.sub(shade, body)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {view[0]} {view[1]}"><defs>'
            f'{"".join(defs)}</defs>{body}</svg>')


def shaded_emoji(modules: Path, count: int, seed: int) -> list[tuple[str, str]]:
    """(name, SVG) of a fixed random pick (`seed`) of `count` Twemoji icons, shaded; `modules`: the
    node_modules folder holding PACKAGE (bench.dataset.npm_root)."""
    data = json.loads((modules / PACKAGE.rsplit("@", 1)[0] / "icons.json").read_text())
    names = sorted(data["icons"])
    view = (data.get("width", 36), data.get("height", 36))
    picked = np.random.default_rng(seed).choice(len(names), min(count, len(names)), replace=False)
    return [(names[i], shaded_svg(data["icons"][names[i]]["body"], view,
                                  np.random.default_rng(zlib.crc32(names[i].encode()))))
            for i in sorted(picked.tolist())]
