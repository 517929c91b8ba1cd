"""Quality figures of an SVG against the image it was traced from (DESIGN.md, "Quality").

SSIM and PSNR are alpha-aware: input and rendering are composited over white and again over black,
compared on RGB, and the lower of the two is reported. An SVG that drops or invents transparency
therefore scores as badly as one with wrong colours.
"""

import gzip
import re
from dataclasses import asdict, dataclass

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from shared.render import render_svg

_WHITE = 255.0
_BLACK = 0.0
_SSIM_MIN_SIDE = 7  # scikit-image's default window is 7x7
PSNR_CAP_DB = 100.0  # identical images have infinite PSNR; capped so figures stay finite JSON numbers
_SHAPE_TAG = re.compile(rb"<(?:path|rect|circle|ellipse|polygon|polyline|line)\b")


@dataclass(frozen=True)
class QualityFigures:
    """Every figure a result carries. SSIM in [-1, 1] (1 = identical), PSNR in dB, sizes in bytes."""

    ssim: float
    psnr: float
    ssim_white: float
    ssim_black: float
    bytes: int
    gzip_bytes: int
    paths: int

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def composite(rgba: np.ndarray, background: float) -> np.ndarray:
    """Composite straight-alpha RGBA (uint8) over a grey level in [0, 255]; returns float32 RGB
    (float32 halves the SSIM's cost; values differ from float64 by < 1e-5)."""
    rgb = rgba[..., :3].astype(np.float32)
    alpha = rgba[..., 3:4].astype(np.float32) / np.float32(255.0)
    return rgb * alpha + np.float32(background) * (np.float32(1.0) - alpha)


def _composite_pairs(reference: np.ndarray, candidate: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(reference, candidate) composited over white, then over black; one pair where both are opaque
    (the two composites would be the same, so SSIM and PSNR are computed once)."""
    if reference.shape != candidate.shape:
        raise ValueError(f"shape mismatch: {reference.shape} vs {candidate.shape}")
    opaque = reference[..., 3].min(initial=255) == 255 and candidate[..., 3].min(initial=255) == 255
    backgrounds = (_WHITE,) if opaque else (_WHITE, _BLACK)
    return [(composite(reference, bg), composite(candidate, bg)) for bg in backgrounds]


def _ssim_of_pairs(pairs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, float, float]:
    """(min, over white, over black) SSIM of one or two composite pairs (one: the same for both)."""
    scores = []
    for a, b in pairs:
        a, b = _upscale_to_ssim_window(a, b)
        scores.append(float(structural_similarity(a, b, channel_axis=-1, data_range=255.0)))
    return min(scores), scores[0], scores[-1]


def _psnr_of_pairs(pairs: list[tuple[np.ndarray, np.ndarray]]) -> float:
    values = []
    for a, b in pairs:
        if np.array_equal(a, b):
            values.append(PSNR_CAP_DB)
        else:
            values.append(min(PSNR_CAP_DB, float(peak_signal_noise_ratio(a, b, data_range=255.0))))
    return min(values)


def _upscale_to_ssim_window(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Repeat pixels of tiny images (side < 7) so the SSIM window fits; identical stays identical."""
    side = min(a.shape[0], a.shape[1])
    if side >= _SSIM_MIN_SIDE:
        return a, b
    k = -(-_SSIM_MIN_SIDE // side)
    return (np.repeat(np.repeat(x, k, axis=0), k, axis=1) for x in (a, b))  # type: ignore[return-value]


def alpha_aware_ssim(reference: np.ndarray, candidate: np.ndarray) -> tuple[float, float, float]:
    """(min, over-white, over-black) SSIM of two same-sized straight-alpha RGBA uint8 images."""
    return _ssim_of_pairs(_composite_pairs(reference, candidate))


def alpha_aware_psnr(reference: np.ndarray, candidate: np.ndarray) -> float:
    """The lower PSNR (dB) of the over-white and over-black composites, capped at PSNR_CAP_DB."""
    return _psnr_of_pairs(_composite_pairs(reference, candidate))


def count_shapes(svg: str) -> int:
    """Number of path/shape elements (path, rect, circle, ellipse, polygon, polyline, line) of markup
    svgai did not write itself (its own SVGs come with the count: `measure(..., shapes=)`)."""
    return len(_SHAPE_TAG.findall(svg.encode()))


def measure_rendered(svg: str, reference: np.ndarray, rendered: np.ndarray,
                     shapes: int | None = None) -> QualityFigures:
    """Figures for an SVG whose rendering at the reference's size is already at hand; `shapes` its
    number of shape elements where the writer knows it (else they are counted in the markup)."""
    pairs = _composite_pairs(reference, rendered)
    ssim, ssim_white, ssim_black = _ssim_of_pairs(pairs)
    raw = svg.encode()
    return QualityFigures(
        ssim=ssim,
        psnr=_psnr_of_pairs(pairs),
        ssim_white=ssim_white,
        ssim_black=ssim_black,
        bytes=len(raw),
        gzip_bytes=len(gzip.compress(raw, compresslevel=9, mtime=0)),
        paths=count_shapes(svg) if shapes is None else shapes,
    )


def measure(svg: str, reference: np.ndarray, shapes: int | None = None) -> QualityFigures:
    """Render `svg` at the reference's pixel size and return all figures against `reference` (RGBA)."""
    height, width = reference.shape[:2]
    return measure_rendered(svg, reference, render_svg(svg, width, height), shapes)
