"""Damaged copies of the clean dev images, each with its clean source kept as the reference (issue 16).

Kinds (one copy of each per clean 256 px image, deterministic per source):
- `jpeg`: composited on white, JPEG quality 35-85, same size as the clean image;
- `favicon`: downscaled (Lanczos, alpha kept) to 32-128 px, saved as PNG;
- `small_jpeg`: downscaled to 32-128 px, composited on white, JPEG quality 50-85;
- `scan`: composited on white, Gaussian blur (sigma 0.6-1.5 px) and Gaussian noise (sigma 3-10 grey
  levels), saved as PNG.

`bench.dataset` writes the copies to data/dev/damaged/<kind>/ and lists them in data/dev/damaged.jsonl
beside the dev manifest; `clean_reference` is the image a result is scored against
(`bench.quality.ssim_clean`).
"""

import hashlib
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageFilter

from bench.synthetic import jpeg_bytes, on_white

DAMAGE_KINDS = ("jpeg", "favicon", "small_jpeg", "scan")
SMALL_SIDES = (32, 48, 64, 96, 128)
MANIFEST = "damaged.jsonl"


@dataclass(frozen=True)
class Damaged:
    """One damaged file: encoded bytes, whether it is opaque, and the settings that made it."""

    data: bytes
    ext: str
    side: int
    opaque: bool
    settings: dict[str, float | int]


@dataclass(frozen=True)
class DamagedImage:
    """A row of damaged.jsonl. `clean` is the clean dev PNG it was made from (the reference), `size` the
    damaged copy's side in pixels and `clean_size` the clean one's."""

    path: Path
    kind: str
    category: str
    source: str
    clean: Path
    clean_size: int
    size: int
    opaque: bool
    split: str
    settings: dict[str, float | int]


def _png(array: np.ndarray, mode: str) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array, mode).save(buf, "PNG", compress_level=6)
    return buf.getvalue()


def downscale(rgba: np.ndarray, side: int) -> np.ndarray:
    """Lanczos reduction to side x side (Pillow premultiplies alpha for RGBA, so edges keep their colour)."""
    return np.asarray(Image.fromarray(rgba, "RGBA").resize((side, side), Image.Resampling.LANCZOS))


def upscale_bicubic(rgba: np.ndarray, side: int) -> np.ndarray:
    """The damaged raster itself brought to the clean size: the baseline a vector result must beat."""
    if rgba.shape[0] == side and rgba.shape[1] == side:
        return rgba
    return np.asarray(Image.fromarray(rgba, "RGBA").resize((side, side), Image.Resampling.BICUBIC))


def blur_and_noise(rgb: np.ndarray, blur_sigma: float, noise_sigma: float,
                   rng: np.random.Generator) -> np.ndarray:
    """Gaussian blur (sigma in pixels), then additive Gaussian noise (sigma in grey levels), clipped."""
    image = Image.fromarray(rgb, "RGB").filter(ImageFilter.GaussianBlur(blur_sigma))
    blurred = np.asarray(image, np.float32)
    noisy = blurred + rng.normal(0.0, noise_sigma, blurred.shape).astype(np.float32)
    return np.clip(noisy.round(), 0, 255).astype(np.uint8)


def damage(kind: str, rgba: np.ndarray, rng: np.random.Generator) -> Damaged:
    """A damaged copy of the clean straight-alpha RGBA image; the same rng state gives the same bytes."""
    side = rgba.shape[0]
    if kind == "jpeg":
        quality = int(rng.integers(35, 86))
        return Damaged(jpeg_bytes(on_white(rgba), quality), "jpg", side, True, {"quality": quality})
    smaller = [s for s in SMALL_SIDES if s < side] or [side]  # downscaling never enlarges
    if kind == "favicon":
        small = int(rng.choice(smaller))
        return Damaged(_png(downscale(rgba, small), "RGBA"), "png", small, False, {"side": small})
    if kind == "small_jpeg":
        small, quality = int(rng.choice(smaller)), int(rng.integers(50, 86))
        data = jpeg_bytes(on_white(downscale(rgba, small)), quality)
        return Damaged(data, "jpg", small, True, {"side": small, "quality": quality})
    if kind == "scan":
        blur, noise = round(float(rng.uniform(0.6, 1.5)), 2), round(float(rng.uniform(3.0, 10.0)), 1)
        scanned = blur_and_noise(on_white(rgba), blur, noise, rng)
        return Damaged(_png(scanned, "RGB"), "png", side, True, {"blur_sigma": blur, "noise_sigma": noise})
    raise ValueError(f"unknown damage kind {kind!r}; known: {', '.join(DAMAGE_KINDS)}")


def damage_seed(source: str, kind: str) -> int:
    """A seed per (source, kind), so adding kinds or images never changes the existing copies."""
    return int.from_bytes(hashlib.sha256(f"{source}|{kind}".encode()).digest()[:8], "little")


def damaged_copies(clean_rows: list[dict[str, Any]], clean: dict[str, np.ndarray],
                   kinds: tuple[str, ...] = DAMAGE_KINDS) -> list[tuple[str, bytes, dict[str, Any]]]:
    """(relative path, file bytes, damaged.jsonl row) for a damaged copy of every clean image of each kind.
    `clean_rows` are dev-manifest rows; `clean` maps their source ids to the clean RGBA."""
    out: list[tuple[str, bytes, dict[str, Any]]] = []
    for row in clean_rows:
        name = re.sub(r"[^a-z0-9_-]+", "_", row["source"].lower())
        for kind in kinds:
            made = damage(kind, clean[row["source"]], np.random.default_rng(damage_seed(row["source"], kind)))
            rel = f"damaged/{kind}/{name}.{made.ext}"
            out.append((rel, made.data, {
                "path": rel, "kind": kind, "category": row["category"], "source": row["source"],
                "clean": row["path"], "clean_size": row["size"], "size": made.side, "opaque": made.opaque,
                "split": row["split"], "settings": made.settings}))
    return out


def load_damaged(root: Path) -> list[DamagedImage]:
    rows = [json.loads(line) for line in (root / MANIFEST).read_text().splitlines() if line]
    return [DamagedImage(**{**r, "path": (root / r["path"]).resolve(),
                            "clean": (root / r["clean"]).resolve()}) for r in rows]


def clean_reference(image: DamagedImage) -> np.ndarray:
    """The clean source a result is scored against, at the clean size: over white where the damaged copy
    is opaque (JPEG, scan: the transparency was lost, white is what it stood on), as it is otherwise."""
    rgba = np.asarray(Image.open(image.clean).convert("RGBA"))
    if not image.opaque:
        return rgba
    white = np.full_like(rgba, 255)
    white[..., :3] = on_white(rgba)
    return white
