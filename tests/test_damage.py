import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFilter

from bench.damage import (
    DAMAGE_KINDS,
    SMALL_SIDES,
    DamagedImage,
    blur_and_noise,
    clean_reference,
    damage,
    damaged_copies,
    upscale_bicubic,
)
from bench.synthetic import on_white, shapes_logo


def clean_logo(size: int = 128, seed: int = 4) -> np.ndarray:
    """A generated logo with transparent ground (seed 4 draws no plate at 128 px)."""
    rgba = shapes_logo(np.random.default_rng(seed), size)
    assert (rgba[..., 3] == 0).any() and (rgba[..., 3] == 255).any()
    return rgba


def decode(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data))


@pytest.mark.parametrize("kind", DAMAGE_KINDS)
def test_damage_is_deterministic_per_seed(kind: str) -> None:
    rgba = clean_logo()
    a, b = (damage(kind, rgba, np.random.default_rng(7)) for _ in range(2))
    assert a == b
    others = [damage(kind, rgba, np.random.default_rng(seed)) for seed in range(8, 14)]
    assert any(o.data != a.data for o in others), "the seed changes the damage"


def test_jpeg_is_a_jpeg_on_white_at_the_clean_size() -> None:
    rgba = clean_logo()
    made = damage("jpeg", rgba, np.random.default_rng(1))
    im = decode(made.data)
    assert im.format == "JPEG" and im.mode == "RGB" and im.size == (128, 128)
    assert made.opaque and made.side == 128 and 35 <= made.settings["quality"] <= 85
    error = np.abs(np.asarray(im, np.float32) - on_white(rgba)).mean()
    assert 0.2 < error < 12, "close to the logo on white, but lossy"


def test_favicon_is_a_small_png_that_keeps_alpha() -> None:
    rgba = clean_logo()
    made = damage("favicon", rgba, np.random.default_rng(2))
    im = decode(made.data)
    assert im.format == "PNG" and im.mode == "RGBA"
    assert made.side in SMALL_SIDES and im.size == (made.side, made.side) and not made.opaque
    alpha = np.asarray(im)[..., 3]
    assert (alpha == 0).any() and (alpha == 255).any()


def test_small_jpeg_is_small_and_opaque() -> None:
    made = damage("small_jpeg", clean_logo(), np.random.default_rng(3))
    im = decode(made.data)
    assert im.format == "JPEG" and im.size == (made.side, made.side) and made.side in SMALL_SIDES
    assert made.opaque and 50 <= made.settings["quality"] <= 85


def test_scan_is_blurred_and_noisy() -> None:
    rgba = clean_logo()
    made = damage("scan", rgba, np.random.default_rng(4))
    scanned = np.asarray(decode(made.data), np.float32)
    assert scanned.shape == (128, 128, 3) and made.opaque
    sigma = made.settings["noise_sigma"]
    assert 3 <= sigma <= 10 and 0.6 <= made.settings["blur_sigma"] <= 1.5
    ground = Image.fromarray((rgba[..., 3] == 0).astype(np.uint8) * 255)
    flat_white = np.asarray(ground.filter(ImageFilter.MinFilter(13))) == 255  # 6 px from any shape
    noise = scanned[flat_white] - 255.0  # white ground far from shapes: what is left is the noise
    assert flat_white.sum() > 500
    # clipped at 255, so half the noise is cut off; the spread still follows sigma
    assert 0.3 * sigma < float(np.sqrt(np.mean(noise**2))) < 1.2 * sigma


def test_blur_without_noise_only_softens() -> None:
    rgb = on_white(clean_logo())
    blurred = blur_and_noise(rgb, 1.0, 0.0, np.random.default_rng(0))
    assert blurred.shape == rgb.shape and not np.array_equal(blurred, rgb)
    assert np.abs(blurred.astype(int) - rgb).mean() < 10


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown damage kind"):
        damage("rotation", clean_logo(), np.random.default_rng(0))


def test_copies_depend_on_source_and_kind_only() -> None:
    rows = [{"path": "256/shapes/000.png", "category": "shapes", "source": "generated:shapes:0", "size": 128,
             "split": "train"}]
    clean = {"generated:shapes:0": clean_logo()}
    every = {rel: data for rel, data, _ in damaged_copies(rows, clean)}
    assert len(every) == len(DAMAGE_KINDS)
    only_scan = damaged_copies(rows, clean, ("scan",))
    assert every[only_scan[0][0]] == only_scan[0][1]
    row = only_scan[0][2]
    assert row["clean"] == "256/shapes/000.png" and row["clean_size"] == 128 and row["opaque"] is True


def write_damaged(tmp_path: Path, kind: str, rgba: np.ndarray) -> DamagedImage:
    clean_path = tmp_path / "clean.png"
    Image.fromarray(rgba, "RGBA").save(clean_path)
    made = damage(kind, rgba, np.random.default_rng(0))
    path = tmp_path / f"{kind}.{made.ext}"
    path.write_bytes(made.data)
    return DamagedImage(path, kind, "shapes", "generated:shapes:0", clean_path, rgba.shape[0], made.side,
                        made.opaque, "holdout", made.settings)


def test_clean_reference_is_on_white_for_opaque_copies(tmp_path: Path) -> None:
    rgba = clean_logo()
    reference = clean_reference(write_damaged(tmp_path, "jpeg", rgba))
    assert (reference[..., 3] == 255).all()
    assert np.array_equal(reference[..., :3], on_white(rgba))


def test_clean_reference_keeps_alpha_for_favicons(tmp_path: Path) -> None:
    rgba = clean_logo()
    assert np.array_equal(clean_reference(write_damaged(tmp_path, "favicon", rgba)), rgba)


def test_upscale_brings_a_small_copy_to_the_clean_size() -> None:
    small = np.zeros((32, 32, 4), np.uint8)
    assert upscale_bicubic(small, 256).shape == (256, 256, 4)
    big = clean_logo()
    assert upscale_bicubic(big, 128) is big
