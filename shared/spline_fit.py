"""Fitting one run of a ring as a uniform quadratic B-spline (shared/splines.py decides which runs and
what becomes of them): controls by least squares on the run's edge points, each point at the parameter
its place along the polygon gives (the segment of the nearest control's vertex), improved by Newton steps
towards the nearest curve point and moved to the next segment where that lies nearer; a small pull
(`PULL`) towards the polygon's vertices keeps controls with few points in place. A run is fitted with
every other vertex first, then without every other vertex of its gentle stretches (`thinned`), then
with all: the first fit that lies nearer the measured points (RMS) than the polygon is kept
(`ACCEPT_RATIO`). A run that none of these suits is fitted once more with its long edges split at their
middles where shared/splines.py asks (`fit_split_run`: a run with no straight side inside).

The kept count of controls is fitted once more with its knots evenly spaced along the run (`_even_knots`),
and those controls are drawn where they lie nearer the measured points. A uniform B-spline's joints lie
halfway between its controls, so controls at a trace's uneven vertices (a squircle's 70 px flat side
beside 15 px facets where it turns) bend it in waves: 0.11 px RMS and 0.32 px at worst off a
superellipse whose edge points were measured within 0.05 px. Evenly spaced: 0.04 px. The error the run
reports stays that of its fit at the polygon's knots, so every choice made from it (which count, a run
arc, junctions, tangent pieces in shared/splines.py) is the one it was before; judged by the even fit's
own error, splines displaced truer circular arcs (docs/findings.md, "Evenly spaced knots").
"""

from dataclasses import dataclass

import numpy as np

from shared.geometry import cyclic_shift

PULL = 0.01  # least-squares weight pulling each control towards its polygon vertex
FIT_ROUNDS = 2  # solve, move the parameters to the nearest curve points (2 Newton steps), solve again
NEWTON_STEPS = 2
GENTLE_TURN = 15.0  # degrees: see `thinned`
ACCEPT_RATIO = 1.0  # a fit is kept where its squared error on the measured points is under this times
# the polygon's; 0.5 / 0.7 / 1.4 changed held-out 4x means by +0.00006 / +0.00017 / -0.00004 (1-2
# images moving by > 0.001 each), 0.7 on 108 training images -0.00006 (bench/results/spline-accept-*)
EVEN_KNOTS = True  # the kept fit's count of controls is fitted again at evenly spaced knots (see above)
LONG_EDGE_RATIO = 2.0  # a run between corners that no fit above suits is tried once more with each edge
# longer than this times the run's median edge (and LONG_EDGE_PX) split at its middle (`split_long_edges`);
# 0: not tried
LONG_EDGE_PX = 6.0


@dataclass(frozen=True)
class Points:
    """A run's fitting points (n, 2), their weights, which were measured on the input, the polygon's
    distance from each, and their arc length along the polygon from the run's start."""

    data: np.ndarray
    weight: np.ndarray
    measured: np.ndarray
    polygon_error: np.ndarray
    along: np.ndarray

    def take(self, rows: np.ndarray, shift: float = 0.0) -> "Points":
        return Points(self.data[rows], self.weight[rows], self.measured[rows], self.polygon_error[rows],
                       self.along[rows] - shift)


def fit_run(vertices: np.ndarray, turns: np.ndarray, knots: np.ndarray,
             ends: tuple[np.ndarray, np.ndarray] | None, length: float, points: Points
             ) -> tuple[np.ndarray, float] | None:
    """The controls of one run and the squared error on the measured points of its fit at the polygon's
    knots (`_better_fit`): the first of its fits with every other vertex, with its gentle stretches
    `thinned`, and with all vertices that lies nearer the measured points than the polygon; None where
    none does (or nothing was measured)."""
    if not points.measured.any():
        return None
    every_other = np.arange(len(vertices) % 2 if ends is not None else 0, len(vertices), 2)
    tried: list[np.ndarray] = []
    for kept in (every_other, thinned(turns)):
        if len(vertices) > len(kept) >= (3 if ends is None else 1) and \
                not any(np.array_equal(kept, other) for other in tried):  # a run of 2 thins to 1 either way
            tried.append(kept)
            fit = _better_fit(vertices, knots, kept, ends, length, points)
            if fit is not None:
                return fit
    return _better_fit(vertices, knots, np.arange(len(vertices)), ends, length, points)


