"""Generated logo images with known structure: flat shapes, gradients and text.

Each generator takes a seeded `numpy.random.Generator` and a pixel size and returns HxWx4 uint8 RGBA
(straight alpha, anti-aliased edges). Shapes and gradients are written as SVG and rendered by resvg, so
edges are exact coverage; text is drawn by Pillow on one TEXT_CANVAS px canvas whatever the size asked
for, in Debian's DejaVu fonts, and area-averaged down to it, so every size of a text logo (the input and
its 4x reference) shows the same geometry.
"""

import glob
import io
import string
from functools import lru_cache

import numpy as np
import resvg_py
from PIL import Image, ImageDraw, ImageFont

PALETTE = ("#e63946", "#1d3557", "#457b9d", "#2a9d8f", "#e9c46a", "#f4a261", "#264653", "#6a4c93",
           "#ff006e", "#3a86ff", "#111111", "#ffffff", "#8ac926", "#ffca3a")
# DejaVu only: with every installed font, installing another package (chromium pulls in Liberation)
# silently changed the text category of a rebuilt dev set.
FONT_GLOBS = ("/usr/share/fonts/truetype/dejavu/*.ttf",)
TEXT_CANVAS = 4096  # px a side that text logos are drawn on (larger sizes: their own side). Drawn at 4x
# the size asked for and reduced with Lanczos, as until 2026-12-06, the 256 px input and its 1024 px
# reference differed by the font's hinting at two sizes and Pillow's inclusive rectangle edge (a plate
# 0.19 px wider at 256 px): the reference area-reduced to 256 px measured 0.9957 against the input
# (median of the 23 training text logos, `python -m bench.scale_check --consistency`; shapes 0.9997), a
# 4x loss of any trace; 1.0000 since


def render(svg: str, size: int) -> np.ndarray:
    png = resvg_py.svg_to_bytes(svg_string=svg, width=size, height=size, skip_system_fonts=True)
    return np.asarray(Image.open(io.BytesIO(bytes(png))).convert("RGBA"))


def _colors(rng: np.random.Generator, n: int) -> list[str]:
    return [str(c) for c in rng.choice(PALETTE, size=n, replace=False)]


def _shape(rng: np.random.Generator, color: str) -> str:
    kind = rng.choice(["circle", "square", "star", "ring", "triangle", "stripe"])
    cx, cy, r = rng.uniform(35, 65), rng.uniform(35, 65), rng.uniform(12, 30)
    angle = rng.uniform(0, 90)
    if kind == "circle":
        return f'<circle cx="{cx:.2f}" cy="{cy:.2f}" r="{r:.2f}" fill="{color}"/>'
    if kind == "square":
        return (f'<rect x="{cx - r:.2f}" y="{cy - r:.2f}" width="{2 * r:.2f}" height="{2 * r:.2f}" '
                f'rx="{rng.uniform(0, r / 3):.2f}" fill="{color}" '
                f'transform="rotate({angle:.1f} {cx:.2f} {cy:.2f})"/>')
    if kind == "ring":
        return (f'<circle cx="{cx:.2f}" cy="{cy:.2f}" r="{r:.2f}" fill="none" stroke="{color}" '
                f'stroke-width="{rng.uniform(3, 8):.2f}"/>')
    if kind == "stripe":
        return (f'<rect x="5" y="{cy - r / 4:.2f}" width="90" height="{r / 2:.2f}" fill="{color}" '
                f'transform="rotate({angle:.1f} 50 50)"/>')
    points = 5 if kind == "star" else 3
    radii = [r, r * 0.45] * points if kind == "star" else [r] * points
    angles = np.linspace(0, 2 * np.pi, len(radii), endpoint=False) + np.radians(angle)
    pts = " ".join(f"{cx + q * np.cos(a):.2f},{cy + q * np.sin(a):.2f}"
                   for q, a in zip(radii, angles, strict=True))
    return f'<polygon points="{pts}" fill="{color}"/>'


def _svg(body: str, defs: str = "") -> str:
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><defs>{defs}</defs>{body}</svg>'


def _backdrop(rng: np.random.Generator, color: str) -> str:
    if rng.random() < 0.5:
        return ""
    return f'<rect x="4" y="4" width="92" height="92" rx="{rng.uniform(0, 20):.1f}" fill="{color}"/>'


def shapes_logo(rng: np.random.Generator, size: int) -> np.ndarray:
    """1-4 flat colours: geometric shapes, on transparent ground or a coloured plate."""
    colors = _colors(rng, int(rng.integers(1, 5)))
    body = _backdrop(rng, colors[-1]) if len(colors) > 1 else ""
    body += "".join(_shape(rng, c) for c in colors[: max(1, len(colors) - (1 if body else 0))] * 2)
    return render(_svg(body), size)


