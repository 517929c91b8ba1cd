"""Known feature values on constructed images."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from shared.features import FEATURE_NAMES, compute_features
from tests.conftest import disc


def opaque(rgb: np.ndarray) -> np.ndarray:
    return np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)]).astype(np.uint8)


def test_fully_transparent_image() -> None:
    f = compute_features(np.zeros((64, 64, 4), np.uint8))
    assert f.transparent_share == 1.0 and f.n_colors == 0 and f.fg_bbox_share == 0
    assert np.isfinite(f.to_vector()).all()


def test_two_flat_halves() -> None:
    rgb = np.zeros((64, 64, 3), np.uint8)
    rgb[:, :32] = (220, 20, 20)
    rgb[:, 32:] = (20, 20, 220)
    f = compute_features(opaque(rgb))
    assert f.n_colors == 2 and f.top_color_share == pytest.approx(0.5, abs=0.02)
    assert f.palette_entropy == pytest.approx(1.0, abs=0.02)
    assert f.opaque_share == 1.0 and f.transparent_share == 0.0 and f.fg_bbox_share == 1.0


def test_flat_image_has_no_edges_or_shading() -> None:
    f = compute_features(opaque(np.full((64, 64, 3), 90, np.uint8)))
    assert f.edge_density == 0 and f.gradient_smoothness == 0 and f.noise_level == 0
    assert f.is_grayscale == 1 and f.n_colors == 1


def test_linear_gradient_is_smooth_and_many_coloured() -> None:
    ramp = np.tile(np.linspace(0, 255, 256, dtype=np.uint8), (64, 1))
    f = compute_features(opaque(np.dstack([ramp, 255 - ramp, np.full_like(ramp, 128)])))
    assert f.gradient_smoothness > 0.5 and f.n_colors > 8 and f.is_grayscale == 0


def test_noise_and_jpeg_blocks_are_detected() -> None:
    clean = opaque(np.full((128, 128, 3), 120, np.uint8))
    rng = np.random.default_rng(0)
    noisy = clean.copy()
    noisy[..., :3] = np.clip(120 + rng.normal(0, 10, (128, 128, 3)), 0, 255).astype(np.uint8)
    assert compute_features(noisy).noise_level > compute_features(clean).noise_level + 3
    on_white = Image.new("RGBA", (128, 128), (255, 255, 255, 255))
    on_white.alpha_composite(Image.fromarray(disc(128, 50.0, (200, 60, 30)), "RGBA"))
    art = np.asarray(on_white)
    buf = io.BytesIO()
    on_white.convert("RGB").save(buf, "JPEG", quality=30)
    jpeg = np.asarray(Image.open(buf).convert("RGBA"))
    assert compute_features(jpeg).jpeg_blockiness > compute_features(art).jpeg_blockiness


def test_text_is_more_text_like_than_a_disc() -> None:
    im = Image.new("RGBA", (256, 96), (0, 0, 0, 0))
    font = ImageFont.load_default(size=40)
    ImageDraw.Draw(im).text((8, 20), "Hello logo", fill=(20, 20, 20, 255), font=font)
    text = compute_features(np.asarray(im))
    assert text.text_likeness > compute_features(disc(96, 40.0)).text_likeness
    assert text.text_likeness > 0.3


def test_soft_edges_and_size_features() -> None:
    f = compute_features(disc(64, 20.0))
    assert 0 < f.semi_transparent_share < 0.1 and f.width == 64 and f.aspect == 1.0
    assert f.log_pixels == pytest.approx(np.log10(64 * 64))


@pytest.mark.parametrize("shape", [(1, 1), (1, 40), (40, 1), (2, 3)])
def test_degenerate_sizes_are_finite(shape: tuple[int, int]) -> None:
    rgba = np.full((*shape, 4), 200, np.uint8)
    vector = compute_features(rgba).to_vector()
    assert vector.shape == (len(FEATURE_NAMES),) and np.isfinite(vector).all()


def test_vector_order_and_determinism() -> None:
    f = compute_features(disc())
    assert list(f.to_dict()) == list(FEATURE_NAMES)
    assert np.array_equal(f.to_vector(), compute_features(disc()).to_vector())