def fit_split_run(vertices: np.ndarray, knots: np.ndarray, ends: tuple[np.ndarray, np.ndarray], length: float,
                  points: Points) -> tuple[np.ndarray, float] | None:
    """A clamped run's fit (as `fit_run`'s) with all its vertices and its long edges split
    (`split_long_edges`), for a run that `fit_run` fits no way; None where it has no long edge or that
    fit lies no nearer the measured points than the polygon either."""
    if not points.measured.any():
        return None
    split = split_long_edges(vertices, knots, ends, length)
    return None if split is None else _better_fit(*split, np.arange(len(split[0])), ends, length, points)


def split_long_edges(vertices: np.ndarray, knots: np.ndarray, ends: tuple[np.ndarray, np.ndarray],
                     length: float) -> tuple[np.ndarray, np.ndarray] | None:
    """A clamped run's vertices and knots with a vertex added at the middle of each edge longer than
    LONG_EDGE_RATIO times the run's median edge and LONG_EDGE_PX; None where there is none. A quadratic
    segment cannot run straight along a long edge and then bend: a letter's nearly straight spine
    flowing into its bowl, traced as one long edge and short facets, fitted no spline at the polygon's
    knots and stayed facets."""
    if LONG_EDGE_RATIO <= 0:
        return None
    polygon = np.vstack([ends[0][None], vertices, ends[1][None]])
    at = np.concatenate([[0.0], knots, [length]])
    edges = np.diff(at)
    long = (edges > LONG_EDGE_RATIO * np.median(edges)) & (edges > LONG_EDGE_PX)
    if not long.any():
        return None
    middles = np.flatnonzero(long)
    order = np.argsort(np.concatenate([np.arange(1, len(at) - 1), middles + 0.5]), kind="stable")
    added = (polygon[middles] + polygon[middles + 1]) / 2
    return (np.vstack([vertices, added])[order],
            np.concatenate([knots, (at[middles] + at[middles + 1]) / 2])[order])


def _better_fit(vertices: np.ndarray, knots: np.ndarray, kept: np.ndarray,
                ends: tuple[np.ndarray, np.ndarray] | None, length: float, points: Points
                ) -> tuple[np.ndarray, float] | None:
    """The fit with the `kept` vertices as controls, None where it lies no nearer than the polygon; its
    controls replaced by those of the same count at evenly spaced knots where these lie nearer the
    measured points, its error kept (see the module docstring)."""
    fit = _fit(vertices[kept], knots[kept], ends, length, points)
    if fit is None or not EVEN_KNOTS:
        return fit
    even = _fit(*_even_knots(vertices, knots, ends, length, len(kept)), ends, length, points)
    return (even[0], fit[1]) if even is not None and even[1] < fit[1] else fit


