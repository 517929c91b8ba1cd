"""Pixel steps before tracing: denoise, supersampling, unmixing edges, colour snapping and alpha handling.
Pure functions on RGBA uint8 arrays."""

import numpy as np
from PIL import Image
from scipy import ndimage

from shared.params import StepParams
from shared.translucency import split_layers


def traced_size(width: int, height: int, scale: float) -> tuple[int, int]:
    """Pixel size the engine traces at for a supersampling factor (at least 1x1)."""
    return max(1, round(width * scale)), max(1, round(height * scale))


def supersample(rgba: np.ndarray, scale: float) -> np.ndarray:
    """Resize by `scale` with bicubic resampling on premultiplied alpha.

    Pillow premultiplies RGBA internally for every filter but NEAREST, so colours of transparent pixels
    never bleed into visible edges.
    """
    if scale == 1.0:
        return rgba
    height, width = rgba.shape[:2]
    size = traced_size(width, height, scale)
    return np.asarray(Image.fromarray(rgba, "RGBA").resize(size, Image.Resampling.BICUBIC))


def threshold_alpha(rgba: np.ndarray, level: int) -> np.ndarray:
    """Alpha >= `level` becomes opaque, the rest fully transparent (RGB zeroed), so the engine sees
    hard shape edges instead of semi-transparent fringes it would trace as shapes of their own.
    `prepare_layers` takes translucent plateaus out first (shared/translucency.py)."""
    out = rgba.copy()
    opaque = rgba[..., 3] >= level
    out[..., 3] = np.where(opaque, 255, 0).astype(np.uint8)
    out[~opaque, :3] = 0
    return out


def median_denoise(rgba: np.ndarray, size: int) -> np.ndarray:
    """Edge-preserving clean-up of JPEG noise: a `size` x `size` median on RGB; alpha untouched."""
    if size <= 1:
        return rgba
    out = rgba.copy()
    out[..., :3] = ndimage.median_filter(rgba[..., :3], size=(size, size, 1))
    return out


