"""Round bends (shared/round_bends.py): the joints of a small round bend's facets that turn past the
corner angle are no corners, so shared/splines.py fits the bend as one curve."""

import numpy as np
import pytest

from shared import round_bends
from shared.splines import spline_ring
from tests.ring_fixtures import load_ring
from tests.spline_points import spline_points


def _finger() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Emojione (v1)'s raising hands at 256 px: the traced ring of the right hand's middle finger."""
    return load_ring("emojione-v1-raising-hands-finger-ring.json")


def test_a_fingertips_long_facet_joins_no_corner(monkeypatch: pytest.MonkeyPatch) -> None:
    """The fingertip is traced with facets of 4.4, 4.3, 6.8 and 8.7 px turning 28-48 degrees. The joint
    turning 47.5 degrees between the 6.8 and 8.7 px facets stayed a corner with edges of at most 8 px
    (`CAP_EDGE_PX`): the tip was a curve up to it and the 8.7 px facet a straight part down to the
    finger's side, flat-cornered at 4x. With 12 px it is a cap joint and the tip one curve, turning by
    under 4 degrees between points 1/20 of a part apart."""
    ring, moved, samples, first = _finger()
    tip = 1  # the joint at (195.08, 59.03)
    assert np.hypot(*(ring[tip] - [195.08, 59.03])) < 0.01

    def over_tip(points: np.ndarray) -> np.ndarray:
        return (points[:, 1] < 66.0) & (points[:, 0] > 180.0)  # above the finger's straight sides

    def tip_outline() -> tuple[bool, float]:
        """Whether a straight part of the outline starts on the fingertip, and the largest turn (degrees)
        between neighbouring steps of the outline there."""
        spline = spline_ring(ring, moved, samples, first, 40.0)
        assert spline is not None
        starts = np.vstack([spline.start[None], spline.ends[:-1]])
        points = spline_points(spline)
        points = points[np.hypot(*np.diff(points, axis=0, append=points[:1]).T) > 1e-6]  # no repeats
        steps = np.roll(points, -1, axis=0) - points
        angles = np.degrees(np.arctan2(steps[:, 1], steps[:, 0]))
        turns = np.abs((angles - np.roll(angles, 1) + 180) % 360 - 180)  # at each point
        return bool((spline.straight & over_tip(starts)).any()), float(turns[over_tip(points)].max())

    assert round_bends.round_bends(ring, 40.0)[0][tip]
    straight, sharpest = tip_outline()
    assert not straight and sharpest < 10.0
    monkeypatch.setattr(round_bends, "CAP_EDGE_PX", 8.0)
    assert not round_bends.round_bends(ring, 40.0)[0][tip]
    straight, sharpest = tip_outline()
    assert straight and sharpest > 40.0
