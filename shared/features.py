"""Fast image descriptors for the router, the classifier and the quality predictor.

All features are floats with a stated range; `FEATURE_NAMES` fixes their order as model input columns.
Colour statistics use a strided sample (exact colours, at most ~256 px a side); edge, shading, noise
and component features use a copy whose longest side is at most `ANALYSIS_SIDE` pixels (enough to tell
logos apart, and fast: 15-19 ms for a 512 px image on one core).
"""

from dataclasses import asdict, dataclass, fields

import numpy as np
from PIL import Image
from scipy import ndimage

from shared.quality import composite

ANALYSIS_SIDE = 160
COLOR_SAMPLE_SIDE = 256  # colour statistics use every k-th pixel so that at most ~256 px remain per side
VISIBLE_ALPHA = 128
COLOR_BITS = 4  # per channel, for counting significant colours
SIGNIFICANT_SHARE = 0.005  # a colour bin counts if it holds at least 0.5 % of visible pixels
EDGE_STRENGTH = 48.0  # Sobel magnitude (grey levels) of a strong edge
SMOOTH_RANGE = (1.5, 24.0)  # Sobel magnitude of smooth shading: not flat, not an edge


@dataclass(frozen=True)
class ImageFeatures:
    width: float  # pixels
    height: float  # pixels
    aspect: float  # width / height
    log_pixels: float  # log10(width * height)
    transparent_share: float  # [0, 1] pixels with alpha < 8
    semi_transparent_share: float  # [0, 1] pixels with 8 <= alpha <= 247 (soft edges, shadows)
    opaque_share: float  # [0, 1] pixels with alpha > 247
    n_colors: float  # significant colours (4-bit bins with >= 0.5 % of visible pixels)
    palette_entropy: float  # bits, Shannon entropy of the quantized colour histogram
    top_color_share: float  # [0, 1] share of visible pixels in the most common colour bin
    top4_color_share: float  # [0, 1] share in the four most common bins
    edge_density: float  # [0, 1] share of pixels on a strong edge (any RGB channel)
    gradient_smoothness: float  # [0, 1] share of visible pixels in smooth shading (gradients)
    noise_level: float  # grey levels, robust noise sigma away from edges (high for JPEG noise)
    text_likeness: float  # [0, 1] many small components of similar height
    n_components: float  # log1p(number of foreground components)
    mean_component_area: float  # [0, 1] mean component area / image area
    is_grayscale: float  # 0 or 1: every visible pixel has channel spread < 12
    mean_saturation: float  # [0, 1] mean HSV saturation of visible pixels
    luminance_std: float  # [0, 1] std of luminance of visible pixels / 255
    fg_bbox_share: float  # [0, 1] bounding box of visible pixels / image area
    jpeg_blockiness: float  # >= 0, excess grey difference across 8 px block boundaries

    def to_vector(self) -> np.ndarray:
        return np.array([getattr(self, n) for n in FEATURE_NAMES], dtype=np.float32)

    def to_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


FEATURE_NAMES: tuple[str, ...] = tuple(f.name for f in fields(ImageFeatures))


LUMA = np.array([0.299, 0.587, 0.114], np.float32)  # Rec. 601 weights of R, G, B in luminance


def over_white_grey(rgba: np.ndarray) -> np.ndarray:
    """Luminance (0..255, float32) of the image composited over white."""
    return composite(rgba, 255.0) @ LUMA


def _downscale(rgba: np.ndarray, side: int) -> np.ndarray:
    h, w = rgba.shape[:2]
    if max(h, w) <= side:
        return rgba
    k = side / max(h, w)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    return np.asarray(Image.fromarray(rgba, "RGBA").resize(size, Image.Resampling.BOX))


def color_stats(rgba: np.ndarray) -> tuple[float, float, float, float]:
    """(n_colors, palette_entropy, top_color_share, top4_color_share) over visible pixels."""
    visible = rgba[..., 3] >= VISIBLE_ALPHA
    n = int(visible.sum())
    if n == 0:
        return 0.0, 0.0, 0.0, 0.0
    q = (rgba[visible][:, :3] >> (8 - COLOR_BITS)).astype(np.int32)
    codes = (q[:, 0] << (2 * COLOR_BITS)) | (q[:, 1] << COLOR_BITS) | q[:, 2]
    counts = np.bincount(codes, minlength=1 << (3 * COLOR_BITS)).astype(np.float64)
    p = np.sort(counts[counts > 0])[::-1] / n
    entropy = float(-(p * np.log2(p)).sum())
    return float((p >= SIGNIFICANT_SHARE).sum()), max(0.0, entropy), float(p[0]), float(p[:4].sum())


def _sobel_magnitude(channels: np.ndarray) -> np.ndarray:
    """Largest Sobel gradient magnitude over the channels of an HxWxC image, in levels per pixel x 2,
    so a hue ramp of constant luminance still counts as shading."""
    if min(channels.shape[:2]) < 3:
        return np.zeros(channels.shape[:2], np.float32)
    mags = [np.hypot(ndimage.sobel(channels[..., c], axis=0), ndimage.sobel(channels[..., c], axis=1))
            for c in range(channels.shape[2])]
    return np.max(mags, axis=0) / 4.0


