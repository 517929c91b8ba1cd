"""A JPEG's subsampled chroma bleeds into the colour around a coloured stroke as a band with that colour's
luma; the clean-up's palette leaves it out (shared/halos.py, `chroma_bands`) and keeps real colours."""

import numpy as np

from shared.damage import estimate
from shared.halos import CHROMA_BAND_CHROMA, CHROMA_BAND_LUMA, chroma_bands, ycbcr
from shared.images import decode_image
from shared.palette import robust_palette, snap_labels, stroke_colours
from shared.shading import calm_pixels
from tests.image_files import jpeg_bytes

GREEN = (139.0, 201.0, 38.0)
RED = (230.0, 57.0, 70.0)


def text_on_plate(side: int = 96, plate_size: float = 0.8) -> np.ndarray:
    """A green plate on white with red strokes 2 px wide on it (an "E" and two bars), 4x4 supersampled."""
    ys, xs = np.mgrid[0 : side * 4, 0 : side * 4] / 4.0
    half = side * plate_size / 2
    plate = (np.abs(xs - side / 2) < half) & (np.abs(ys - side / 2) < half * 0.6)
    strokes = np.zeros_like(plate)
    for x in (0.3, 0.45, 0.6, 0.7):
        strokes |= (np.abs(xs - side * x) < 1.0) & (np.abs(ys - side / 2) < side * 0.15)
    for y in (0.35, 0.5, 0.65):
        strokes |= (np.abs(ys - side * y) < 1.0) & (xs > side * 0.3) & (xs < side * 0.45)
    rgb = np.where(strokes[..., None], RED, np.where(plate[..., None], GREEN, 255.0))
    rgb = rgb.reshape(side, 4, side, 4, 3).mean(axis=(1, 3))
    return np.dstack([np.round(rgb).astype(np.uint8), np.full((side, side), 255, np.uint8)])


def bands_of(palette: np.ndarray, colour: tuple[float, float, float]) -> list[np.ndarray]:
    """The palette colours other than `colour` itself with its luma and near its chroma."""
    own = ycbcr(np.array(colour))[0]
    found = ycbcr(palette)
    return [c for c, f in zip(palette, found, strict=True)
            if abs(f[0] - own[0]) <= CHROMA_BAND_LUMA
            and 3.0 < np.linalg.norm(f[1:] - own[1:]) <= CHROMA_BAND_CHROMA]


def test_the_band_a_jpeg_bleeds_into_a_plate_is_no_colour() -> None:
    damaged = decode_image(jpeg_bytes(text_on_plate(), 60))
    palette = estimate(damaged.rgba, damaged.format).palette
    assert not bands_of(palette, GREEN)
    assert len(palette) == 3  # white, green, red
    labels = snap_labels(damaged.rgba, palette)
    assert np.bincount(labels.ravel(), minlength=3).min() > 0


def test_a_band_in_the_palette_is_dropped_and_a_wide_area_of_its_colour_is_kept() -> None:
    clean = text_on_plate()
    damaged = decode_image(jpeg_bytes(clean, 60)).rgba
    palette = stroke_colours(damaged, robust_palette(calm_pixels(damaged)))
    band = bands_of(palette, GREEN)
    assert len(band) == 1, "the bleed is common enough to be a calm colour"
    kept = chroma_bands(damaged, palette)
    assert not bands_of(kept, GREEN) and len(kept) == len(palette) - 1
    wide = clean.copy()
    wide[20:76, 20:40, :3] = band[0]  # a wide area in the band's colour: a colour of the logo
    kept = chroma_bands(decode_image(jpeg_bytes(wide, 60)).rgba, palette)
    assert any((colour == band[0]).all() for colour in kept)
