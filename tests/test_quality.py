import numpy as np
import pytest

from shared.quality import PSNR_CAP_DB, alpha_aware_ssim, composite, count_shapes, measure
from tests.conftest import flat_square

SQUARE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64">'
    '<rect x="16" y="16" width="32" height="32" fill="#145ac8"/></svg>'
)


def test_identical_images_score_one(disc_rgba: np.ndarray) -> None:
    ssim, white, black = alpha_aware_ssim(disc_rgba, disc_rgba.copy())
    assert ssim == pytest.approx(1.0) and white == pytest.approx(1.0) and black == pytest.approx(1.0)


def test_exact_svg_of_a_flat_square_scores_one() -> None:
    figures = measure(SQUARE_SVG, flat_square(64, (20, 90, 200)))
    assert figures.ssim > 0.999 and figures.psnr == PSNR_CAP_DB
    assert figures.paths == 1 and figures.bytes == len(SQUARE_SVG)
    assert figures.gzip_bytes > 0


def test_dropping_transparency_is_penalised() -> None:
    """A white backdrop behind a transparent logo looks right over white and wrong over black."""
    square = flat_square(64, (20, 90, 200))
    with_backdrop = SQUARE_SVG.replace("<rect", '<rect width="64" height="64" fill="#fff"/><rect', 1)
    figures = measure(with_backdrop, square)
    assert figures.ssim_white > 0.99
    assert figures.ssim_black < 0.5
    assert figures.ssim == figures.ssim_black


def test_composite_uses_straight_alpha() -> None:
    px = np.array([[[255, 0, 0, 128]]], np.uint8)
    assert composite(px, 0.0)[0, 0, 0] == pytest.approx(128.0)
    assert composite(px, 255.0)[0, 0, 1] == pytest.approx(127.0)


def test_tiny_images_get_a_finite_ssim() -> None:
    one = np.array([[[10, 20, 30, 255]]], np.uint8)
    assert alpha_aware_ssim(one, one)[0] == pytest.approx(1.0)
    other = np.array([[[250, 20, 30, 255]]], np.uint8)
    assert alpha_aware_ssim(one, other)[0] < 0.9


def test_shape_count_covers_every_shape_element() -> None:
    svg = "<svg><path d=''/><rect/><circle/><ellipse/><polygon/><polyline/><line/><g/><pathx/></svg>"
    assert count_shapes(svg) == 7


def test_shape_mismatch_is_an_error(disc_rgba: np.ndarray) -> None:
    with pytest.raises(ValueError, match="shape"):
        alpha_aware_ssim(disc_rgba, disc_rgba[:10])


def test_opaque_images_are_scored_once_with_the_same_figures_as_over_both_backgrounds() -> None:
    from skimage.metrics import structural_similarity

    from shared.quality import alpha_aware_psnr, alpha_aware_ssim, composite

    rng = np.random.default_rng(3)
    reference = rng.integers(0, 256, (40, 50, 4), dtype=np.uint8)
    reference[..., 3] = 255
    candidate = reference.copy()
    candidate[10:20, 5:30, :3] = 17
    ssim, white, black = alpha_aware_ssim(reference, candidate)
    expected = structural_similarity(composite(reference, 0.0), composite(candidate, 0.0), channel_axis=-1,
                                     data_range=255.0)
    assert white == black == ssim == pytest.approx(expected, abs=1e-7)
    assert ssim < 0.99
    assert 0 < alpha_aware_psnr(reference, candidate) < 100
    candidate[:8, :8, 3] = 100  # a translucent corner: both backgrounds are scored again
    assert alpha_aware_ssim(reference, candidate)[1] != alpha_aware_ssim(reference, candidate)[2]
