"""Thin strokes keep their colour through a damaged copy's clean-up, without the pale band JPEG bleeds
around them, and a JPEG's ground and its shades of their own are no ringing (shared/palette.py:
stroke_colours; shared/halos.py: drop_halos, ground_colour)."""

import numpy as np
from PIL import Image
from skimage.color import rgb2lab

from shared.damage import clean_up, estimate
from shared.halos import drop_halos, ground_colour
from shared.images import decode_image
from shared.palette import robust_palette, stroke_colours
from shared.pipeline import convert_bytes
from shared.quality import alpha_aware_ssim
from shared.render import render_svg
from shared.shading import calm_pixels
from tests.image_files import jpeg_bytes

YELLOW = np.array([245.0, 200.0, 40.0])
GREEN = np.array([140.0, 200.0, 40.0])


def thin_lines_on_white(side: int, width_px: float, colour: np.ndarray = YELLOW) -> np.ndarray:
    """Three horizontal and one vertical line `width_px` wide on white, 4x4 supersampled (an "E")."""
    ys, xs = np.mgrid[0 : side * 4, 0 : side * 4] / 4.0
    half = width_px / 2
    left, right = side * 0.3, side * 0.7
    inside = (np.abs(xs - left) < half) & (ys > side * 0.2) & (ys < side * 0.8)
    for y in (0.2, 0.5, 0.8):
        inside |= (np.abs(ys - side * y) < half) & (xs > left - half) & (xs < right)
    rgb = np.where(inside[..., None], colour, 255.0).reshape(side, 4, side, 4, 3).mean(axis=(1, 3))
    return np.dstack([np.round(rgb).astype(np.uint8), np.full((side, side), 255, np.uint8)])


def delta_e(a: np.ndarray, b: np.ndarray) -> float:
    lab = rgb2lab(np.stack([a, b]).reshape(1, 2, 3) / 255.0).reshape(2, 3)
    return float(np.linalg.norm(lab[0] - lab[1]))


def test_a_thin_stroke_missing_from_the_calm_palette_is_added() -> None:
    clean = thin_lines_on_white(96, 2.0)
    damaged = decode_image(jpeg_bytes(clean, 60))
    calm = robust_palette(calm_pixels(damaged.rgba))
    assert min(delta_e(c.astype(float), YELLOW) for c in calm) > 30, "every stroke pixel is an edge"
    found = estimate(damaged.rgba, damaged.format)
    assert found.kind == "damaged"
    assert min(delta_e(c.astype(float), YELLOW) for c in found.palette) < 20
    cleaned, _, _ = clean_up(damaged.rgba, found)  # upscaled 2.7x: under UPSCALE_BELOW px
    height, width = cleaned.shape[:2]
    mask = Image.fromarray(clean[..., 2] < 128).resize((width, height), Image.Resampling.NEAREST)
    stroke = np.asarray(mask)
    yellowish = cleaned[..., 2] < 150  # white and the pale calm tints have blue >= 199
    assert yellowish[stroke].mean() > 0.5 and yellowish[~stroke].mean() < 0.1


def test_flat_colours_and_their_mixes_add_no_stroke_colour() -> None:
    ys, xs = np.mgrid[0:800, 0:800] / 4.0  # a red disc on white, anti-aliased
    inside = (xs - 100) ** 2 + (ys - 100) ** 2 < 70**2
    rgb = np.where(inside[..., None], np.array([220.0, 30.0, 40.0]), 255.0).reshape(200, 4, 200, 4, 3)
    clean = np.dstack([np.round(rgb.mean(axis=(1, 3))).astype(np.uint8), np.full((200, 200), 255, np.uint8)])
    damaged = decode_image(jpeg_bytes(clean, 35))
    calm = robust_palette(calm_pixels(damaged.rgba))
    assert len(stroke_colours(damaged.rgba, calm)) == len(calm)


def test_specks_under_the_minimum_area_add_no_colour() -> None:
    rgba = np.full((64, 64, 4), 255, np.uint8)
    rgba[10:12, 10:12, :3] = (0, 90, 200)  # 4 px: a speck, not a stroke
    rgba[40:43, 50:53, :3] = (0, 90, 200)  # 9 px
    palette = np.array([[255, 255, 255]], np.uint8)
    assert len(stroke_colours(rgba, palette)) == 1
    rgba[30, 5:60, :3] = (0, 90, 200)  # a 55 px line
    grown = stroke_colours(rgba, palette)
    assert len(grown) == 2 and delta_e(grown[1].astype(float), np.array([0.0, 90.0, 200.0])) < 5


def plate_logo(side: int = 120) -> np.ndarray:
    """A dark blue square on a wide pale blue plate on white, 4x4 supersampled."""
    ys, xs = np.mgrid[0 : side * 4, 0 : side * 4] / 4.0
    plate = (np.abs(xs - side / 2) < side / 3) & (np.abs(ys - side / 2) < side / 3)
    inner = (np.abs(xs - side / 2) < side / 6) & (np.abs(ys - side / 2) < side / 6)
    rgb = np.where(inner[..., None], np.array([20.0, 40.0, 140.0]),
                   np.where(plate[..., None], np.array([200.0, 215.0, 245.0]), 255.0))
    rgb = rgb.reshape(side, 4, side, 4, 3).mean(axis=(1, 3))
    return np.dstack([np.round(rgb).astype(np.uint8), np.full((side, side), 255, np.uint8)])


