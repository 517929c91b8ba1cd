"""Corners where a curved run meets another side are placed where the curves cross (shared/junctions.py),
so the run is fitted as a curve rather than left facets (shared/splines.py)."""

import numpy as np
import pytest

from shared import junctions
from shared.corner_arcs import fitted_circle
from shared.curves import ring_samples
from shared.geometry import Spline
from shared.splines import spline_ring
from tests.ring_fixtures import load_ring
from tests.spline_points import spline_points

CENTRE, RADIUS = np.array([40.0, 40.0]), 18.0
LID_Y, LID_SLOPE = 30.0, 0.4  # the other side: the line y = LID_Y + LID_SLOPE (x - 40)


def _lid_crossings() -> tuple[np.ndarray, np.ndarray]:
    """Where the lid line crosses the circle: (left, right)."""
    direction = np.array([1.0, LID_SLOPE]) / np.hypot(1.0, LID_SLOPE)
    offset = np.array([40.0, LID_Y]) - CENTRE
    half_b = offset @ direction
    root = np.sqrt(half_b**2 - (offset @ offset - RADIUS**2))
    return tuple(np.array([40.0, LID_Y]) + t * direction for t in (-half_b - root, -half_b + root))


def _meet(p: np.ndarray, u: np.ndarray, q: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Where the line through p along u meets the line through q along v."""
    t = ((q - p)[0] * v[1] - (q - p)[1] * v[0]) / (u[0] * v[1] - u[1] * v[0])
    return p + t * u


def _iris_under_a_lid() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A disc's part below a slanted lid as refinement leaves it: facets of ~11 px, each on the line
    the arc it stands for lies about (its chord moved out by two thirds of the sagitta), its vertices
    where those lines meet and its two corners where the first and last meet the lid (off the circle);
    its samples, moved onto the true outline (none within 1.5 px of a corner), and their first-index
    array."""
    left, right = _lid_crossings()
    start = np.arctan2(*(right - CENTRE)[::-1])
    stop = np.arctan2(*(left - CENTRE)[::-1])
    stop += 2 * np.pi if stop < start else 0.0
    count = int(np.ceil((stop - start) / np.radians(40.0)))
    step = (stop - start) / count
    angles = np.linspace(start - step / 2, stop + step / 2, count + 2)  # the end facets straddle the lid
    count += 1
    middle = (angles[:-1] + angles[1:]) / 2
    outward = np.column_stack([np.cos(middle), np.sin(middle)])
    sagitta = RADIUS * (1 - np.cos((angles[1] - angles[0]) / 2))
    on_line = CENTRE + (RADIUS - sagitta / 3) * outward  # the facets' lines: through here, across outward
    along = np.column_stack([-outward[:, 1], outward[:, 0]])
    lid = np.array([1.0, LID_SLOPE])
    inner = [_meet(on_line[k], along[k], on_line[k + 1], along[k + 1]) for k in range(count - 1)]
    ring = np.vstack([_meet(on_line[0], along[0], np.array([40.0, LID_Y]), lid), *inner,
                      _meet(on_line[-1], along[-1], np.array([40.0, LID_Y]), lid)])
    samples, normals, first = ring_samples(ring, 3.0)
    moved = np.empty_like(samples)
    for k, (point, normal) in enumerate(zip(samples, normals, strict=True)):
        if k >= first[-2]:  # the last edge runs along the lid
            t = (LID_Y + LID_SLOPE * (point[0] - 40.0) - point[1]) / (normal[1] - LID_SLOPE * normal[0])
        else:
            offset = point - CENTRE
            half_b = offset @ normal
            root = np.sqrt(half_b**2 - (offset @ offset - RADIUS**2))
            t = min(-half_b - root, -half_b + root, key=abs)
        moved[k] = point + t * normal
    near_corner = np.array([min(np.hypot(*(p - ring[0])), np.hypot(*(p - ring[-1]))) < 1.5 for p in samples])
    moved[near_corner] = np.nan
    return ring, moved, samples, first


def _arc_error(spline: Spline, centre: np.ndarray, radius: float, start: int, stop: int) -> float:
    """The largest distance of a spline's parts `start`..`stop` - 1 from a circle (input px)."""
    return float(np.abs(np.hypot(*(spline_points(spline, start, stop) - centre).T) - radius).max())


def test_a_corner_off_its_curve_moves_to_where_the_curves_cross() -> None:
    ring, moved, samples, first = _iris_under_a_lid()
    left, right = _lid_crossings()
    assert np.hypot(*(ring[0] - right)) > 0.3  # refinement's corner: off the circle
    counts = np.diff(first)
    edge = np.repeat(np.arange(len(ring)), counts)
    lengths = np.hypot(*(np.roll(ring, -1, axis=0) - ring).T)
    at_vertex = np.append(0.0, np.cumsum(lengths))
    along = at_vertex[edge] + (np.arange(first[-1]) - first[edge] + 0.5) / counts[edge] * lengths[edge]
    measured = ~np.isnan(moved[:, 0])
    corners = np.array([0, len(ring) - 1])
    found = junctions.Junctions(ring, corners, corners, np.where(measured[:, None], moved, samples),
                                measured, along, at_vertex)
    assert np.hypot(*(found.at(0) - right)) < 0.05
    assert np.hypot(*(found.at(len(ring) - 1) - left)) < 0.05
    assert junctions.Junctions(ring, corners, corners[:1], np.where(measured[:, None], moved, samples),
                               measured, along, at_vertex).at(len(ring) - 1) is None  # not movable


def _princess_eye() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    return load_ring("emojione-princess-eye-ring.json")


def test_an_iris_between_corners_off_its_circle_is_a_curve(monkeypatch: pytest.MonkeyPatch) -> None:
    """Emojione's princess at 256 px: her eye white's run along the iris (vertices 0 to 10, 9.6 px
    facets of an r = 18 px circle) between corners where it meets the eyelid, 1-1.5 px off the circle."""
    ring, moved, samples, first = _princess_eye()
    run = moved[first[0] : first[10]]
    centre, radius = fitted_circle(run[~np.isnan(run[:, 0])], np.ones(int((~np.isnan(run[:, 0])).sum())))
    assert min(abs(np.hypot(*(ring[k] - centre)) - radius) for k in (0, 10)) > 0.9

    def iris_parts(spline: Spline | None) -> tuple[int, int]:
        """The parts from the first corner's junction (or the corner) to the second's."""
        assert spline is not None
        ends = [spline.start, *spline.ends]
        near = [min(range(len(ends)), key=lambda k: float(np.hypot(*(ends[k] - ring[v])))) for v in (0, 10)]
        start, stop = near
        return start + int(spline.straight[start]), stop - int(spline.straight[stop - 1])

    spline = spline_ring(ring, moved, samples, first, 40.0)
    start, stop = iris_parts(spline)
    assert not spline.straight[start:stop].any()
    assert _arc_error(spline, centre, radius, start, stop) < 0.1
    monkeypatch.setattr(junctions, "MOVE_PX", 0.0)
    spline = spline_ring(ring, moved, samples, first, 40.0)
    start, stop = iris_parts(spline)
    assert _arc_error(spline, centre, radius, start, stop) > 0.3  # clamped to the corners off the circle
    # (facets 0.40 px off it at most; a spline since the fitter's points take their nearest segment, 1.5)
