"""Straight sides of traced rings (shared/splines.py fits the rest as curves): long edges that are sides
rather than a bend's facets (`straight_edges`), and runs whose measured points lie along the line between
their corners (`straight_run`: a slanted side the trace stepped into jogs)."""

import numpy as np

from shared.geometry import cyclic_shift

STRAIGHT_EDGE_PX = 10.0  # a run with no better fit is split at both ends of each edge this long (input px)
STRAIGHT_EDGE_RATIO = 1.5  # ... and this many times its shorter neighbour (`straight_edges`); 0: not split
STRAIGHT_RUN_PX = 0.15  # a run whose measured points all lie this near the line between its corners is
# that line (input px): a spline or an arc through them bowed a straight side by up to 0.2 px, which a 4x
# zoom shows (vscode-icons' folder-type-zed: its tab's slanted side); 0: never ...
STRAIGHT_END_PX = 0.1  # ... where the line fitted through those points passes this near both corners


def straight_edges(lengths: np.ndarray) -> np.ndarray:
    """Which edges of a ring (`lengths`, input px; edge i from vertex i to i + 1) are straight sides
    rather than facets of a bend: at least STRAIGHT_EDGE_PX long and STRAIGHT_EDGE_RATIO times the
    shorter of their neighbours (a bend's facets are of similar lengths)."""
    if STRAIGHT_EDGE_RATIO <= 0:
        return np.zeros(len(lengths), bool)
    shorter = np.minimum(cyclic_shift(lengths, 1), cyclic_shift(lengths, -1))
    return (lengths >= STRAIGHT_EDGE_PX) & (lengths >= STRAIGHT_EDGE_RATIO * shorter)


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
