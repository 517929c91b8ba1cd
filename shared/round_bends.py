"""A ring's small round bends traced as facets that each turn past the corner angle (shared/splines.py
fits them as curves, not corners): a stroke's round end or a letter's bowl traced with a few sharp
facets (caps), a corner rounded by 1.5-5 px traced as one diagonal facet (chamfers)."""

import numpy as np

from shared.corners import signed_turns, turning_angles
from shared.geometry import cyclic_shift

CHAMFER_ARC_PX = 5.0  # an edge between two corners at most this long (input px) whose ends turn the same
# way between sides twice as long is tried as the arc tangent to those sides (`round_bends`): a corner
# rounded by 1.5-5 px is traced as one diagonal facet whose two ends both turn past the corner angle,
# which left it a chamfer that a 4x zoom shows (a font's rounded corners); 0: not tried
CAP_TURN_DEGREES = 80.0  # a joint of short facets turning by at most this ... (`round_bends`)
CAP_NEIGHBOUR_DEGREES = 15.0  # ... between joints turning the same way by at least this ...
CAP_EDGE_PX = 12.0  # ... with edges at most this long (input px) is no corner; 0: none. At 8 a fingertip's
# 8.7 px facet stayed a straight part after a corner (docs/findings.md, "Cap joints with edges up to 12 px")


def has_run(ring: np.ndarray, corner_angle: float) -> bool:
    """Whether a ring has a vertex that is no corner, or a rounded corner's facets (`round_bends`): a
    ring of sharp corners only stays a polygon."""
    if (turning_angles(ring) <= corner_angle).any():
        return True
    caps, chamfers = round_bends(ring, corner_angle)
    return bool(caps.any() or chamfers.any())


def round_bends(ring: np.ndarray, corner_angle: float) -> tuple[np.ndarray, np.ndarray]:
    """A ring's small round bends traced as facets that each turn past `corner_angle`: (caps, per
    vertex: joints that are no corner; chamfers, per edge: a rounded corner's one facet).

    Simplified within 0.625 px, a circle of radius r (px) is traced with facets of about sqrt(5 r) px
    that turn by about 57 sqrt(5 / r) degrees, past 40 below r = 10 (a stroke's round end, a letter's
    bowl). A cap joint turns by at most CAP_TURN_DEGREES, both its neighbours turn the same way by at
    least CAP_NEIGHBOUR_DEGREES (a sharp corner's neighbours turn little) and both its edges are at most
    CAP_EDGE_PX long. A chamfer is at most CHAMFER_ARC_PX long (input px), both its ends turn past
    `corner_angle` the same way, and the edges beside it are twice as long."""
    signed = signed_turns(ring)
    lengths = np.hypot(*(cyclic_shift(ring, -1) - ring).T)
    before, after = cyclic_shift(signed, 1), cyclic_shift(signed, -1)
    turning = np.abs(signed) > corner_angle
    short = lengths <= CAP_EDGE_PX
    caps = (turning & (np.abs(signed) <= CAP_TURN_DEGREES) & short & cyclic_shift(short, 1)
            & (signed * before > 0) & (signed * after > 0)
            & (np.minimum(np.abs(before), np.abs(after)) >= CAP_NEIGHBOUR_DEGREES))
    chamfers = ((lengths <= CHAMFER_ARC_PX) & turning & cyclic_shift(turning, -1) & (signed * after > 0)
                & (np.minimum(cyclic_shift(lengths, 1), cyclic_shift(lengths, -1)) >= 2 * lengths))
    return caps, chamfers


def rounded_joints(ring: np.ndarray, corner_angle: float) -> np.ndarray:
    """Which vertices of a ring join a small round bend's facets (`round_bends`: the caps, both ends of
    each chamfer): their edge samples are measured on the input as any others."""
    caps, chamfers = round_bends(ring, corner_angle)
    return caps | chamfers | cyclic_shift(chamfers, 1)
