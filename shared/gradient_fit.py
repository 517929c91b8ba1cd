"""One region's fill model: flat, linear or radial gradient, chosen by description length.

Pixels are given as centres (input px) with premultiplied RGBA in [0, 1] (sRGB, the space SVG
interpolates gradient stops in). A model's cost is `n·c/2·log2(mse + floor)` bits for its fit plus
`log2(n)` bits per parameter (twice the BIC charge); a gradient replaces the flat fill only where it
costs `MARGIN_BITS` less and at least halves the RMS error to within `MAX_RMS`: on noise and on flat
regions the parameters cost more than they explain.

Linear: the axis is the leading singular vector of the least-squares colour gradient (colour against
x, y). Radial: the centre is the stationary point of an isotropic quadratic fitted to the region's
main colour component, refined by a short pattern search. Along the axis (or radius) colour is
piecewise linear with 2 to `max_stops` evenly spaced stops, fitted by least squares; a stop more only
where it cuts the RMS error by `STOP_RMS_GAIN` (a stop that changes the rendering by less is markup
for nothing).
"""

from dataclasses import dataclass

import numpy as np

from shared.paint import Gradient, Stop

MIN_PIXELS = 48  # regions with fewer interior pixels keep their flat fill
FLOOR = (0.5 / 255) ** 2  # quantisation noise: a fit is never credited below it
MARGIN_BITS = 64.0  # a gradient must save this much over the flat fill
FLAT_PARAMS = 4
MAX_RMS = 0.04  # a gradient leaving more error than this is not the region's model (mixed flat parts)
GRADIENT_BYTES, STOP_BYTES = 90, 35  # about what a gradient's markup costs: element, and per stop
STOP_RMS_GAIN = 1.0 / 255  # an extra stop must cut the RMS error by this much (its markup costs ~40 B)


@dataclass(frozen=True)
class Fit:
    """A fitted model of a region: `paint` None for flat; `bits` its description length, `rms` its
    error (premultiplied RGBA, [0, 1])."""

    paint: Gradient | None
    bits: float
    rms: float


def _bits(sse: float, n: int, params: int) -> float:
    channels = 4
    return 0.5 * n * channels * np.log2(sse / (n * channels) + FLOOR) + params * np.log2(max(n, 2))


