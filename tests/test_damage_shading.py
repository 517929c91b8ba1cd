"""A JPEG of a gradient logo on a wide white ground keeps its shading through the clean-up
(shared/damage.py: `shaded(..., on_ground=True)`), where a flat logo of as many colours is snapped."""

import numpy as np

from shared.damage import clean_up, estimate, shaded
from shared.images import decode_image
from tests.image_files import jpeg_bytes


def disc_on_white(side: int, paint: np.ndarray) -> np.ndarray:
    """A disc of radius side/4 (so the white ground is over 80 % of the image) painted with `paint`
    (side x side x 3 float RGB), anti-aliased (4x4 supersampled), opaque."""
    ys, xs = np.mgrid[0 : side * 4, 0 : side * 4] / 4.0
    inside = np.hypot(xs - side / 2, ys - side / 2) < side / 4
    big = np.repeat(np.repeat(paint, 4, axis=0), 4, axis=1)
    rgb = np.where(inside[..., None], big, 255.0).reshape(side, 4, side, 4, 3).mean(axis=(1, 3))
    return np.dstack([np.round(rgb).astype(np.uint8), np.full((side, side), 255, np.uint8)])


def diagonal_gradient(side: int) -> np.ndarray:
    t = (np.add.outer(np.arange(side), np.arange(side)) / (2.0 * side - 2))[..., None]
    return (1 - t) * np.array([120.0, 190.0, 60.0]) + t * np.array([60.0, 110.0, 170.0])


def four_bands(side: int) -> np.ndarray:
    colours = np.array([[200.0, 30, 40], [30, 120, 200], [240, 200, 20], [40, 40, 40]])
    band = np.clip((np.arange(side) - side // 4) * 8 // side, 0, 3)  # four bands across the disc
    return np.repeat(colours[band][:, None, :], side, axis=1)


def test_a_gradient_disc_on_white_is_shaded_only_off_its_ground() -> None:
    damaged = decode_image(jpeg_bytes(disc_on_white(256, diagonal_gradient(256)), 70))
    found = estimate(damaged.rgba, damaged.format)
    assert found.kind == "damaged" and len(found.palette) >= 4
    assert not shaded(damaged.rgba, found.palette)  # the ground is most of the calm pixels
    assert shaded(damaged.rgba, found.palette, on_ground=True)
    cleaned, notes = clean_up(damaged.rgba, found)
    assert any("shaded colours kept" in n for n in notes)
    inside = cleaned[96:160, 96:160, :3].reshape(-1, 3)
    assert len(np.unique(inside, axis=0)) > 50  # a ramp, not a few bands


def test_a_flat_logo_of_four_colours_on_white_is_snapped() -> None:
    damaged = decode_image(jpeg_bytes(disc_on_white(256, four_bands(256)), 70))
    found = estimate(damaged.rgba, damaged.format)
    assert found.kind == "damaged" and len(found.palette) >= 4
    assert not shaded(damaged.rgba, found.palette, on_ground=True)
    cleaned, notes = clean_up(damaged.rgba, found)
    assert not any("shaded" in n for n in notes)
    inside = cleaned[100:156, 100:156, :3].reshape(-1, 3)
    assert len(np.unique(inside, axis=0)) < 20
