"""Bends that no circular arc fits, as quadratic B-splines tangent to the straight sides they join.

shared/corner_arcs.py fits a bend between two straight sides as the circle tangent to both sides' lines,
and shared/spline_fit.py fits a run as a spline clamped at its polygon's vertices. Many bends are
neither: a brand mark's or a font's rounded corner is often one cubic whose handles lie along the sides
(a squircle-like corner that starts bending early and turns late), whose points lie up to 0.6 px off any
tangent circle; and where a bend runs into a straight side with no corner (the shoulder of a sans-serif
`n` into its stem), the polygon's vertex at the side's end lies off the curve, so a spline clamped there
fits no nearer than the polygon. simple-icons' paytm and devicon's linkedin wordmark kept such bends as
their polygons' facets, which a 4x zoom shows.

Here the bend is a quadratic B-spline of a few segments (`tangent_curve`). Each end is either a fixed
corner or a straight `Side`: the curve ends on the side's line (free to slide within the side's reach)
with its first (or last) control on that line, so it leaves the side tangent to it. The controls in
between are free. A circular arc is one such curve, so this family holds what `corner_arc` fits, and
more. Every point of the curve is an affine function of the unknowns, so they are fitted by Gauss-Newton
steps: each point's distance from the curve, taken along the normal at its nearest curve point, is
linear in them (a weighted linear least squares per step, with a small damping; the nearest points are
found again after each). shared/splines.py keeps a fit only where it lies nearer the measured points
than the polygon, after its other fits; and it refits a piece of a run that runs on from a straight
side with no corner (a J's stem into its hook) where the piece's own fit meets the side at a kink.
Joints are the middles of their controls, so a run is written `q` then `t` (shared/svg.py).
"""

import numpy as np

from shared.corner_arcs import CornerArc, Side, bend_turn, beyond_sides

CURVE_SAMPLES = 16  # points per quadratic where a point's nearest curve point is looked for
MIN_HANDLE_PX = 0.05  # a tangent control lies at least this far along its side's line from the end
STEPS = 30  # Gauss-Newton steps at most (each: nearest points found, one bounded linear least squares).
# 29 bends of Iconify icons: 3.7 ms each; against scipy's bounded least squares on the exact distances
# (9 ms at its tolerances), the same squared error (within 2 %) on 23, up to 1.2 times on 2, 2.7-15
# times on 4 tiny bends whose ends had to slide back along their sides (a point past a side's end counts
# from the side's line, which gives a step no pull on the end)
SLOW_STEPS, SLOW_GAIN = 3, 0.005  # ... and none once the best error fell by less than this share over the
# last this many steps (its convergence is linear: on the 59 held-out images 4x ±0, Tier 1's time -4 %)
DAMPING = 1e-3  # per step, times the points' total weight: keeps a step of a poorly held unknown short
STOP_PX = 5e-3  # no more steps once none of the curve's controls moves this far

End = Side | np.ndarray  # a straight side the curve leaves tangent to, or a fixed corner (x, y)