def noise_sigma(grey: np.ndarray, edges: np.ndarray) -> float:
    """Immerkaer's fast noise estimate (grey levels) over pixels away from strong edges."""
    if min(grey.shape) < 3:
        return 0.0
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], np.float32)
    response = np.abs(ndimage.convolve(grey, kernel, mode="nearest"))
    calm = ~ndimage.binary_dilation(edges, iterations=2)
    if calm.sum() < 16:
        return 0.0
    return float(np.sqrt(np.pi / 2.0) * response[calm].mean() / 6.0)


def blockiness(grey: np.ndarray) -> float:
    """Mean grey difference across 8-pixel block boundaries minus that inside blocks, >= 0. Rows may be
    subsampled; columns must not be (the 8 px grid runs along them)."""
    if grey.shape[1] < 17:
        return 0.0
    diff = np.abs(np.diff(grey, axis=1))
    cols = np.arange(diff.shape[1])
    boundary, inner = diff[:, cols % 8 == 7].mean(), diff[:, cols % 8 != 7].mean()
    return float(max(0.0, boundary - inner))


def component_stats(mask: np.ndarray) -> tuple[float, float, float]:
    """(text_likeness, log1p(n_components), mean component area share) of a foreground mask."""
    labels, n = ndimage.label(mask)
    if n == 0:
        return 0.0, 0.0, 0.0
    area = mask.size
    sizes = np.bincount(labels.ravel())[1:]
    slices = ndimage.find_objects(labels)
    heights = np.array([s[0].stop - s[0].start for s in slices], np.float64)
    small = (sizes >= area * 0.0004) & (sizes <= area * 0.03)
    text = 0.0
    if small.sum() >= 3:
        h = heights[small]
        spread = float(h.std() / max(h.mean(), 1e-6))
        text = min(1.0, small.sum() / 8.0) * max(0.0, 1.0 - spread)
    return text, float(np.log1p(n)), float(sizes.mean() / area)


def compute_features(rgba: np.ndarray) -> ImageFeatures:
    """Features of an HxWx4 uint8 straight-alpha image. Finite for any size, 1x1 included."""
    h, w = rgba.shape[:2]
    alpha = rgba[..., 3]
    total = float(h * w)
    visible = alpha >= VISIBLE_ALPHA
    stride = max(1, -(-max(h, w) // COLOR_SAMPLE_SIDE))
    sample = rgba[::stride, ::stride]
    n_colors, entropy, top1, top4 = color_stats(sample)

    vis_rgb = sample[sample[..., 3] >= VISIBLE_ALPHA][:, :3].astype(np.float32)
    if len(vis_rgb):
        spread = vis_rgb.max(axis=1) - vis_rgb.min(axis=1)
        is_grey = float(spread.max() < 12)
        saturation = float((spread / np.maximum(vis_rgb.max(axis=1), 1.0)).mean())
        lum_std = float((vis_rgb @ LUMA).std() / 255.0)
        rows, cols = np.flatnonzero(visible.any(axis=1)), np.flatnonzero(visible.any(axis=0))
        bbox = float((rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1) / total)
    else:
        is_grey, saturation, lum_std, bbox = 0.0, 0.0, 0.0, 0.0

    small = _downscale(rgba, ANALYSIS_SIDE)
    rgb = composite(small, 255.0)
    grey = rgb @ LUMA
    magnitude = _sobel_magnitude(rgb)
    edges = magnitude > EDGE_STRENGTH
    small_visible = small[..., 3] >= VISIBLE_ALPHA
    near_edge = ndimage.binary_dilation(edges, iterations=1) if edges.any() else edges
    shading = (magnitude > SMOOTH_RANGE[0]) & (magnitude < SMOOTH_RANGE[1]) & ~near_edge & small_visible
    smooth = float(shading.sum() / max(1, small_visible.sum()))

    block = blockiness(over_white_grey(rgba[:: stride * 2]))
    background = _background_mask(small)
    text, n_comp, comp_area = component_stats(~background & small_visible)
    return ImageFeatures(
        width=float(w), height=float(h), aspect=float(w / h), log_pixels=float(np.log10(total)),
        transparent_share=float((alpha < 8).sum() / total),
        semi_transparent_share=float(((alpha >= 8) & (alpha <= 247)).sum() / total),
        opaque_share=float((alpha > 247).sum() / total),
        n_colors=n_colors, palette_entropy=entropy, top_color_share=top1, top4_color_share=top4,
        edge_density=float(edges.mean()), gradient_smoothness=smooth,
        noise_level=noise_sigma(grey, edges), text_likeness=text, n_components=n_comp,
        mean_component_area=comp_area, is_grayscale=is_grey, mean_saturation=saturation,
        luminance_std=lum_std, fg_bbox_share=bbox, jpeg_blockiness=block,
    )


def _background_mask(rgba: np.ndarray) -> np.ndarray:
    """Pixels of the background: transparent ones, plus those close to the dominant border colour when
    the border is opaque (a logo on a coloured plate)."""
    transparent = rgba[..., 3] < VISIBLE_ALPHA
    border = np.concatenate([rgba[0], rgba[-1], rgba[:, 0], rgba[:, -1]])
    opaque_border = border[border[:, 3] >= VISIBLE_ALPHA]
    if len(opaque_border) < len(border) // 2:
        return transparent
    ref = np.median(opaque_border[:, :3].astype(np.float32), axis=0)
    close = np.abs(rgba[..., :3].astype(np.float32) - ref).max(axis=-1) < 24
    return transparent | close
