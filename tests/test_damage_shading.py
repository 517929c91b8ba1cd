"""A JPEG of a gradient logo on a wide white ground keeps its shading through the clean-up
(shared/damage.py: `shaded(..., on_ground=True)`), where a flat logo of as many colours is snapped; so
does a small clean logo whose gradient covers a fifth of it (`interior_shaded`)."""

import numpy as np

from shared.damage import clean_up, estimate
from shared.images import decode_image
from shared.shading import interior_shaded, shaded
from tests.image_files import jpeg_bytes


def disc_on_white(side: int, paint: np.ndarray, radius: float | None = None) -> np.ndarray:
    """A disc of radius side/4 (so the white ground is over 80 % of the image) or `radius` painted with
    `paint` (side x side x 3 float RGB, or 4 side x 4 side for detail finer than a pixel), anti-aliased
    (4x4 supersampled), opaque."""
    ys, xs = np.mgrid[0 : side * 4, 0 : side * 4] / 4.0
    inside = np.hypot(xs - side / 2, ys - side / 2) < (side / 4 if radius is None else radius)
    big = paint if paint.shape[0] == side * 4 else np.repeat(np.repeat(paint, 4, axis=0), 4, axis=1)
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
    cleaned, notes, snapped = clean_up(damaged.rgba, found)
    assert any("shaded colours kept" in n for n in notes) and not snapped
    inside = cleaned[96:160, 96:160, :3].reshape(-1, 3)
    assert len(np.unique(inside, axis=0)) > 50  # a ramp, not a few bands


def test_a_flat_logo_of_four_colours_on_white_is_snapped() -> None:
    damaged = decode_image(jpeg_bytes(disc_on_white(256, four_bands(256)), 70))
    found = estimate(damaged.rgba, damaged.format)
    assert found.kind == "damaged" and len(found.palette) >= 4
    assert not shaded(damaged.rgba, found.palette, on_ground=True)
    cleaned, notes, snapped = clean_up(damaged.rgba, found)
    assert not any("shaded" in n for n in notes) and snapped
    inside = cleaned[100:156, 100:156, :3].reshape(-1, 3)
    assert len(np.unique(inside, axis=0)) < 20


def test_a_small_logo_whose_gradient_is_a_fifth_of_it_keeps_its_shading_when_upscaled() -> None:
    favicon = disc_on_white(128, diagonal_gradient(128), radius=36)  # the disc: a quarter of the pixels
    found = estimate(favicon)
    assert found.kind == "clean"
    assert not shaded(favicon, found.palette)  # most calm pixels are the white ground, on the palette
    assert interior_shaded(favicon, found.palette)
    cleaned, notes, snapped = clean_up(favicon, found)
    assert any("upscaled" in n for n in notes) and not snapped
    painted = disc_on_white(256, diagonal_gradient(256), radius=72)  # the same logo drawn at 256 px
    middle = (slice(96, 160), slice(96, 160))
    assert np.abs(cleaned[middle].astype(int) - painted[middle]).max() <= 4  # the ramp, not bands


def test_a_small_flat_logo_is_snapped_when_upscaled() -> None:
    ys, xs = np.mgrid[0:512, 0:512] / 4.0  # 128 px, 4x4 supersampled
    colours = np.array([[200.0, 30, 40], [30, 120, 200], [240, 200, 20]])
    stripes = colours[((xs * 0.6 + ys) // 4.3 % 3).astype(int)]  # slanted stripes: anti-aliased edges
    favicon = disc_on_white(128, stripes, radius=40)
    found = estimate(favicon)
    assert not interior_shaded(favicon, found.palette)
    _, notes, snapped = clean_up(favicon, found)
    assert any("upscaled" in n for n in notes) and snapped