def tangent_curve(head: End, tail: End, guide: np.ndarray, data: np.ndarray, weight: np.ndarray,
                  segments: int, controls: np.ndarray | None = None) -> CornerArc | None:
    """The quadratic B-spline of `segments` segments from `head` to `tail` (each a fixed corner or a
    `Side` it is tangent to, its end within the side's reach) that fits the points `data` (n, 2;
    `weight` each) best, started from `controls` (segments, 2) where given, else spread along the
    polyline `guide` (the polygon's vertices from end to end).
    None where fewer than 2 segments are asked for, there are fewer points than unknowns plus 2, or two
    sides barely turn or turn too far (`corner_arcs.bend_turn`)."""
    if segments < 2:
        return None
    if isinstance(head, Side) and isinstance(tail, Side) and bend_turn(head, tail) is None:
        return None
    net = _Net(head, tail, _along(guide, segments) if controls is None else controls)
    if len(data) < len(net.start) + 2:
        return None
    samples = _sample_weights(segments)  # the curve's sample points as weights of the net's points
    x, best, best_error = net.start, net.start, np.inf
    damping = DAMPING * float(weight.sum())
    history: list[float] = []
    for _ in range(STEPS):
        points = net.points(x)
        rows, normals, free, distance = _nearest(data, samples, points, net)
        error = float(weight @ (distance * distance))
        if error < best_error:  # a step may overshoot where the nearest points jump: the best is kept
            best, best_error = x, error
        history.append(best_error)
        if len(history) > SLOW_STEPS and best_error > (1 - SLOW_GAIN) * history[-1 - SLOW_STEPS]:
            break
        if not free.any():
            break
        # a point's distance along its normal, n . (P - rows (gain x + offset)), is linear in x
        design = np.einsum("ir,id,rdk->ik", rows[free], normals[free], net.gain)
        target = np.sum(normals[free] * (data[free] - rows[free] @ net.offset), axis=1)
        moved = _bounded_step(design, target, weight[free], x, damping, net.lower, net.upper)
        if float(np.abs(net.points(moved) - points).max()) < STOP_PX:
            break
        x = moved
    points = net.points(best)
    controls, ends = points[1:-1], np.vstack([(points[1:-2] + points[2:-1]) / 2, points[-1:]])
    return CornerArc(points[0], controls, ends, _nearest(data, samples, points, net)[3])


