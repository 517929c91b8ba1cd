"""A damaged copy's black stays exactly black (shared/damage.py: exact_black, snap_fills; Tier 1's
snapped_fills): JPEG clips a flat black's ringing at 0, so its colour cluster and the engine's fills sit
a few levels above it, where SSIM's luminance term is steep."""

import re

import numpy as np

from shared.damage import clean_up, estimate, snap_palette
from shared.images import decode_image
from shared.palette import exact_black, main_colours, median_colours, snap_fills
from shared.pipeline import convert
from shared.quality import alpha_aware_ssim
from shared.render import render_svg
from tests.image_files import jpeg_bytes


def black_shapes_on_white(side: int = 200) -> np.ndarray:
    """A black ring and bar on white, anti-aliased (4x4 supersampled), opaque."""
    ys, xs = np.mgrid[0 : side * 4, 0 : side * 4] / 4.0
    r = np.hypot(xs - side * 0.4, ys - side * 0.45)
    inside = ((r < side * 0.3) & (r > side * 0.18)) | ((np.abs(xs - side * 0.82) < side * 0.06)
                                                      & (ys > side * 0.1) & (ys < side * 0.9))
    grey = np.where(inside, 0.0, 255.0).reshape(side, 4, side, 4).mean(axis=(1, 3))
    rgb = np.repeat(np.round(grey).astype(np.uint8)[..., None], 3, axis=-1)
    return np.dstack([rgb, np.full((side, side), 255, np.uint8)])


def test_near_black_palette_colours_become_black_and_others_stay() -> None:
    palette = np.array([[255, 255, 255], [3, 1, 5], [7, 2, 2], [40, 40, 40]], np.uint8)
    assert exact_black(palette).tolist() == [[255, 255, 255], [0, 0, 0], [7, 2, 2], [40, 40, 40]]


def test_a_jpeg_of_a_black_logo_has_exact_black_in_its_palette() -> None:
    damaged = decode_image(jpeg_bytes(black_shapes_on_white(), 50))
    found = estimate(damaged.rgba, damaged.format)
    assert found.kind == "damaged"
    assert [0, 0, 0] in found.palette.tolist()
    clean = estimate(black_shapes_on_white())
    assert clean.kind == "clean"


def test_fills_near_a_main_colour_take_it_and_others_are_left() -> None:
    image = np.zeros((10, 10, 4), np.uint8)
    image[..., 3] = 255
    image[:5] = (255, 255, 255, 255)
    image[9, 9] = (30, 30, 30, 255)  # 1 % of the pixels: a main colour at FILL_SNAP_SHARE
    image[9, 8] = (90, 90, 90, 0)  # invisible: never a main colour
    assert sorted(main_colours(image).tolist()) == [[0, 0, 0], [30, 30, 30], [255, 255, 255]]
    svg = ('<svg><path d="M0,0Z" fill="#050607"/><path d="M1,1Z" fill="#1E1E1E"/>'
           '<circle cx="1" cy="1" r="1" fill="#FAFAFA"/><path d="M2,2Z" fill="url(#g0)"/>'
           '<path d="M3,3Z" fill="#5A5A5A"/><path d="M4,4Z" fill="#232323"/></svg>')
    snapped = snap_fills(svg, image)
    assert re.findall(r'fill="([^"]+)"', snapped) == ["#000000", "#1E1E1E", "#FFFFFF", "url(#g0)", "#5A5A5A",
                                                         "#1E1E1E"]


def test_tier1_draws_a_jpeg_black_logo_in_exact_black_and_closer_to_the_clean_one() -> None:
    clean = black_shapes_on_white()
    result = convert(decode_image(jpeg_bytes(clean, 45)), tier="1")
    fills = set(re.findall(r'fill="(#[0-9A-F]{6})"', result.svg))
    assert "#000000" in fills
    assert not any(0 < int(f[1:3], 16) <= 8 for f in fills), fills
    rendered = render_svg(result.svg, clean.shape[1], clean.shape[0])
    assert alpha_aware_ssim(clean, rendered)[0] > 0.97


def test_palette_colours_are_their_pixels_medians() -> None:
    palette = np.array([[250, 250, 250], [3, 58, 182], [120, 0, 0]], np.uint8)
    rng = np.random.default_rng(0)
    blue = np.clip(rng.normal((0, 56, 184), 3, (400, 3)), 0, 255).round()  # clipped at 0: mean ~1.2
    pixels = np.vstack([np.full((500, 3), 255), blue, np.full((10, 3), 118)]).astype(np.uint8)
    assert median_colours(palette, pixels).tolist() == [[255, 255, 255], [0, 56, 184], [120, 0, 0]]



def test_a_damaged_image_is_snapped_to_its_colours_medians() -> None:
    damaged = decode_image(jpeg_bytes(black_shapes_on_white(), 50))
    found = estimate(damaged.rgba, damaged.format)
    snapped = snap_palette(damaged.rgba, found)
    assert len(snapped) == len(found.palette) and [0, 0, 0] in snapped.tolist()
    cleaned, _, _ = clean_up(damaged.rgba, found)
    colours = {tuple(c) for c in cleaned[..., :3].reshape(-1, 3).tolist()}
    assert {tuple(c) for c in snapped.tolist()} <= colours
