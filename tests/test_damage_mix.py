"""JPEG clean-up keeps where edges cross pixels: snapped colours plus their mixes in quarters
(shared/edge_mixes.py, MIX_STEPS)."""


import numpy as np

from shared.damage import clean_up, estimate, snap_palette
from shared.edge_mixes import MIX_STEPS, mix_edges
from shared.images import decode_image
from tests.image_files import jpeg_bytes


def two_colour_logo(side: int) -> np.ndarray:
    """A red disc on white, 4x4 supersampled (anti-aliased edges, no other colours)."""
    ys, xs = np.mgrid[0 : side * 4, 0 : side * 4] / 4.0
    inside = (xs - side / 2) ** 2 + (ys - side / 2) ** 2 < (side * 0.35) ** 2
    rgb = np.where(inside[..., None], np.array([220.0, 30.0, 40.0]), 255.0)
    rgb = rgb.reshape(side, 4, side, 4, 3).mean(axis=(1, 3))
    return np.dstack([np.round(rgb).astype(np.uint8), np.full((side, side), 255, np.uint8)])


def test_mix_edges_keeps_a_half_pixel_edge_and_drops_ringing() -> None:
    palette = np.array([[200, 0, 0], [255, 255, 255]], np.uint8)
    rgba = np.full((6, 8, 4), 255, np.uint8)
    rgba[:, :4, :3] = (200, 0, 0)
    rgba[:, 4, :3] = (228, 128, 128)  # half covered by the red shape
    rgba[:, 6, :3] = (240, 250, 255)  # ringing off the red-white mix, away from the edge
    labels = np.where(np.arange(8) < 4, 0, 1)[None, :].repeat(6, axis=0)
    out = mix_edges(rgba, labels, palette)
    assert np.allclose(out[:, 4], (227.5, 127.5, 127.5))  # the mix (0.502), rounded to quarters
    assert np.allclose(out[:, 3], (200, 0, 0))  # mostly red: red
    assert np.allclose(out[:, 6], 255)  # not next to another colour: its palette colour


def test_mix_edges_rounds_mixes_to_quarters() -> None:
    palette = np.array([[0, 0, 0], [255, 255, 255]], np.uint8)
    rgba = np.full((4, 8, 4), 255, np.uint8)
    rgba[:, :4, :3] = 0
    rgba[:, 4, :3] = 70  # a quarter covered by the white: 0.27
    labels = np.where(np.arange(8) < 4, 0, 1)[None, :].repeat(4, axis=0)
    out = mix_edges(rgba, labels, palette)
    assert MIX_STEPS == 4
    assert np.allclose(out[:, 4], 63.75)  # a quarter of the way to white, not rounded to black or grey


def test_a_jpeg_is_cleaned_to_its_colours_and_their_quarter_mixes() -> None:
    clean = two_colour_logo(200)
    damaged = decode_image(jpeg_bytes(clean, 35))
    found = estimate(damaged.rgba, damaged.format)
    cleaned, notes, _ = clean_up(damaged.rgba, found)
    assert found.kind == "damaged" and notes == [f"JPEG artefacts removed: {len(found.palette)} colours"]
    palette = snap_palette(damaged.rgba, found).astype(float)
    steps = np.arange(MIX_STEPS + 1)[:, None, None, None] / MIX_STEPS  # colours and their mixes
    allowed = np.round(palette[None, :, None] * (1 - steps) + palette[None, None] * steps).reshape(-1, 3)
    colours = np.unique(cleaned[..., :3].reshape(-1, 3), axis=0).astype(float)
    assert all(np.abs(allowed - c).max(axis=1).min() <= 1 for c in colours)
    error = lambda x: np.abs(x[..., :3].astype(float) - clean[..., :3]).mean()  # noqa: E731
    assert error(cleaned) < 0.8 * error(damaged.rgba)
