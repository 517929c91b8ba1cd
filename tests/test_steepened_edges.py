"""Upscaled small inputs and noisy scans keep their edges between pixels (shared/edge_mixes.py,
`steepened_mixes`): a disc traced from a 32-64 px PNG or JPEG, or from a blurred and noisy copy, lands
where the true disc is, not on the (upscale's) pixel grid."""

import io

import numpy as np
import pytest
from PIL import Image
from scipy import ndimage

from shared.edge_mixes import steepened_mixes
from shared.images import decode_image
from shared.pipeline import convert
from shared.render import render_svg

DISC, GROUND = (220, 30, 50), (230, 230, 230)
ZOOM = 8  # the SVG is rendered this much larger than the input to measure its boundary


def disc_file(side: int, radius: float, centre: tuple[float, float], fmt: str, quality: int = 90,
              scanned: bool = False) -> bytes:
    """A red disc on light grey, anti-aliased by 16x16 supersampling, as PNG or JPEG bytes; `scanned`:
    blurred (sigma 1.2 px) and noisy (sigma 6 levels) first, as bench/damage.py's scans."""
    ss = 16
    ys, xs = (np.mgrid[0 : side * ss, 0 : side * ss] + 0.5) / ss
    inside = (xs - centre[0]) ** 2 + (ys - centre[1]) ** 2 <= radius**2
    rgb = np.empty((side * ss, side * ss, 3))
    rgb[:] = GROUND
    rgb[inside] = DISC
    small = rgb.reshape(side, ss, side, ss, 3).mean(axis=(1, 3))
    if scanned:
        noise = np.random.default_rng(5).normal(0.0, 6.0, small.shape)
        small = ndimage.gaussian_filter(small, (1.2, 1.2, 0)) + noise
    small = np.clip(np.round(small), 0, 255).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(small).save(buf, fmt, **({"quality": quality} if fmt == "JPEG" else {}))
    return buf.getvalue()


def boundary_error(side: int, radius: float, centre: tuple[float, float], fmt: str, quality: int,
                   scanned: bool = False) -> float:
    """Mean distance (input px) between the traced disc's boundary and the true one: the area where the
    rendered SVG and the true disc disagree, over the circumference."""
    result = convert(decode_image(disc_file(side, radius, centre, fmt, quality, scanned)), tier="1")
    assert any("upscaled" in note or "noise removed" in note for note in result.notes), result.notes
    out = render_svg(result.svg, side * ZOOM, side * ZOOM)[..., :3].astype(float)
    red = np.abs(out - DISC).sum(axis=-1) < np.abs(out - GROUND).sum(axis=-1)
    ys, xs = (np.mgrid[0 : side * ZOOM, 0 : side * ZOOM] + 0.5) / ZOOM
    true = (xs - centre[0]) ** 2 + (ys - centre[1]) ** 2 <= radius**2
    return float((red ^ true).sum() / ZOOM**2 / (2 * np.pi * radius))


DISCS = [(40, 13.2, (19.6, 20.3)), (48, 15.3, (23.7, 24.2)), (64, 21.1, (31.6, 32.3))]


def test_small_jpeg_discs_are_traced_within_0_075_px() -> None:
    # snapped to the upscale's pixel grid they were 0.086-0.125 px off at quality 50-70 (0.105 on average)
    errors = [boundary_error(side, r, c, "JPEG", q) for side, r, c in DISCS for q in (50, 70)]
    assert np.mean(errors) <= 0.075, errors


@pytest.mark.parametrize(("side", "radius", "centre"), [(32, 10.4, (16.2, 15.7)), (40, 13.2, (19.6, 20.3))])
def test_small_png_discs_are_traced_true(side: int, radius: float, centre: tuple[float, float]) -> None:
    # 0.048 and 0.057 px when snapped (the 40 px disc), 0.045 and 0.047 px now
    assert boundary_error(side, radius, centre, "PNG", 90) <= 0.05


def test_scanned_discs_are_traced_between_pixels() -> None:
    # each pixel snapped to its nearest colour put the edge on the pixel grid: 0.135-0.162 px off, 0.146
    # on average (0.013-0.099 now)
    discs = [(200, 71.3, (99.6, 100.3)), (180, 50.2, (90.3, 88.8)), (240, 90.7, (118.4, 121.1))]
    errors = [boundary_error(side, r, c, "PNG", 90, scanned=True) for side, r, c in discs]
    assert np.mean(errors) <= 0.1, errors


def test_steepened_mixes_keep_a_half_way_edge_between_pixels() -> None:
    palette = np.array([[0, 0, 0], [200, 100, 0]], np.uint8)
    ramp = np.linspace(0.0, 1.0, 9)[:, None] * np.ones((1, 3))  # a 9 px ramp from black to orange
    upscaled = np.round(ramp[..., None] * palette[1].astype(float)).astype(np.uint8)
    upscaled = np.dstack([upscaled, np.full(upscaled.shape[:2], 255, np.uint8)])
    mixed = steepened_mixes(upscaled, palette, 4.0)
    fraction = mixed[:, 0, 0] / 200.0
    assert fraction[0] == 0.0 and fraction[-1] == 1.0  # the flat ends keep their colours
    assert fraction[4] == pytest.approx(0.5, abs=0.01)  # the half-way pixel stays a half mix
    assert fraction[3] == pytest.approx(0.0, abs=0.01) and fraction[5] == pytest.approx(1.0, abs=0.01)
    assert np.allclose(mixed[:, 0, 1] / 100.0, fraction)  # mixes of the two colours, not other hues


def test_a_shaded_favicon_keeps_its_gradient_and_gets_sharp_edges() -> None:
    from shared.damage import estimate, sharpened
    from shared.shading import shaded

    side, ss = 48, 8
    ys, xs = (np.mgrid[0 : side * ss, 0 : side * ss] + 0.5) / ss
    ramp = np.clip((xs - 2.0) / 44.0, 0.0, 1.0)[..., None]  # left to right: orange to violet
    rgb = (1 - ramp) * (250, 150, 20) + ramp * (90, 30, 200)
    bar = (ys > 20.3) & (ys < 27.6)  # a white bar across it: the edges to sharpen
    rgb[bar] = 255.0
    small = np.round(rgb.reshape(side, ss, side, ss, 3).mean(axis=(1, 3))).astype(np.uint8)
    favicon = np.dstack([small, np.full((side, side), 255, np.uint8)])
    found = estimate(favicon)
    assert shaded(favicon, found.palette)
    bicubic = np.asarray(Image.fromarray(favicon).resize((256, 256), Image.Resampling.BICUBIC))
    upscaled = sharpened(bicubic, favicon, found.palette).astype(int)
    column = upscaled[:, 40, :3]  # across the bar's two edges
    moving = np.abs(np.diff(column, axis=0)).max(axis=-1) > 12
    # bicubic spreads the two edges over 17 px of the 5.3x upscale (steps over 12 levels); steepened, 8
    assert moving.sum() <= 10, np.nonzero(moving)
    row = upscaled[40, :, :3]  # along the gradient, away from the bar: left as the upscale has it
    assert np.abs(row - bicubic[40, :, :3].astype(int)).max() <= 8
