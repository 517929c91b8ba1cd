"""A gradient's colour profile along its axis (or radius): piecewise linear in premultiplied RGBA with
2 to `max_stops` stops, fitted by least squares, and its description length (shared/gradient_fit.py
picks a region's model by it).

Positions `t` are in input px along the axis; colours (n, 4) premultiplied RGBA in [0, 1]. A profile's
cost is `n·c/2·log2(mse + FLOOR)` bits for its fit plus `log2(n)` bits per parameter. Stops between
the ends are evenly spaced, or placed where they leave the least error (`placed_profile`): there each
trial placement is solved from per-cell moments of the positions and colours (`_CellMoments`), not from
the n x k hat basis, so a trial costs O(cells) instead of O(n).
"""

import numpy as np

FLOOR = (0.5 / 255) ** 2  # quantisation noise: a fit is never credited below it
STOP_RMS_GAIN = 1.0 / 255  # an extra stop must cut the RMS error by this much (its markup costs ~40 B)
PLACE_GRID = 20  # stops between the ends are placed at multiples of 1/this of the range ...
PLACE_ROUNDS = 2  # ... one at a time, in up to this many rounds (`placed_profile`) ...
PLACE_MIN_PX = 4.0  # ... at least this far apart: closer stops draw an edge as a ramp (generated text
# on a pink plate got a 1 px ramp from pink to white, +217 B for no gain)

Profile = tuple[np.ndarray, np.ndarray, float]  # knots (k,) in t's units, knot colours (k, 4), SSE


def bits(sse: float, n: int, params: int) -> float:
    """Description length of a fit leaving `sse` on `n` pixels (4 channels) with `params` parameters."""
    channels = 4
    return 0.5 * n * channels * np.log2(sse / (n * channels) + FLOOR) + params * np.log2(max(n, 2))


def profile(t: np.ndarray, colours: np.ndarray, stops: int, energy: float | None = None,
            fractions: np.ndarray | None = None) -> Profile:
    """Knots, knot colours (k, 4) and SSE of the best piecewise-linear colour profile along `t` (knots
    evenly spaced from its least to its greatest value, or at `fractions` of that range): least squares
    on the hat basis B through the k x k normal equations, the SSE as |C|^2 - 2 tr(V'B'C) + tr(V'B'BV)
    (this runs ~50 times a radial fit; `energy`: |C|^2 where the caller has it)."""
    lo, hi = float(t.min()), float(t.max())
    if hi - lo <= 1e-6:
        knots = np.array([lo, lo + 1.0])
        basis = np.maximum(1.0 - np.abs(t[:, None] - knots), 0.0)
    elif fractions is None:  # np.linspace(lo, hi, stops), written out (~15 us a call less)
        knots = np.arange(stops) * ((hi - lo) / (stops - 1)) + lo
        knots[-1] = hi
        basis = np.maximum(1.0 - np.abs(t[:, None] - knots) / (knots[1] - knots[0]), 0.0)  # (n, k) hats
    else:
        knots = lo + fractions * (hi - lo)
        knots[-1] = hi
        segment = np.clip(np.searchsorted(knots, t, side="right") - 1, 0, len(knots) - 2)
        weight = np.clip((t - knots[segment]) / (knots[segment + 1] - knots[segment]), 0.0, 1.0)
        basis = np.zeros((len(t), len(knots)))
        rows = np.arange(len(t))
        basis[rows, segment] = 1.0 - weight
        basis[rows, segment + 1] += weight
    energy = float((colours * colours).sum()) if energy is None else energy
    values, sse = _solved(basis.T @ basis, basis.T @ colours, energy)
    return knots, values, sse


def _solved(normal: np.ndarray, rhs: np.ndarray, energy: float) -> tuple[np.ndarray, float]:
    """Knot colours from the normal equations (clipped to [0, 1]) and the SSE they leave."""
    try:
        values = np.linalg.solve(normal, rhs)
    except np.linalg.LinAlgError:  # a knot no position weighs on: the least-norm solution
        values, *_ = np.linalg.lstsq(normal, rhs, rcond=None)
    values = np.clip(values, 0.0, 1.0)
    sse = energy - 2 * float((values * rhs).sum()) + float((values * (normal @ values)).sum())
    return values, max(sse, 0.0)


