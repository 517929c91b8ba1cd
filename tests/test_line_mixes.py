"""A small damaged image's palette drops the colours that are only the mix of two others along its edges
(shared/halos.py, `drop_line_mixes`), and keeps an in-between colour that fills regions of its own or
draws a line away from one of the two."""

import numpy as np

from shared.halos import drop_line_mixes

GREEN, WHITE = np.array([30, 240, 40]), np.array([255, 255, 255])
PALE = (GREEN + WHITE) // 2  # half of each: the mix along a green line's edges
PALETTE = np.array([GREEN, WHITE, PALE], np.uint8)


def _opaque(rgb: np.ndarray) -> np.ndarray:
    return np.dstack([rgb.astype(np.uint8), np.full(rgb.shape[:2], 255, np.uint8)])


def test_the_mix_along_a_lines_edges_is_dropped() -> None:
    lines = np.tile(WHITE, (32, 32, 1))
    for x in (6, 16, 26):  # lines 1 px wide with a pixel of the mix on each side
        lines[4:28, x - 1] = PALE
        lines[4:28, x] = GREEN
        lines[4:28, x + 1] = PALE
    assert drop_line_mixes(_opaque(lines), PALETTE).tolist() == [GREEN.tolist(), WHITE.tolist()]


def test_an_in_between_colour_with_an_inside_is_kept() -> None:
    bands = np.tile(WHITE, (32, 32, 1))
    bands[:, :10] = GREEN
    bands[:, 10:20] = PALE  # a flag's middle band
    assert len(drop_line_mixes(_opaque(bands), PALETTE)) == 3


def test_a_thin_line_of_an_in_between_colour_away_from_one_end_is_kept() -> None:
    drawing = np.tile(WHITE, (32, 32, 1))
    drawing[20:30, 20:30] = GREEN  # the green is elsewhere ...
    drawing[4:16, 6] = PALE  # ... and a 1 px line of the pale colour lies on white alone
    drawing[10, 2:14] = PALE
    assert len(drop_line_mixes(_opaque(drawing), PALETTE)) == 3