def test_the_pale_band_a_jpeg_bleeds_around_a_stroke_is_no_colour() -> None:
    damaged = decode_image(jpeg_bytes(thin_lines_on_white(96, 2.0, GREEN), 60))
    palette = stroke_colours(damaged.rgba, robust_palette(calm_pixels(damaged.rgba)))
    pale = [c for c in palette if 0 < delta_e(c.astype(float), np.array([255.0, 255, 255])) < 20]
    assert len(pale) == 1, "the bleed is common enough to be a calm colour"
    kept = drop_halos(damaged.rgba, palette)
    assert len(kept) == len(palette) - 1 and not any((c == pale[0]).all() for c in kept)
    assert len(estimate(damaged.rgba, damaged.format).palette) == len(kept)


def test_a_wide_pale_plate_keeps_its_colour() -> None:
    damaged = decode_image(jpeg_bytes(plate_logo(), 60))
    found = estimate(damaged.rgba, damaged.format)
    assert len(found.palette) == 3
    assert min(delta_e(c.astype(float), np.array([200.0, 215, 245])) for c in found.palette) < 5


def stripe_with_ringing(ring_rows: slice) -> tuple[np.ndarray, np.ndarray]:
    """A #0038B8 stripe on a #EFEFEF plate over a white ground, with rows `ring_rows` of the stripe in
    #0931CA (JPEG's overshoot past the blue, away from the plate); the image and its four colours."""
    rgba = np.full((96, 96, 4), 255, np.uint8)
    rgba[8:88, 8:88, :3] = (239, 239, 239)
    rgba[30:66, 8:88, :3] = (0, 56, 184)
    rgba[ring_rows, 8:88, :3] = (9, 49, 202)
    palette = np.array([[239, 239, 239], [255, 255, 255], [0, 56, 184], [9, 49, 202]], np.uint8)
    return rgba, palette


def test_ringing_past_an_edge_is_dropped_and_a_distinct_band_is_kept() -> None:
    """The overshoot within OVERSHOOT_PX of the plate is JPEG ringing; the same colour 14 px and more
    from every plate pixel is a colour of the logo."""
    rgba, palette = stripe_with_ringing(slice(30, 36))  # 0-5 px from the plate's edge
    assert drop_halos(rgba, palette).tolist() == palette[:3].tolist()
    rgba, palette = stripe_with_ringing(slice(44, 52))  # 14-21 px from it
    assert drop_halos(rgba, palette).tolist() == palette.tolist()


def framed_plate(side: int = 256) -> np.ndarray:
    """A #333333 square with a #D0D0D0 plate inside, on a white ground 8 px wide all round (Emojione's
    black square button): white lies past the plate from the frame, as ringing would."""
    rgba = np.full((side, side, 4), 255, np.uint8)
    rgba[8:-8, 8:-8, :3] = 51
    rgba[40:-40, 40:-40, :3] = 208
    return rgba


def test_the_ground_of_a_jpeg_is_no_ringing() -> None:
    """The white ground holds the border of a 256 px JPEG, so it stays in the palette however near its
    pixels lie to the frame, and the ground is traced white (shared/halos.py, GROUND_BORDER_SHARE)."""
    clean = framed_plate()
    data = jpeg_bytes(clean, 41)
    damaged = decode_image(data)
    palette = estimate(damaged.rgba, damaged.format).palette
    assert min(delta_e(c.astype(float), np.array([255.0, 255, 255])) for c in palette) < 3
    assert len(drop_halos(damaged.rgba, palette)) < len(palette), "without the ground rule it is ringing"
    result = convert_bytes(data, tier=1)
    assert alpha_aware_ssim(clean, render_svg(result.svg, 256, 256))[0] > 0.999


def test_the_ground_is_the_colour_of_most_of_the_border() -> None:
    visible = np.ones((64, 64), bool)
    labels = np.zeros((64, 64), int)
    labels[:, 30:] = 1
    labels[0, 50:] = 2  # the border's 252 px: 122 of colour 0, 116 of 1, 14 of 2: none holds half
    assert ground_colour(labels, visible) == -1
    labels[:, 30:] = 0
    assert ground_colour(labels, visible) == 0
    visible[:, :8] = False  # only the visible border counts
    labels[:, :8] = 3
    assert ground_colour(labels, visible) == 0


def key_with_edge(side: int = 256) -> np.ndarray:
    """A #597B91 key face on a white ground with a darker #2B5770 edge 6 px wide along its right and bottom
    sides (fxemoji's keys): the edge lies past the face from the white, as ringing would."""
    rgba = np.full((side, side, 4), 255, np.uint8)
    rgba[16:-16, 16:-16, :3] = (43, 87, 112)
    rgba[16:-22, 16:-22, :3] = (89, 123, 145)
    return rgba


def test_a_darker_edge_of_its_own_is_no_ringing() -> None:
    """On a JPEG at its own size a colour past another by 12 in lightness, a band 6 px wide, is a shade
    of the logo (shared/halos.py, RING_SHADE_L); ringing in the chroma, as the flag's stripe's, still goes."""
    edge = np.array([43.0, 87, 112])
    damaged = decode_image(jpeg_bytes(key_with_edge(), 71))
    found = estimate(damaged.rgba, damaged.format)
    assert min(delta_e(c.astype(float), edge) for c in found.palette) < 6, found.palette
    palette = np.array([[89, 123, 145], [255, 255, 255], [43, 87, 112]], np.uint8)
    clean = key_with_edge()
    assert drop_halos(clean, palette).tolist() == palette[:2].tolist()  # small JPEGs: ringing
    assert drop_halos(clean, palette, full_size=True).tolist() == palette.tolist()
    rgba, palette = stripe_with_ringing(slice(30, 36))
    assert drop_halos(rgba, palette, full_size=True).tolist() == palette[:3].tolist()