def best_profile(t: np.ndarray, colours: np.ndarray, max_stops: int, place_params: int,
                 place: bool = False) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Knots, knot colours, bits and RMS of the profile along `t` with the fewest stops: one more stop
    (~40 B of markup) only where it costs fewer bits and cuts the RMS by `STOP_RMS_GAIN`. With `place`,
    stops between the ends are placed (`placed_profile`), each moved one charged as a parameter."""
    energy = float((colours * colours).sum())
    knots, values, sse = profile(t, colours, 2, energy)
    fit_bits, rms = bits(sse, len(t), place_params + 8), float(np.sqrt(sse / (4 * len(t))))
    for stops in range(3, max_stops + 1):
        more_knots, more_values, more_sse, placed = placed_profile(t, colours, stops, energy) if place \
            else (*profile(t, colours, stops, energy), 0)
        more_bits = bits(more_sse, len(t), place_params + 4 * stops + placed)
        more_rms = float(np.sqrt(more_sse / (4 * len(t))))
        if more_bits >= fit_bits or rms - more_rms < STOP_RMS_GAIN:
            break
        knots, values, fit_bits, rms = more_knots, more_values, more_bits, more_rms
    return knots, values, fit_bits, rms


def placed_profile(t: np.ndarray, colours: np.ndarray, stops: int,
                   energy: float) -> tuple[np.ndarray, np.ndarray, float, int]:
    """`profile` with its stops between the ends moved, one at a time, to the fraction of the range
    (on a grid of 1 / `PLACE_GRID`, `PLACE_MIN_PX` from its neighbours) that leaves the least SSE, in up
    to `PLACE_ROUNDS` rounds; and how many stops left their even place. A logo's gradient often turns
    within a fifth of its length (devicon's talos: yellow to orange in its first 20 %), which evenly
    spaced stops smear. Trials are solved from cell moments; the profile returned is `profile`'s."""
    even = np.linspace(0.0, 1.0, stops)
    span = float(t.max() - t.min())
    if span <= 1e-6 or PLACE_ROUNDS == 0:
        return *profile(t, colours, stops, energy), 0
    moments = _CellMoments(t, colours, int(np.lcm(PLACE_GRID, stops - 1)))
    fractions, least = even, moments.sse(even, energy)
    grid = np.arange(1, PLACE_GRID) / PLACE_GRID
    gap = PLACE_MIN_PX / span  # the least fraction between two stops
    for _ in range(PLACE_ROUNDS):
        moved = False
        for j in range(1, stops - 1):
            free = (grid >= fractions[j - 1] + gap) & (grid <= fractions[j + 1] - gap)
            for fraction in grid[free].tolist():
                trial = fractions.copy()
                trial[j] = fraction
                trial_sse = moments.sse(trial, energy)
                if trial_sse < least * (1.0 - 1e-9):
                    fractions, least, moved = trial, trial_sse, True
        if not moved:
            break
    placed = int((np.abs(fractions - even) > 1e-9).sum())
    return *profile(t, colours, stops, energy, fractions if placed else None), placed


class _CellMoments:
    """Sums over `cells` equal cells of `t`'s range (positions as x in [0, 1] of it): count, Σx, Σx²,
    Σc and Σx·c per cell, as prefix sums. On knots at cell boundaries each hat is linear in x within a
    cell, so the normal equations of any such knot set follow from them exactly."""

    def __init__(self, t: np.ndarray, colours: np.ndarray, cells: int) -> None:
        lo, hi = float(t.min()), float(t.max())
        x = (t - lo) / (hi - lo)
        cell = np.clip((x * cells).astype(int), 0, cells - 1)
        weights = np.column_stack([np.ones(len(x)), x, x * x, colours, colours * x[:, None]])
        sums = np.column_stack([np.bincount(cell, weights[:, j], cells) for j in range(weights.shape[1])])
        self.cells = cells
        self._prefix = np.vstack([np.zeros((1, weights.shape[1])), np.cumsum(sums, axis=0)])  # (cells+1, 11)

    def sse(self, fractions: np.ndarray, energy: float) -> float:
        """The SSE of the least-squares profile with knots at `fractions` (on cell boundaries)."""
        edge = np.rint(fractions * self.cells).astype(int)
        sums = self._prefix[edge[1:]] - self._prefix[edge[:-1]]  # per segment: n, Σx, Σx², Σc, Σx·c
        f, w = fractions[:-1, None], np.diff(fractions)[:, None]
        n, sx, sxx, c, cx = sums[:, :1], sums[:, 1:2], sums[:, 2:3], sums[:, 3:7], sums[:, 7:]
        su = (sx - f * n) / w  # Σu, u = (x - f) / w the position within the segment
        suu = (sxx - 2 * f * sx + f * f * n) / (w * w)
        cu = (cx - f * c) / w  # Σu·c
        diagonal = np.zeros(len(fractions))  # Σ(1-u)² from the segment right of a knot, Σu² left of it
        diagonal[:-1] = (n - 2 * su + suu)[:, 0]
        diagonal[1:] += suu[:, 0]
        beside = (su - suu)[:, 0]  # Σu(1-u): neighbouring knots' hats overlap on one segment
        normal = np.diag(diagonal) + np.diag(beside, 1) + np.diag(beside, -1)
        rhs = np.zeros((len(fractions), 4))
        rhs[:-1] = c - cu
        rhs[1:] += cu
        return _solved(normal, rhs, energy)[1]