def _even_knots(vertices: np.ndarray, knots: np.ndarray, ends: tuple[np.ndarray, np.ndarray] | None,
                length: float, count: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` points on the run's polygon (`vertices` at arc lengths `knots`, between `ends` or closed
    over `length`) evenly spaced along it, and their arc lengths: a closed run's from its first vertex,
    a clamped run's with a half spacing before the first and after the last (segments of equal length)."""
    if ends is None:
        polygon, at = np.vstack([vertices, vertices[:1]]), np.append(knots, length)
        wanted = knots[0] + np.arange(count) * length / count
    else:
        polygon = np.vstack([ends[0][None], vertices, ends[1][None]])
        at = np.concatenate([[0.0], knots, [length]])
        wanted = (np.arange(count) + 0.5) * length / count
    return np.column_stack([np.interp(wanted, at, polygon[:, k]) for k in (0, 1)]), wanted


def thinned(turns: np.ndarray) -> np.ndarray:
    """Indices of the vertices kept as controls: a vertex turning the outline by under GENTLE_TURN
    degrees is left out where the one before it is kept (a spline needs fewer controls than a polygon
    needs vertices where the outline bends little; where it bends sharply, it needs them all)."""
    keep = np.ones(len(turns), bool)
    for k in range(1, len(turns)):
        keep[k] = not (turns[k] < GENTLE_TURN and keep[k - 1])
    return np.flatnonzero(keep)


def _fit(vertices: np.ndarray, knots: np.ndarray, ends: tuple[np.ndarray, np.ndarray] | None, length: float,
         points: Points) -> tuple[np.ndarray, float] | None:
    """The fitted controls of one run: `vertices` the polygon vertices they start from, at arc
    lengths `knots` along the run (of `length`); `ends` its fixed corners (None: a closed run over the
    whole ring); None where the spline is no nearer the measured points than the polygon."""
    segment, u = _parameters(knots, ends is None, length, points.along)
    controls = vertices
    for _ in range(FIT_ROUNDS):
        design, fixed = _design(len(vertices), ends, segment, u)
        weighted = design * points.weight[:, None]
        normal = weighted.T @ design + PULL * np.eye(len(vertices))
        controls = np.linalg.solve(normal, weighted.T @ (points.data - fixed) + PULL * vertices)
        starts, finishes = segment_ends(controls, ends)
        u = _newton(starts[segment], controls[segment], finishes[segment], u, points.data)
        segment, u = _nearer_segments(starts, controls, finishes, segment, u, points.data, ends is None)
    error = np.hypot(*(_point(starts[segment], controls[segment], finishes[segment], u) - points.data).T)
    measured = error[points.measured]
    if not nearer(measured, points.polygon_error[points.measured]):
        return None
    return controls, squared(measured)


def squared(errors: np.ndarray) -> float:
    return float(errors @ errors)


def nearer(errors: np.ndarray, polygon_errors: np.ndarray) -> bool:
    """Whether a fit lies nearer the measured points than the polygon (`ACCEPT_RATIO`)."""
    return squared(errors) < ACCEPT_RATIO * squared(polygon_errors)


def _parameters(knots: np.ndarray, closed: bool, length: float, along: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Each point's segment and its parameter on it, by arc length along the polygon: segment j spans
    from halfway between control j's vertex and the one before to halfway to the one after (a clamped
    run's first and last segments from and to their corners)."""
    if closed:
        bounds = (knots + np.append(knots[1:], knots[0] + length)) / 2
        segment = np.searchsorted(bounds, along, side="right") % len(knots)
        wrapped = along - np.where((segment == 0) & (along >= bounds[-1]), length, 0.0)
        begin = np.where(segment == 0, bounds[-1] - length, bounds[segment - 1])
        finish = bounds[segment]
    else:
        bounds = np.concatenate([[0.0], (knots[:-1] + knots[1:]) / 2, [length]])  # segment j: bounds j, j+1
        segment = np.clip(np.searchsorted(bounds, along, side="right") - 1, 0, len(knots) - 1)
        wrapped, begin, finish = along, bounds[segment], bounds[segment + 1]
    return segment, np.clip((wrapped - begin) / np.maximum(finish - begin, 1e-9), 0.0, 1.0)


def _design(count: int, ends: tuple[np.ndarray, np.ndarray] | None, segment: np.ndarray,
            u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The curve points as (design @ controls + fixed): segment j's point at u is
    (1-u)² start + 2u(1-u) P_j + u² end, its start and end the middles of P_j's neighbours' chords."""
    rows = np.arange(len(u))
    head, middle, tail = (1 - u) ** 2, 2 * u * (1 - u), u**2
    design = np.zeros((len(u), count))
    fixed = np.zeros((len(u), 2))
    if ends is None:  # each statement adds to a row once, so fancy-index adds need no np.add.at
        design[rows, segment] = middle + (head + tail) / 2
        design[rows, (segment - 1) % count] += head / 2
        design[rows, (segment + 1) % count] += tail / 2
        return design, fixed
    design[rows, segment] = middle
    for at_corner, neighbour, weight, corner in ((segment == 0, segment - 1, head, ends[0]),
                                                 (segment == count - 1, segment + 1, tail, ends[1])):
        fixed += np.where(at_corner, weight, 0.0)[:, None] * corner
        inside = ~at_corner
        design[rows[inside], neighbour[inside]] += weight[inside] / 2
        design[rows[inside], segment[inside]] += weight[inside] / 2
    return design, fixed


def segment_ends(controls: np.ndarray, ends: tuple[np.ndarray, np.ndarray] | None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Each segment's start and end point."""
    if ends is None:
        return (cyclic_shift(controls, 1) + controls) / 2, (controls + cyclic_shift(controls, -1)) / 2
    middles = (controls[:-1] + controls[1:]) / 2
    return np.vstack([ends[0][None], middles]), np.vstack([middles, ends[1][None]])


def _nearer_segments(starts: np.ndarray, controls: np.ndarray, finishes: np.ndarray, segment: np.ndarray,
                     u: np.ndarray, data: np.ndarray, closed: bool) -> tuple[np.ndarray, np.ndarray]:
    """Each point whose parameter stopped at an end of its segment tried on the segment beyond that
    end (from the shared joint, NEWTON_STEPS steps) and moved there where that lies nearer: a point's
    place along the polygon can give it the wrong segment, and its distance to that segment's end is
    then no distance to the curve, yet the fit was solved and judged by it (a generated text image's
    G bowl, all vertices as controls: 0.11 px² of squared error to the curve against its polygon's
    0.21 px², judged more, so the bowl stayed facets; docs/findings.md, "Fitting points on their nearest
    segment")."""
    count = len(controls)
    for step, at_end, begin in ((-1, u <= 0.0, 1.0), (1, u >= 1.0, 0.0)):
        other = segment + step
        movable = at_end & ((other >= 0) & (other < count) | closed)
        if not movable.any():
            continue
        rows = np.flatnonzero(movable)
        beyond = other[rows] % count
        tried = _newton(starts[beyond], controls[beyond], finishes[beyond], np.full(len(rows), begin),
                        data[rows])
        here = _point(starts[segment[rows]], controls[segment[rows]], finishes[segment[rows]], u[rows])
        there = _point(starts[beyond], controls[beyond], finishes[beyond], tried)
        better = ((there - data[rows]) ** 2).sum(axis=1) < ((here - data[rows]) ** 2).sum(axis=1)
        segment, u = segment.copy(), u.copy()
        segment[rows[better]], u[rows[better]] = beyond[better], tried[better]
    return segment, u


def _point(start: np.ndarray, control: np.ndarray, end: np.ndarray, u: np.ndarray) -> np.ndarray:
    return ((1 - u) ** 2)[:, None] * start + (2 * u * (1 - u))[:, None] * control + (u**2)[:, None] * end


def _newton(start: np.ndarray, control: np.ndarray, end: np.ndarray, u: np.ndarray,
            data: np.ndarray) -> np.ndarray:
    """Each parameter moved NEWTON_STEPS steps towards the nearest point of its segment to its data
    point (kept within the segment)."""
    second = 2 * (end - 2 * control + start)
    for _ in range(NEWTON_STEPS):
        first = 2 * ((1 - u)[:, None] * (control - start) + u[:, None] * (end - control))
        offset = _point(start, control, end, u) - data
        numerator = (offset * first).sum(axis=1)
        denominator = (first * first).sum(axis=1) + (offset * second).sum(axis=1)
        safe = np.abs(denominator) > 1e-12
        u = np.clip(u - np.where(safe, numerator / np.where(safe, denominator, 1.0), 0.0), 0.0, 1.0)
    return u
