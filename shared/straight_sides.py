"""Straight sides of traced rings (shared/splines.py fits the rest as curves): long edges that are sides
rather than a bend's facets (`straight_edges`), and runs whose measured points lie along the line between
their corners (`straight_run`: a slanted side the trace stepped into jogs)."""

import numpy as np

from shared.geometry import cyclic_shift

STRAIGHT_EDGE_PX = 10.0  # a run with no better fit is split at both ends of each edge this long (input px)
STRAIGHT_EDGE_RATIO = 1.5  # ... and this many times its shorter neighbour (`straight_edges`); 0: not split
STRAIGHT_BOW_PX = 0.15  # ... and, under BOW_TEST_PX long, whose measured points lie this near the line
# through its outermost ones (`edge_bows`): a rounded corner of radius r is traced with facets of about
# sqrt(5 r) px, 10 px and more from r = 20 (a flag's rounded corner), which bow by up to 0.6 px; 0: not tested
BOW_TEST_PX = 20.0  # (a longer side's outermost points may lie on the bends it runs into)
STRAIGHT_RUN_PX = 0.15  # a run whose measured points all lie this near the line between its corners is
# that line (input px): a spline or an arc through them bowed a straight side by up to 0.2 px, which a 4x
# zoom shows (vscode-icons' folder-type-zed: its tab's slanted side); 0: never ...
STRAIGHT_END_PX = 0.1  # ... where the line fitted through those points passes this near both corners


def straight_edges(lengths: np.ndarray, bows: np.ndarray) -> np.ndarray:
    """Which edges of a ring (`lengths`, input px; edge i from vertex i to i + 1) are straight sides
    rather than facets of a bend: at least STRAIGHT_EDGE_PX long and STRAIGHT_EDGE_RATIO times the
    shorter of their neighbours (a bend's facets are of similar lengths), their measured points bowing
    by at most STRAIGHT_BOW_PX where shorter than BOW_TEST_PX (`bows`, per edge: `edge_bows`)."""
    if STRAIGHT_EDGE_RATIO <= 0:
        return np.zeros(len(lengths), bool)
    shorter = np.minimum(cyclic_shift(lengths, 1), cyclic_shift(lengths, -1))
    flat = (bows <= STRAIGHT_BOW_PX) | (lengths >= BOW_TEST_PX) if STRAIGHT_BOW_PX > 0 else True
    return (lengths >= STRAIGHT_EDGE_PX) & (lengths >= STRAIGHT_EDGE_RATIO * shorter) & flat


def edge_bows(data: np.ndarray, measured: np.ndarray, edge: np.ndarray, count: int) -> np.ndarray:
    """Per edge of a ring (`count` edges): the largest distance (input px) of its measured points from
    the line through the first and last of them; 0 where it has fewer than 3. `data` (k, 2) are the
    ring's samples moved onto the input's edge in ring order, `edge` the edge each lies on."""
    bows = np.zeros(count)
    rows = np.flatnonzero(measured)
    if len(rows) == 0:
        return bows
    on = edge[rows]
    new_edge = np.append(True, on[1:] != on[:-1])
    starts = np.flatnonzero(new_edge)
    lasts = np.append(starts[1:], len(rows)) - 1
    group = np.cumsum(new_edge) - 1
    head, tail = data[rows[starts]][group], data[rows[lasts]][group]
    chord = tail - head
    offset = data[rows] - head
    across = np.abs(chord[:, 0] * offset[:, 1] - chord[:, 1] * offset[:, 0]) / np.maximum(
        np.hypot(*chord.T), 1e-9)
    largest = np.maximum.reduceat(across, starts)
    bows[on[starts]] = np.where(lasts - starts >= 2, largest, 0.0)
    return bows


def straight_run(start: np.ndarray, end: np.ndarray, measured: np.ndarray) -> bool:
    """Whether a run's `measured` edge points (k, 2; at least 3) all lie within STRAIGHT_RUN_PX of the
    line from its first corner to its last, and the line fitted through them passes within
    STRAIGHT_END_PX of both corners (a corner off the measured line would tilt the side): the run is
    one straight side, drawn as that line."""
    chord = end - start
    length = float(np.hypot(*chord))
    if STRAIGHT_RUN_PX <= 0 or len(measured) < 3 or length < 1e-9:
        return False
    along = ((measured - start) @ chord) / length
    across = ((measured - start) @ np.array([-chord[1], chord[0]])) / length
    if float(np.abs(across).max()) > STRAIGHT_RUN_PX or np.ptp(along) < 1e-9:
        return False
    slope, offset = np.polyfit(along, across, 1)
    return max(abs(offset), abs(offset + slope * length)) <= STRAIGHT_END_PX