def snap_colors(rgba: np.ndarray, n_colors: int, palette_from: np.ndarray | None = None) -> np.ndarray:
    """Map every pixel's RGB to the nearest of `n_colors` dominant colours (Pillow's median-cut
    quantizer, no dithering), so anti-aliasing fringes and noise join the colour regions they border.

    The palette is built from the visible pixels of `palette_from` (default: `rgba` itself), so a
    supersampled image can be snapped to the original's colours. Alpha is untouched.
    """
    source = rgba if palette_from is None else palette_from
    visible = source[source[..., 3] >= 128][:, :3]
    if len(visible) == 0:
        return rgba
    strip = Image.fromarray(np.ascontiguousarray(visible.reshape(1, -1, 3)), "RGB")
    palette = strip.quantize(n_colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    rgb = Image.fromarray(np.ascontiguousarray(rgba[..., :3]), "RGB")
    mapped = np.asarray(rgb.quantize(palette=palette, dither=Image.Dither.NONE).convert("RGB"))
    return np.dstack([mapped, rgba[..., 3]])


STEP_LEVELS = 48.0  # an edge between two colours this far apart (RGB distance, 0-255 levels) ...
PLATEAU_LEVELS = 16.0  # ... each side flat within this (the pixel beyond it and one across); 10 before
# (held-out 4x mean -0.00011, damaged copies -0.00016; a step of 32 changed nothing: docs/findings.md, "Edges
# unmixed before tracing") ...
MIX_OFF_LEVELS = 8.0  # ... whose pixels between lie within this of the line between the two colours


def unmixed(rgba: np.ndarray) -> np.ndarray:
    """`rgba` with each opaque anti-aliased pixel of an edge between two flat colours given the colour of
    the side it is nearer (by its mix fraction), for the engine's clustering: a run of an edge's mix
    pixels is otherwise traced as a strip of its own or merged into some neighbour's region (a flag's
    white/red edge traced into its yellow emblem's region), which refinement then puts at its
    sub-pixel place as a strip a 4x zoom shows. Refinement measures the edges on the input itself.
    A pixel's sides: its neighbours 1 or 2 px away in one of four directions, flat beyond and on one
    side across (no 1 px line along the direction), at least STEP_LEVELS apart; the widest such pair
    wins. Only pixels whose 3 x 3 neighbourhood spans STEP_LEVELS / 3 in some channel are looked at,
    which leaves flat areas out (on 20 held-out images at 1.5x it misses 11 of the 27,644 pixels that
    a look at every pixel changes)."""
    rgb = rgba[..., :3]
    ys, xs = np.nonzero((_spread_3x3(rgb) >= STEP_LEVELS / 3) & (rgba[..., 3] == 255))
    if len(ys) == 0:
        return rgba
    pad = 3
    padded = np.pad(rgb, ((pad, pad), (pad, pad), (0, 0)), mode="edge").astype(np.float32)
    solid = np.pad(rgba[..., 3] == 255, pad, mode="edge")
    ys, xs = ys + pad, xs + pad
    pixel = padded[ys, xs]
    out = pixel.copy()
    widest = np.zeros(len(ys), np.float32)
    for dy, dx in ((0, 1), (1, 0), (1, 1), (1, -1)):
        # each side once: the colour `step` px away (negative: before the pixel), whether it is flat beyond
        # and across, and whether it is opaque; the pairs below share them
        sides = {step: _side(padded, solid, ys + step * dy, xs + step * dx, dy, dx, step)
                 for step in (-2, -1, 1, 2)}
        for before, after in ((1, 1), (1, 2), (2, 1)):
            a, flat_a = sides[-before]
            b, flat_b = sides[after]
            span_vector = b - a
            span2 = np.einsum("ij,ij->i", span_vector, span_vector)
            t, off2 = _on_line(pixel, a, span_vector, span2)
            fits = ((span2 >= STEP_LEVELS**2) & (span2 > widest**2) & (t > 0) & (t < 1)
                    & (off2 <= MIX_OFF_LEVELS**2) & flat_a & flat_b)
            if before == 2 or after == 2:  # the pixel between lies between too, on the same line: a
                # hairline 1 px from a dark shape (dark, gap, line, gap) is no mix of the two
                toward = -1 if before == 2 else 1
                t_middle, off2_middle = _on_line(padded[ys + toward * dy, xs + toward * dx], a, span_vector,
                                                 span2)
                low, high = (np.zeros_like(t), t) if before == 2 else (t, np.ones_like(t))
                fits &= (t_middle >= low) & (t_middle <= high) & (off2_middle <= MIX_OFF_LEVELS**2)
            widest = np.where(fits, np.sqrt(span2), widest)
            out = np.where(fits[:, None], np.where((t < 0.5)[:, None], a, b), out)
    result = rgba.copy()
    result[ys - pad, xs - pad, :3] = np.rint(out).astype(np.uint8)
    return result


def _on_line(colours: np.ndarray, a: np.ndarray, span_vector: np.ndarray, span2: np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    """Each colour's place along the line from `a` by `span_vector` (0 at a, 1 at its end; `span2` the
    vector's squared length) and its squared distance from that line."""
    t = np.einsum("ij,ij->i", colours - a, span_vector) / np.maximum(span2, 1e-6)
    off = colours - (a + t[:, None] * span_vector)
    return t, np.einsum("ij,ij->i", off, off)


def _side(padded: np.ndarray, solid: np.ndarray, ys: np.ndarray, xs: np.ndarray, dy: int, dx: int,
          step: int) -> tuple[np.ndarray, np.ndarray]:
    """A side of a pixel pair at (ys, xs), `step` px from the pixel along (dy, dx): its colour, and whether
    it is a flat opaque region there: within PLATEAU_LEVELS of the pixel beyond it and of one of its two
    neighbours across the direction (a region, not a 1 px line running along the pair, whose pixels at
    a step of its staircase are no mix of it and its background)."""
    colour = padded[ys, xs]
    out_y, out_x = (dy, dx) if step > 0 else (-dy, -dx)  # away from the pixel
    beyond = colour - padded[ys + out_y, xs + out_x]
    across_before = colour - padded[ys + dx, xs - dy]  # the cross direction of (dy, dx) is (dx, -dy)
    across_after = colour - padded[ys - dx, xs + dy]
    along = np.minimum(np.einsum("ij,ij->i", across_before, across_before),
                       np.einsum("ij,ij->i", across_after, across_after))
    flat = ((np.einsum("ij,ij->i", beyond, beyond) <= PLATEAU_LEVELS**2) & (along <= PLATEAU_LEVELS**2)
            & solid[ys, xs])
    return colour, flat


def _spread_3x3(rgb: np.ndarray) -> np.ndarray:
    """Each pixel's largest channel range over its 3 x 3 neighbourhood (uint8; edges repeated), by
    separable maxima and minima (1.7x faster than scipy.ndimage's 3-D filters at 1536 px)."""
    p = np.pad(rgb, ((1, 1), (1, 1), (0, 0)), mode="edge")
    high = np.maximum(np.maximum(p[:, :-2], p[:, 1:-1]), p[:, 2:])
    low = np.minimum(np.minimum(p[:, :-2], p[:, 1:-1]), p[:, 2:])
    high = np.maximum(np.maximum(high[:-2], high[1:-1]), high[2:])
    low = np.minimum(np.minimum(low[:-2], low[1:-1]), low[2:])
    return (high - low).max(axis=-1)


def prepare(rgba: np.ndarray, steps: StepParams) -> np.ndarray:
    """Apply the pre-tracing steps in order: denoise, supersample, unmix, snap colours, alpha handling."""
    return prepare_layers(rgba, steps, translucent=False)[0]


def prepare_layers(rgba: np.ndarray, steps: StepParams,
                   translucent: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """`prepare`'s image and, with `translucent` and the alpha thresholded, the layer of translucent
    plateaus taken out of it (None where there are none; `translucent=False`: plateaus thresholded with
    the rest, for traces the translucent layer cannot join)."""
    source = median_denoise(rgba, steps.denoise)
    out = supersample(source, steps.scale)
    if steps.unmix:
        out = unmixed(out)
    if steps.snap_colors:
        out = snap_colors(out, steps.snap_colors, palette_from=source)
    layer = None
    if steps.alpha == "threshold" and translucent:
        out, layer = split_layers(out, steps.alpha_threshold)
    elif steps.alpha == "threshold":
        out = threshold_alpha(out, steps.alpha_threshold)
    return np.ascontiguousarray(out), layer