def _profile(t: np.ndarray, colours: np.ndarray, stops: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Knots, knot colours (k, 4) and SSE of the best piecewise-linear colour profile along `t` (evenly
    spaced knots from its least to its greatest value): least squares on the hat basis B through the
    k x k normal equations, the SSE as |C|^2 - 2 tr(V'B'C) + tr(V'B'BV) (this runs ~50 times a radial fit)."""
    lo, hi = float(t.min()), float(t.max())
    knots = np.linspace(lo, hi, stops) if hi - lo > 1e-6 else np.array([lo, lo + 1.0])
    step = knots[1] - knots[0]
    basis = np.maximum(1.0 - np.abs(t[:, None] - knots) / step, 0.0)  # (n, k) hat functions
    normal, rhs = basis.T @ basis, basis.T @ colours
    try:
        values = np.linalg.solve(normal, rhs)
    except np.linalg.LinAlgError:  # a knot no position weighs on: the least-norm solution
        values, *_ = np.linalg.lstsq(normal, rhs, rcond=None)
    values = np.clip(values, 0.0, 1.0)
    sse = float((colours * colours).sum() - 2 * (values * rhs).sum() + (values * (normal @ values)).sum())
    return knots, values, max(sse, 0.0)


def _stops(offsets: np.ndarray, values: np.ndarray) -> tuple[Stop, ...]:
    out = []
    for offset, (r, g, b, a) in zip(offsets.tolist(), values.tolist(), strict=True):
        rgb = np.array([r, g, b]) / a if a > 1e-3 else np.zeros(3)
        hexa = "#" + "".join(f"{round(float(v) * 255):02x}" for v in np.clip(rgb, 0, 1))
        out.append(Stop(round(float(np.clip(offset, 0, 1)), 4), hexa, round(min(a, 1.0), 3)))
    return tuple(out)


def _linear(xy: np.ndarray, colours: np.ndarray, max_stops: int) -> Fit | None:
    design = np.column_stack([np.ones(len(xy)), xy - xy.mean(axis=0)])
    coef, *_ = np.linalg.lstsq(design, colours, rcond=None)
    slopes = coef[1:]  # (2, 4): colour per px along x and y
    u, s, _ = np.linalg.svd(slopes)
    if s[0] < 1e-6:
        return None
    axis = u[:, 0]
    knots, values, bits, rms = _best_profile(xy @ axis, colours, max_stops, 4)
    x1, y1 = axis * knots[0]
    x2, y2 = axis * knots[-1]
    offsets = (knots - knots[0]) / (knots[-1] - knots[0])
    return Fit(Gradient("linear", (x1, y1, x2, y2), _stops(offsets, values)), bits, rms)


def _best_profile(t: np.ndarray, colours: np.ndarray, max_stops: int,
                  place_params: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Knots, knot colours, bits and RMS of the profile along `t` with the fewest stops: one more stop
    (~40 B of markup) only where it costs fewer bits and cuts the RMS by `STOP_RMS_GAIN`."""
    knots, values, sse = _profile(t, colours, 2)
    bits, rms = _bits(sse, len(t), place_params + 8), float(np.sqrt(sse / (4 * len(t))))
    for stops in range(3, max_stops + 1):
        more_knots, more_values, more_sse = _profile(t, colours, stops)
        more_bits = _bits(more_sse, len(t), place_params + 4 * stops)
        more_rms = float(np.sqrt(more_sse / (4 * len(t))))
        if more_bits >= bits or rms - more_rms < STOP_RMS_GAIN:
            break
        knots, values, bits, rms = more_knots, more_values, more_bits, more_rms
    return knots, values, bits, rms


def _radial_sse(xy: np.ndarray, colours: np.ndarray, centre: np.ndarray, stops: int) -> float:
    r = np.hypot(*(xy - centre).T)
    return _profile(r, colours, stops)[2]


def _search_centre(xy: np.ndarray, colours: np.ndarray, centre: np.ndarray, extent: float) -> np.ndarray:
    """Pattern search for the centre whose 3-stop radial profile has the least SSE: steps from
    `extent` / 8 px, halved where no neighbour is better, down to 0.25 px. Each centre is evaluated
    once (a step back lands on the centre just left)."""
    seen: dict[tuple[float, float], float] = {}

    def sse(at: np.ndarray) -> float:
        key = (round(float(at[0]), 9), round(float(at[1]), 9))
        if key not in seen:
            seen[key] = _radial_sse(xy, colours, at, 3)
        return seen[key]

    step, best = extent / 8, sse(centre)
    for _ in range(12):
        moved = False
        for d in ((step, 0), (-step, 0), (0, step), (0, -step)):
            trial = centre + np.array(d)
            trial_sse = sse(trial)
            if trial_sse < best:
                centre, best, moved = trial, trial_sse, True
        if not moved:
            step /= 2
            if step < 0.25:
                break
    return centre


def _radial(xy: np.ndarray, colours: np.ndarray, max_stops: int) -> Fit | None:
    mean = xy.mean(axis=0)
    centred = colours - colours.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    main = centred @ vt[0]  # the main colour component
    p = xy - mean
    design = np.column_stack([np.ones(len(p)), p, (p**2).sum(axis=1)])
    (_, bx, by, curvature), *_ = np.linalg.lstsq(design, main, rcond=None)
    extent = float(np.ptp(xy, axis=0).max()) + 1.0
    if abs(curvature) < 1e-12:
        return None
    centre = mean - np.array([bx, by]) / (2 * curvature)
    if np.hypot(*(centre - mean)) > 2 * extent:
        return None
    centre = _search_centre(xy, colours, centre, extent)
    knots, values, bits, rms = _best_profile(np.hypot(*(xy - centre).T), colours, max_stops, 3)
    radius = max(float(knots[-1]), 1e-3)
    paint = Gradient("radial", (float(centre[0]), float(centre[1]), radius), _stops(knots / radius, values))
    return Fit(paint, bits, rms)


def markup_bytes(paint: Gradient) -> int:
    """About what `paint` adds to the SVG (shared/svg.py writes it)."""
    return GRADIENT_BYTES + STOP_BYTES * len(paint.stops)


def fit_region(xy: np.ndarray, colours: np.ndarray, max_stops: int, force: bool = False,
               gain_per_byte: float = 0.0) -> Fit:
    """The cheapest model of a region's pixels (`xy` pixel centres, `colours` (n, 4) premultiplied):
    flat unless a gradient saves `MARGIN_BITS`, at least halves the RMS error to within `MAX_RMS` and
    gains (`ssim_gain`, per pixel of the region) `gain_per_byte` per byte of its markup (`force`: the
    best gradient whatever it saves, for bands whose merged region is tested by its error)."""
    n = len(xy)
    if n == 0:
        return Fit(None, 0.0, 0.0)
    flat_sse = float(((colours - colours.mean(axis=0)) ** 2).sum())
    flat = Fit(None, _bits(flat_sse, n, FLAT_PARAMS), float(np.sqrt(flat_sse / (4 * max(n, 1)))))
    if not force and (n < MIN_PIXELS or flat.rms < 1.0 / 255):
        return flat
    fits = [f for f in (_linear(xy, colours, max_stops), _radial(xy, colours, max_stops)) if f is not None]
    best = min(fits, key=lambda f: f.bits, default=flat)
    if force:
        return best
    clear = best.bits + MARGIN_BITS < flat.bits and best.rms <= min(MAX_RMS, flat.rms / 2)
    if clear and gain_per_byte > 0 and best.paint is not None:
        clear = ssim_gain(best.paint, xy, colours) >= gain_per_byte * markup_bytes(best.paint)
    return best if clear else flat


def ssim_gain(paint: Gradient, xy: np.ndarray, colours: np.ndarray) -> float:
    """Rough per-pixel gain of the SSIM (7x7 windows, 8-bit channels) from `paint` over the flat fill
    on pixels `xy` with `colours` (premultiplied, [0, 1]): a flat fill loses the contrast term
    1 - C2 / (sigma^2 + C2) where the source ramps (sigma^2 ~ 4 slope^2 in a 7 px window), both lose
    the luminance term on their colour error. An estimate of magnitude, not the measured SSIM."""
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    here = paint_colours(paint, xy)[:, :3] * 255
    sigma2 = 4 * sum((paint_colours(paint, xy + step)[:, :3] * 255 - here) ** 2  # slope^2 per px
                     for step in ((1.0, 0.0), (0.0, 1.0)))
    truth = colours[:, :3] * 255
    flat = truth.mean(axis=0)
    flat_loss = sigma2 / (sigma2 + c2) + (flat - truth) ** 2 / (flat**2 + truth**2 + c1)
    return float((flat_loss - (here - truth) ** 2 / (here**2 + truth**2 + c1)).mean())


def paint_colours(paint: Gradient, xy: np.ndarray, extend: bool = False) -> np.ndarray:
    """(n, 4) premultiplied RGBA in [0, 1] that `paint` gives at points `xy` (input px), as SVG pads
    (`extend`: the end segments continued instead, clipped to [0, 1])."""
    if paint.kind == "linear":
        x1, y1, x2, y2 = paint.points
        axis = np.array([x2 - x1, y2 - y1])
        t = (xy - [x1, y1]) @ axis / max(float(axis @ axis), 1e-12)
    else:
        cx, cy, r = paint.points
        t = np.hypot(xy[:, 0] - cx, xy[:, 1] - cy) / r
    offsets = np.array([s.offset for s in paint.stops])
    values = np.array([[int(s.color[k:k + 2], 16) / 255 for k in (1, 3, 5)] + [s.opacity]
                       for s in paint.stops])
    values[:, :3] *= values[:, 3:]
    out = np.column_stack([np.interp(t, offsets, values[:, k]) for k in range(4)])
    if extend:
        for end, (a, b) in ((t < offsets[0], (0, 1)), (t > offsets[-1], (-2, -1))):
            span = offsets[b] - offsets[a]
            if span > 1e-9 and end.any():
                slope = (values[b] - values[a]) / span
                out[end] = np.clip(values[a] + (t[end, None] - offsets[a]) * slope, 0, 1)
    return out