def gradient_logo(rng: np.random.Generator, size: int) -> np.ndarray:
    """Shapes filled with linear or radial gradients (smooth shading), some on a plate."""
    c = _colors(rng, 4)
    defs = (f'<linearGradient id="a" x1="0" y1="0" x2="{rng.uniform(0.3, 1):.2f}" y2="1">'
            f'<stop offset="0" stop-color="{c[0]}"/><stop offset="1" stop-color="{c[1]}"/></linearGradient>'
            f'<radialGradient id="b" cx="{rng.uniform(0.3, 0.7):.2f}" cy="0.4" r="0.7">'
            f'<stop offset="0" stop-color="{c[2]}"/><stop offset="1" stop-color="{c[3]}"/></radialGradient>')
    body = _backdrop(rng, "url(#a)") + _shape(rng, "url(#b)") + _shape(rng, "url(#a)")
    return render(_svg(body, defs), size)


def draws_latin(path: str) -> bool:
    """True if the font has real Latin letters: fonts for other scripts draw every letter as the
    same missing-glyph box, which would turn a text logo into a row of empty boxes."""
    try:
        font = ImageFont.truetype(path, 24)
        masks = [bytes(font.getmask(ch)) for ch in ("A", "g", "\uffff")]
    except OSError:
        return False
    return bool(masks[0]) and masks[0] != masks[2] and masks[1] != masks[2]


@lru_cache(maxsize=1)
def font_files() -> tuple[str, ...]:
    """The DejaVu fonts that draw Latin letters, sorted (the text category depends on which are installed:
    Debian's fonts-dejavu-core and fonts-dejavu-extra)."""
    files = sorted({f for pattern in FONT_GLOBS for f in glob.glob(pattern, recursive=True)})
    usable = tuple(f for f in files if draws_latin(f))
    if not usable:
        raise RuntimeError("no TrueType fonts with Latin letters found (install Debian's fonts-dejavu-core)")
    return usable


def text_logo(rng: np.random.Generator, size: int) -> np.ndarray:
    """A word or monogram in a system font, 1-3 colours, optionally on a rounded plate."""
    fonts = font_files()
    font_path = str(fonts[int(rng.integers(len(fonts)))])
    word = ("".join(rng.choice(list(string.ascii_uppercase), size=int(rng.integers(1, 3))))
            if rng.random() < 0.3 else
            "".join(rng.choice(list(string.ascii_letters), size=int(rng.integers(3, 9)))))
    colors = _colors(rng, 3)
    big = max(TEXT_CANVAS, size)
    im = Image.new("RGBA", (big, big), (0, 0, 0, 0))
    draw = ImageDraw.Draw(im)
    if rng.random() < 0.5:
        plate = (big * 0.04, big * 0.2, big * 0.96, big * 0.8)
        draw.rounded_rectangle(plate, radius=big // 12, fill=colors[2])
    font_size = int(big * (0.5 if len(word) <= 2 else 1.15 / len(word)))
    font = ImageFont.truetype(font_path, max(8, font_size))
    box = draw.textbbox((0, 0), word, font=font)
    xy = ((big - (box[2] - box[0])) / 2 - box[0], (big - (box[3] - box[1])) / 2 - box[1])
    draw.text(xy, word, font=font, fill=colors[0])
    return area_reduced(im, size)


def area_reduced(im: Image.Image, size: int) -> np.ndarray:
    """An RGBA image reduced to size x size px by area (each pixel the mean of the canvas it covers;
    Pillow weights colours by alpha for RGBA, so transparent pixels add none): exact coverage of the
    canvas's shapes."""
    if im.width == size:
        return np.asarray(im)
    return np.asarray(im.resize((size, size), Image.Resampling.BOX))


def on_white(rgba: np.ndarray) -> np.ndarray:
    """HxWx3 uint8: straight-alpha RGBA composited over white, as a JPEG or a scan would show it."""
    a = rgba[..., 3:4].astype(np.float32) / 255.0
    return (rgba[..., :3] * a + 255.0 * (1 - a)).round().astype(np.uint8)


def jpeg_bytes(rgb: np.ndarray, quality: int) -> bytes:
    """Baseline JPEG (Pillow's default 4:2:0 chroma subsampling) of an RGB uint8 image."""
    buf = io.BytesIO()
    Image.fromarray(rgb, "RGB").save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def jpeg_degrade(rgba: np.ndarray, rng: np.random.Generator) -> bytes:
    """JPEG bytes (quality 35-75) of the image composited on white, as a scanned or re-saved logo."""
    return jpeg_bytes(on_white(rgba), int(rng.integers(35, 76)))


GENERATORS = {"shapes": shapes_logo, "gradient": gradient_logo, "text": text_logo}