def _bounded_step(design: np.ndarray, target: np.ndarray, weight: np.ndarray, x: np.ndarray, damping: float,
                  lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """The damped weighted least-squares solution of `design` y = `target` near `x`, within the bounds:
    an unknown the solution puts past a bound is held there and the others solved again (a step that
    only clipped them stalled against the bound: 1.1-4.5 times a bounded solver's squared error on 3 of
    29 Iconify icons' bends)."""
    held = np.zeros(len(x), bool)
    moved = x.copy()
    for _ in range(len(x)):
        free = ~held
        rest = target - design[:, held] @ moved[held]
        a = design[:, free]
        moved[free] = np.linalg.solve(a.T @ (a * weight[:, None]) + damping * np.eye(int(free.sum())),
                                      a.T @ (weight * rest) + damping * x[free])
        past = free & ((moved < lower) | (moved > upper))
        if not past.any() or past.sum() == free.sum():
            break
        moved[past] = np.clip(moved[past], lower[past], upper[past])
        held |= past
    return np.clip(moved, lower, upper)


def _along(guide: np.ndarray, segments: int) -> np.ndarray:
    """`segments` points spread along the polyline `guide` (at the middles of equal parts of its length):
    the controls' first places."""
    lengths = np.hypot(*np.diff(guide, axis=0).T)
    at = np.append(0.0, np.cumsum(lengths))
    wanted = (np.arange(segments) + 0.5) / segments * at[-1]
    return np.column_stack([np.interp(wanted, at, guide[:, k]) for k in (0, 1)])


class _Net:
    """The unknowns of a `tangent_curve` and the curve's control net they make, an affine function of
    them: (m + 2, 2) points (first point, the m controls, last point) = `gain` (m + 2, 2, k) @ x +
    `offset` (m + 2, 2). Per `Side` end: its slide along the side (within reach) and its control's
    distance along the side's line (at least MIN_HANDLE_PX, at most 1 px more than the distance between
    the first and last controls' starting places); per corner end: its control's x and y; then the
    inner controls' x and y."""

    def __init__(self, head: End, tail: End, controls: np.ndarray) -> None:
        self.head, self.tail = head, tail
        m = len(controls)
        span = float(np.hypot(*(controls[-1] - controls[0]))) + 1.0
        columns = 2 * m  # 2 unknowns per end, 2 per inner control
        self.gain = np.zeros((m + 2, 2, columns))
        self.offset = np.zeros((m + 2, 2))
        start, lower, upper = np.zeros(columns), np.full(columns, -np.inf), np.full(columns, np.inf)
        for end, point, control, column, sign in ((head, 0, 1, 0, 1.0), (tail, m + 1, m, columns - 2, -1.0)):
            slide, handle = column, column + 1
            if isinstance(end, Side):  # point = vertex + slide d, control = point + sign handle d
                self.offset[point] = self.offset[control] = end.vertex
                self.gain[point, :, slide] = self.gain[control, :, slide] = end.direction
                self.gain[control, :, handle] = sign * end.direction
                along = float(sign * (controls[control - 1] - end.vertex) @ end.direction)
                start[handle] = np.clip(along, MIN_HANDLE_PX, span)
                lower[slide], upper[slide] = -end.reach, end.reach
                lower[handle], upper[handle] = MIN_HANDLE_PX, span + MIN_HANDLE_PX
            else:  # point = the corner, control = (slide, handle)
                self.offset[point] = end
                self.gain[control, 0, slide] = self.gain[control, 1, handle] = 1.0
                start[[slide, handle]] = controls[control - 1]
        for k in range(2, m):  # inner controls
            self.gain[k, 0, 2 * k - 2] = self.gain[k, 1, 2 * k - 1] = 1.0
            start[[2 * k - 2, 2 * k - 1]] = controls[k - 1]
        self.start, self.lower, self.upper = start, lower, upper

    def points(self, x: np.ndarray) -> np.ndarray:
        """The control net (m + 2, 2) for unknowns `x`."""
        return self.gain @ x + self.offset


def _sample_weights(segments: int) -> np.ndarray:
    """(segments x CURVE_SAMPLES + 1, segments + 2): each sample point of the curve as weights of the
    control net (first point, controls, last point); joint k is the middle of controls k and k + 1."""
    m = segments
    joints = np.zeros((m + 1, m + 2))
    joints[0, 0] = joints[m, m + 1] = 1.0
    for k in range(1, m):
        joints[k, k] = joints[k, k + 1] = 0.5
    t = np.linspace(0.0, 1.0, CURVE_SAMPLES + 1)[:, None]
    pieces = []
    for k in range(1, m + 1):
        control = np.zeros(m + 2)
        control[k] = 1.0
        piece = (1 - t) ** 2 * joints[k - 1] + 2 * t * (1 - t) * control + t * t * joints[k]
        pieces.append(piece if k == 1 else piece[1:])
    return np.vstack(pieces)


def _nearest_on(data: np.ndarray, polyline: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each point: the polyline's segment nearest it, the fraction along it, and the distance."""
    p, step = polyline[:-1], np.diff(polyline, axis=0)
    length2 = np.maximum(np.sum(step * step, axis=1), 1e-12)
    offset = data[:, None, :] - p[None]
    s = np.clip(np.sum(offset * step[None], axis=2) / length2[None], 0.0, 1.0)
    gaps = np.hypot(*(offset - s[..., None] * step[None]).transpose(2, 0, 1))
    segment = np.argmin(gaps, axis=1)
    rows = np.arange(len(data))
    return segment, s[rows, segment], gaps[rows, segment]


def _nearest(data: np.ndarray, samples: np.ndarray, points: np.ndarray, net: "_Net"
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(each point's nearest curve point as weights of the net (n, m + 2), the unit normal there towards
    the point (n, 2), whether the point is measured from the curve (not beyond a side's end:
    shared/corner_arcs.py `beyond_sides`), each point's distance from the outline the curve makes with
    its sides)."""
    polyline = samples @ points
    segment, fraction, gap = _nearest_on(data, polyline)
    rows = (1 - fraction)[:, None] * samples[segment] + fraction[:, None] * samples[segment + 1]
    towards = data - rows @ points
    step = polyline[segment + 1] - polyline[segment]
    across = np.column_stack([-step[:, 1], step[:, 0]]) / np.maximum(np.hypot(*step.T), 1e-12)[:, None]
    normals = np.where((gap > 1e-9)[:, None], towards / np.maximum(gap, 1e-12)[:, None], across)
    past, from_sides = beyond_sides(data, *((points[k], end.direction) if isinstance(end, Side) else None
                                            for k, end in ((0, net.head), (-1, net.tail))))
    return rows, normals, ~past, np.where(past, from_sides, gap)
