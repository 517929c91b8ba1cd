"""Hairlines of a JPEG survive its clean-up (shared/thin_lines.py): a run of pixels the clean-up's 3x3
filters took away comes back where it is long, at most 2 px wide and drawn within one region; specks,
wide bands and lines along the edge between two regions do not."""

import numpy as np
import pytest

import shared.thin_lines
from shared.damage import clean_up, estimate
from shared.images import decode_image
from shared.thin_lines import with_thin_lines
from tests.image_files import jpeg_bytes


def test_a_long_thin_run_within_one_region_comes_back() -> None:
    labels = np.zeros((40, 40), int)
    raw = labels.copy()
    raw[20, 5:35] = 1  # a 1 px line across a plate
    raw[8:10, 10:30] = 1  # and a 2 px one
    out = with_thin_lines(labels, raw, 2)
    assert (out[20, 5:35] == 1).all() and (out[8:10, 10:30] == 1).all()
    assert out.sum() == 30 + 40


def test_specks_wide_bands_and_lines_between_two_regions_stay_away() -> None:
    labels = np.zeros((40, 40), int)
    labels[:, 20:] = 2  # two regions side by side
    raw = labels.copy()
    raw[5, 3:8] = 1  # a speck: 5 px
    raw[12:15, 2:18] = 1  # a band 3 px wide
    raw[22:38, 20] = 1  # a line along the edge between the two regions
    out = with_thin_lines(labels, raw, 3)
    assert (out == labels).all()


def _frame_with_hairline(side: int = 256) -> np.ndarray:
    """A thick black frame on white with a 1.25 px dark line inside it, 4x4 supersampled."""
    ys, xs = np.mgrid[0 : side * 4, 0 : side * 4] / 4.0
    frame = ((np.abs(xs - side / 2) < side * 0.4) & (np.abs(ys - side / 2) < side * 0.4)
             & ~((np.abs(xs - side / 2) < side * 0.33) & (np.abs(ys - side / 2) < side * 0.33)))
    line = (np.abs(xs - side * 0.45) < 0.625) & (ys > side * 0.3) & (ys < side * 0.7)
    grey = np.where(frame | line, 20.0, 255.0).reshape(side, 4, side, 4).mean(axis=(1, 3))
    rgb = np.round(np.repeat(grey[..., None], 3, axis=2)).astype(np.uint8)
    return np.dstack([rgb, np.full((side, side), 255, np.uint8)])


def test_a_jpegs_hairline_survives_the_clean_up(monkeypatch: pytest.MonkeyPatch) -> None:
    damaged = decode_image(jpeg_bytes(_frame_with_hairline(), 50))
    found = estimate(damaged.rgba, damaged.format)
    assert found.kind == "damaged"
    column = round(256 * 0.45 - 0.5)
    rows = slice(round(256 * 0.35), round(256 * 0.65))

    def darkest_along_line(cleaned: np.ndarray) -> np.ndarray:
        return cleaned[rows, column - 1 : column + 2, :3].min(axis=(1, 2))

    kept, _, _ = clean_up(damaged.rgba, found)
    assert (darkest_along_line(kept) < 128).mean() > 0.9
    monkeypatch.setattr(shared.thin_lines, "MIN_RUN_PX", 10_000)  # no run long enough: the filters win
    lost, _, _ = clean_up(damaged.rgba, found)
    assert (darkest_along_line(lost) < 128).mean() < 0.1
