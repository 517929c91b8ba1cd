"""Spline controls rounded onto the writing grid together, not one by one (shared/svg.py writes them).

A run of `t` segments is written as joints, each the midpoint of two controls, relative to the joint
before: segment k's text is (c[k+1] - c[k-1]) / 2, on a half unit (a '.5', two more characters) where
those two controls differ in parity. Rounding each control to its nearest integer puts about half the
joints on half units; forcing each control to its predecessor's parity (the rule before: a control moved
by up to 0.87 units, 0.11 px on the grid of 8 units per px) moved stretches of a curve by up to 0.15 px
the same way: octobercms' leaf lay 0.12-0.2 px inside its measured edge for 15 px.

Here each coordinate of a run's controls is chosen among the four integers about it by dynamic
programming, minimising the squared distance of the written curve from the fitted one, integrated over
each segment (in units^2 x its length in units), plus `HALF_COST` for each half unit the text gets.
A segment's error is a quadratic form of its start's, control's and end's errors (the Bernstein basis'
Gram matrix); a joint's error is the mean of its two controls' errors, so a segment depends on three
consecutive controls, and the program's state is a pair of them (a ring that is one closed run: every
choice of its last and first controls is tried).
"""

import numpy as np

HALF_COST = 8.0  # squared units x units of integrated curve error that one half unit (2 characters) is
# worth; see docs/findings.md, "Spline controls rounded together"
_GRAM = np.array([[1 / 5, 1 / 10, 1 / 30], [1 / 10, 2 / 15, 1 / 10], [1 / 30, 1 / 10, 1 / 5]])
_CHOICES = np.arange(-1, 3)  # candidates: floor(control) - 1 .. floor(control) + 2


def rounded_controls(controls: np.ndarray, ends: np.ndarray, start: np.ndarray, joins: np.ndarray,
                     curved: np.ndarray) -> np.ndarray:
    """Integer controls of a spline (shared/geometry.py's `Spline`), view units: `controls`, `ends` (of its
    segments) and `start` unrounded; `joins[k]`: segment k ends at the midpoint of controls k and k + 1;
    `curved[k]`: segment k is a quadratic. A straight segment's control is rounded to its nearest integer
    (it is not written)."""
    written = np.round(controls)
    count = len(controls)
    if joins.all():  # one closed run
        if count >= 3:
            lengths = _lengths(np.vstack([ends[-1:], ends]))
            for axis in range(2):
                written[:, axis] = _chain(controls[:, axis], lengths, None)
        return written
    for first in (k for k in range(count) if curved[k] and not joins[k - 1]):
        last = first
        while joins[last]:
            last += 1  # a run that is not the whole ring ends before the ring does
        run = np.arange(first, last + 1)
        before = start if first == 0 else ends[first - 1]
        end = start if last == count - 1 else ends[last]
        lengths = _lengths(np.vstack([before[None], ends[run[:-1]], end[None]]))
        for axis in range(2):
            errors = (np.round(before[axis]) - before[axis], np.round(end[axis]) - end[axis])
            written[run, axis] = _chain(controls[run, axis], lengths, errors)
    return written


def _lengths(points: np.ndarray) -> np.ndarray:
    """Chord length of each segment between consecutive `points` (at least one unit)."""
    return np.maximum(np.hypot(*np.diff(points, axis=0).T), 1.0)


def _cost(start: np.ndarray, control: np.ndarray, end: np.ndarray, length: float) -> np.ndarray:
    """Integrated squared error of a quadratic segment, times its length, from the errors of its start,
    control and end (broadcast arrays)."""
    g = _GRAM
    return length * (g[0, 0] * start * start + g[1, 1] * control * control + g[2, 2] * end * end
                     + 2 * (g[0, 1] * start * control + g[0, 2] * start * end + g[1, 2] * control * end))


def _chain(values: np.ndarray, lengths: np.ndarray, fixed: tuple[float, float] | None) -> np.ndarray:
    """One coordinate of a run's m controls as integers. `fixed`: the rounding errors of the open run's
    first and last points (None: a closed run, m >= 3, whose text starts at the joint of its last and
    first controls, absolute, its `q` control relative to that: two half units where they differ in
    parity)."""
    cand = np.floor(values)[:, None] + _CHOICES  # (m, 4)
    err = cand - values[:, None]
    odd = cand % 2
    m = len(values)
    if fixed is not None and m == 1:
        return cand[0, _cost(fixed[0], err[0], fixed[1], lengths[0]).argmin()]
    # The state is (origin..., choice of control k-1, choice of control k); an open run has no origin,
    # a closed one the choices of its last and first controls (o_last, o_first) as two leading axes.
    x = np.newaxis
    if fixed is None:
        last, first = err[m - 1][:, x, x, x], err[0][x, :, x, x]
        state = _cost((last + first) / 2, first, (first + err[1][x, x, x, :]) / 2, lengths[0]) \
            + HALF_COST * (odd[m - 1][:, x, x, x] != odd[1][x, x, x, :]) \
            + 2 * HALF_COST * (odd[m - 1][:, x, x, x] != odd[0][x, :, x, x])
        state = np.where(np.eye(4, dtype=bool)[x, :, :, x], state, np.inf)  # choice 0 = o_first
        origin = 2
    else:
        state = _cost(fixed[0], err[0][:, x], (err[0][:, x] + err[1][x, :]) / 2, lengths[0]) \
            + HALF_COST * (odd[0][:, x] != odd[1][x, :])
        origin = 0
    back = []
    stop = m - 2 if fixed is None else m - 1
    lead = (x,) * origin
    for k in range(1, stop):
        p, c, n = err[k - 1][:, x, x], err[k][x, :, x], err[k + 1][x, x, :]
        step = _cost((p + c) / 2, c, (c + n) / 2, lengths[k]) \
            + HALF_COST * (odd[k - 1][:, x, x] != odd[k + 1][x, x, :])
        total = state[..., x] + step[lead]
        back.append(total.argmin(axis=origin))
        state = total.min(axis=origin)
    if fixed is None:  # segments m-2 and m-1 close the ring through the origin's choices
        p, c = err[m - 3][x, x, :, x], err[m - 2][x, x, x, :]
        last, first = err[m - 1][:, x, x, x], err[0][x, :, x, x]
        state = state + _cost((p + c) / 2, c, (c + last) / 2, lengths[m - 2]) \
            + HALF_COST * (odd[m - 3][x, x, :, x] != odd[m - 1][:, x, x, x]) \
            + _cost((c + last) / 2, last, (last + first) / 2, lengths[m - 1]) \
            + HALF_COST * (odd[m - 2][x, x, x, :] != odd[0][x, :, x, x])
    else:
        p, c = err[m - 2][:, x], err[m - 1][x, :]
        state = state + _cost((p + c) / 2, c, fixed[1], lengths[m - 1]) \
            + HALF_COST * (odd[m - 2][:, x] != odd[m - 1][x, :])
    best = np.unravel_index(int(state.argmin()), state.shape)
    choice = np.zeros(m, int)
    head, (choice[stop - 1], choice[stop]) = best[:origin], best[origin:]
    for k in range(stop - 2, -1, -1):
        choice[k] = back[k][(*head, choice[k + 1], choice[k + 2])]
    if fixed is None:
        choice[m - 1] = head[0]
    return cand[np.arange(m), choice]
