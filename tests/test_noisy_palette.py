"""A noisy image's one ink split in two by the palette's clustering is merged back (shared/palette.py,
`merged_unimodal`); two inks with a gap between their pixels stay apart; a scan of a one-colour icon is
cleaned to that one colour."""

import numpy as np
from scipy import ndimage

from shared.damage import clean_up, estimate
from shared.palette import merged_unimodal

GREEN = np.array([24.0, 128.0, 56.0])


def _pixels(centres: list[np.ndarray], sigma: float, n: int = 4000) -> np.ndarray:
    rng = np.random.default_rng(5)
    blobs = [centre + rng.normal(0, sigma, (n, 3)) for centre in centres]
    return np.clip(np.round(np.vstack(blobs)), 0, 255).astype(np.uint8)


def test_one_noisy_ink_split_in_two_is_merged() -> None:
    pixels = _pixels([GREEN], sigma=9.0)
    split = np.array([[24, 138, 56], [24, 116, 58]], np.uint8)  # two clusters ~ΔE 9 apart on one blob
    assert merged_unimodal(split, pixels).tolist() == [[24, 138, 56]]


def test_two_inks_with_a_gap_between_them_stay_apart() -> None:
    other = np.array([24.0, 160.0, 56.0])  # ~ΔE 14 from GREEN
    pixels = _pixels([GREEN, other], sigma=3.0)
    palette = np.array([GREEN, other], np.uint8)
    assert merged_unimodal(palette, pixels).tolist() == palette.tolist()


def test_a_scan_of_a_one_colour_icon_is_cleaned_to_one_ink() -> None:
    side = 160
    ys, xs = np.mgrid[0:side, 0:side]
    ring = (np.abs(np.hypot(xs - 80, ys - 80) - 45) < 9) | ((np.abs(xs - 80) < 6) & (np.abs(ys - 80) < 30))
    rgb = np.where(ring[..., None], GREEN, 255.0)
    rng = np.random.default_rng(7)
    noisy = np.clip(np.round(rgb + rng.normal(0, 9.0, rgb.shape)), 0, 255).astype(np.uint8)
    rgba = np.dstack([noisy, np.full((side, side), 255, np.uint8)])
    found = estimate(rgba)
    assert found.kind == "damaged" and found.noise >= 1.0
    cleaned, _, _ = clean_up(rgba, found)
    inked = cleaned[..., :3][ring & ~_edge(ring)]
    assert len(np.unique(inked.reshape(-1, 3), axis=0)) == 1  # one ink, no specks of a second green


def _edge(mask: np.ndarray) -> np.ndarray:
    """Pixels of `mask` within 2 px of its outside."""
    return mask & ~ndimage.binary_erosion(mask, iterations=2)
