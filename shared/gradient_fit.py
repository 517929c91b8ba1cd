"""One region's fill model: flat, linear or radial gradient, chosen by description length.

Pixels are given as centres (input px) with premultiplied RGBA in [0, 1] (sRGB, the space SVG
interpolates gradient stops in). A model's cost is its colour profile's description length
(shared/gradient_profile.py: bits for the fit's error plus `log2(n)` bits per parameter, twice the BIC
charge); a gradient replaces the flat fill only where it costs `MARGIN_BITS` less and at least halves
the RMS error to within `MAX_RMS`: on noise and on flat regions the parameters cost more than they
explain.

Linear: the axis is the leading singular vector of the least-squares colour gradient (colour against
x, y). Radial: the centre is the stationary point of an isotropic quadratic fitted to the region's
main colour component, refined by a short pattern search (on an evenly strided `SEARCH_SAMPLE` of
the region's pixels; the final profile uses all); elliptical where a full quadratic bends along one
axis more than along the other (its Hessian's eigenvectors give the axes' first guess; the search
moves their ratio and angle with the centre). Along the axis
(or radius) colour is piecewise linear with 2 to `max_stops` stops, fitted by least squares, the
stops between the ends placed where they leave the least error (`placed_profile`, for the model
chosen with evenly spaced stops); a stop more only where it cuts the RMS error by `STOP_RMS_GAIN` (a
stop that changes the rendering by less is markup for nothing).
"""

from dataclasses import dataclass

import numpy as np

from shared import gradient_profile
from shared.gradient_profile import STOP_RMS_GAIN, best_profile, bits, profile
from shared.paint import Gradient, Stop, hex_rgb

MIN_PIXELS = 48  # regions with fewer interior pixels keep their flat fill
SAMPLE = 3000  # most pixels a region (or regions fitted together) is fitted on
SEARCH_SAMPLE = 1000  # most of them a radial centre's pattern search evaluates its profiles on
MARGIN_BITS = 64.0  # a gradient must save this much over the flat fill
FLAT_PARAMS = 4
MAX_RMS = 0.04  # a gradient leaving more error than this is not the region's model (mixed flat parts)
GRADIENT_BYTES, STOP_BYTES, ELLIPSE_BYTES = 90, 35, 45  # about what a gradient's markup costs: element,
# per stop, an ellipse's transform
ELLIPSE_RATIO = 0.8  # a radial gradient is tried as an ellipse where its axes' ratio is below this
RATIO_STEP, ANGLE_STEP = 0.1, 0.15  # an ellipse's first steps in the search: log of its ratio, radians


@dataclass(frozen=True)
class Fit:
    """A fitted model of a region: `paint` None for flat; `bits` its description length, `rms` its
    error (premultiplied RGBA, [0, 1])."""

    paint: Gradient | None
    bits: float
    rms: float


def _stops(offsets: np.ndarray, values: np.ndarray) -> tuple[Stop, ...]:
    out = []
    for offset, (r, g, b, a) in zip(offsets.tolist(), values.tolist(), strict=True):
        rgb = np.array([r, g, b]) / a if a > 1e-3 else np.zeros(3)
        hexa = "#" + "".join(f"{round(float(v) * 255):02x}" for v in np.clip(rgb, 0, 1))
        out.append(Stop(round(float(np.clip(offset, 0, 1)), 4), hexa, round(min(a, 1.0), 3)))
    return tuple(out)


def _linear(xy: np.ndarray, colours: np.ndarray, max_stops: int, place: bool = False) -> Fit | None:
    design = np.column_stack([np.ones(len(xy)), xy - xy.mean(axis=0)])
    coef = _least_squares(design, colours)
    slopes = coef[1:]  # (2, 4): colour per px along x and y
    u, s, _ = np.linalg.svd(slopes)
    if s[0] < 1e-6:
        return None
    axis = u[:, 0]
    knots, values, fit_bits, rms = best_profile(xy @ axis, colours, max_stops, 4, place)
    x1, y1 = axis * knots[0]
    x2, y2 = axis * knots[-1]
    offsets = (knots - knots[0]) / (knots[-1] - knots[0])
    return Fit(Gradient("linear", (x1, y1, x2, y2), _stops(offsets, values)), fit_bits, rms)


def _least_squares(design: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Least-squares coefficients of `values` on the columns of `design` (n x k, k small), through the
    normal equations of the columns scaled to unit peak (well conditioned; ~10x cheaper than lstsq on
    the n rows), with lstsq where they are singular."""
    peak = np.abs(design).max(axis=0)
    peak[peak == 0] = 1.0
    scaled = design / peak
    try:
        coef = np.linalg.solve(scaled.T @ scaled, scaled.T @ values)
    except np.linalg.LinAlgError:
        coef, *_ = np.linalg.lstsq(scaled, values, rcond=None)
    return (coef.T / peak).T


def _distance(xy: np.ndarray, centre: np.ndarray, shape: tuple[float, float] | None = None) -> np.ndarray:
    """Distance of points from `centre`: euclidean, or for an ellipse `shape` (ratio of its minor to
    its major axis, the major axis' angle in radians) along the major axis and stretched across it."""
    q = xy - centre
    if shape is None:
        return np.hypot(q[:, 0], q[:, 1])
    ratio, angle = shape
    cos, sin = np.cos(angle), np.sin(angle)
    return np.hypot(q[:, 0] * cos + q[:, 1] * sin, (q[:, 1] * cos - q[:, 0] * sin) / ratio)


def _radial_sse(xy: np.ndarray, colours: np.ndarray, centre: np.ndarray, stops: int,
                shape: tuple[float, float] | None = None, energy: float | None = None) -> float:
    return profile(_distance(xy, centre, shape), colours, stops, energy)[2]


def _search_centre(xy: np.ndarray, colours: np.ndarray, centre: np.ndarray, extent: float,
                   shape: tuple[float, float] | None = None
                   ) -> tuple[np.ndarray, tuple[float, float] | None]:
    """Pattern search for the centre (and for an ellipse `shape`, its axes' ratio and angle) whose
    3-stop radial profile has the least SSE: the centre steps from `extent` / 8 px, an ellipse's ratio
    by `RATIO_STEP` (in its log) and its angle by `ANGLE_STEP` radians, all halved together where no
    neighbour is better, until the centre's step is under 0.25 px. Each point is evaluated once (a step
    back lands on the point just left). An ellipse's shape from the quadratic (`_ellipse`) is only a
    start: a cone of colour is no quadratic (twemoji's shaded eye, a bounding-box radial of ratio 0.71
    upright, came as 0.60 at 13 degrees off, RMS 0.017, against 0.005 at its own shape)."""
    seen: dict[tuple[float, ...], float] = {}
    if len(xy) > SEARCH_SAMPLE:  # an evenly strided subset: the centre moves by a fraction of the step
        stride = -(-len(xy) // SEARCH_SAMPLE)
        xy, colours = xy[::stride], colours[::stride]
    energy = float((colours * colours).sum())

    def unpacked(at: np.ndarray) -> tuple[np.ndarray, tuple[float, float] | None]:
        return at[:2], None if shape is None else (float(np.exp(min(at[2], 0.0))), float(at[3]))

    def sse(at: np.ndarray) -> float:
        key = tuple(round(float(v), 9) for v in at)
        if key not in seen:
            centre_at, shape_at = unpacked(at)
            seen[key] = _radial_sse(xy, colours, centre_at, 3, shape_at, energy)
        return seen[key]

    at = np.array([*centre, *(() if shape is None else (np.log(shape[0]), shape[1]))], float)
    steps = np.array([extent / 8, extent / 8, RATIO_STEP, ANGLE_STEP])[: len(at)]
    moves = np.array([sign * row for row in np.diag(steps) for sign in (1, -1)])  # +x, -x, +y, -y, ...
    best = sse(at)
    for _ in range(12 if shape is None else 24):
        moved = False
        for move in moves:
            trial = at + move
            trial_sse = sse(trial)
            if trial_sse < best:
                at, best, moved = trial, trial_sse, True
        if not moved:
            moves /= 2
            if moves[0, 0] < 0.25:
                break
    return unpacked(at)


def _radial(xy: np.ndarray, colours: np.ndarray, max_stops: int, to_beat: float = np.inf) -> list[Fit]:
    """A circular radial gradient and (where the colour bends more along one axis) an elliptical one.
    `fit_region` takes the ellipse (~45 B more markup) only where it cuts the RMS error of every other
    fit by `STOP_RMS_GAIN`, so it is not tried where the circle or `to_beat` (the linear fit's RMS)
    leave less, nor where a full quadratic of the main colour component leaves less than
    `STOP_RMS_GAIN` / 2 RMS below the isotropic one (the search costs as much as the circle's)."""
    mean = xy.mean(axis=0)
    centred = colours - colours.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    main = centred @ vt[0]  # the main colour component
    p = xy - mean
    extent = float(np.ptp(xy, axis=0).max()) + 1.0
    iso, iso_rms = _quadratic(np.column_stack([np.ones(len(p)), p, (p**2).sum(axis=1)]), main)
    circle = _circle(xy, colours, max_stops, iso, mean, extent)
    if min(to_beat, circle.rms if circle is not None else np.inf) <= STOP_RMS_GAIN:
        return [circle] if circle is not None else []
    full, full_rms = _quadratic(np.column_stack([np.ones(len(p)), p, p**2, p[:, 0] * p[:, 1]]), main)
    ellipse = _ellipse(xy, colours, max_stops, full, mean, extent) \
        if iso_rms - full_rms >= STOP_RMS_GAIN / 2 else None
    return [f for f in (circle, ellipse) if f is not None]


def _quadratic(design: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, float]:
    """Least-squares coefficients and RMS residual of `values` on `design`."""
    coef = _least_squares(design, values)
    return coef, float(np.sqrt(np.mean((design @ coef - values) ** 2)))


def _circle(xy: np.ndarray, colours: np.ndarray, max_stops: int, coef: np.ndarray, mean: np.ndarray,
            extent: float) -> Fit | None:
    """Centre: the stationary point of the isotropic quadratic (`coef`: 1, x, y, x² + y²) fitted to
    the main colour component."""
    _, bx, by, curvature = coef
    if abs(curvature) < 1e-12:
        return None
    centre = mean - np.array([bx, by]) / (2 * curvature)
    if np.hypot(*(centre - mean)) > 2 * extent:
        return None
    return _radial_fit(xy, colours, max_stops, *_search_centre(xy, colours, centre, extent))


def _ellipse(xy: np.ndarray, colours: np.ndarray, max_stops: int, coef: np.ndarray, mean: np.ndarray,
             extent: float) -> Fit | None:
    """Centre and shape: the stationary point and the Hessian's eigenvectors of the full quadratic
    (`coef`: 1, x, y, x², y², xy) fitted to the main colour component, where it is definite and its
    axes' ratio is below `ELLIPSE_RATIO`."""
    half_hessian = np.array([[coef[3], coef[5] / 2], [coef[5] / 2, coef[4]]])
    eigenvalues, vectors = np.linalg.eigh(half_hessian)
    slow, fast = sorted(range(2), key=lambda k: abs(eigenvalues[k]))
    if eigenvalues[0] * eigenvalues[1] <= 0 or abs(eigenvalues[fast]) < 1e-12:
        return None
    ratio = float(np.sqrt(eigenvalues[slow] / eigenvalues[fast]))
    if ratio > ELLIPSE_RATIO:
        return None
    shape = (ratio, float(np.arctan2(vectors[1, slow], vectors[0, slow])))
    centre = mean - np.linalg.solve(half_hessian, coef[1:3]) / 2
    if _distance(mean[None], centre, shape)[0] > 2 * extent / ratio:
        return None
    return _radial_fit(xy, colours, max_stops, *_search_centre(xy, colours, centre, extent, shape))


def _radial_fit(xy: np.ndarray, colours: np.ndarray, max_stops: int, centre: np.ndarray,
                shape: tuple[float, float] | None, place: bool = False) -> Fit:
    knots, values, fit_bits, rms = best_profile(_distance(xy, centre, shape), colours, max_stops,
                                                3 if shape is None else 5, place)
    radius = max(float(knots[-1]), 1e-3)
    points = (float(centre[0]), float(centre[1]), radius)
    if shape is not None:
        points += (shape[0], float(np.degrees(shape[1])))
    return Fit(Gradient("radial", points, _stops(knots / radius, values)), fit_bits, rms)


def markup_bytes(paint: Gradient) -> int:
    """About what `paint` adds to the SVG (shared/svg.py writes it)."""
    return GRADIENT_BYTES + STOP_BYTES * len(paint.stops) + (ELLIPSE_BYTES if len(paint.points) == 5 else 0)


def fit_region(xy: np.ndarray, colours: np.ndarray, max_stops: int, force: bool = False,
               gain_per_byte: float = 0.0, place: bool = True) -> Fit:
    """The cheapest model of a region's pixels (`xy` pixel centres, `colours` (n, 4) premultiplied):
    flat unless a gradient saves `MARGIN_BITS`, at least halves the RMS error to within `MAX_RMS` and
    gains (`ssim_gain`, per pixel of the region) `gain_per_byte` per byte of its markup (`force`: the
    best gradient whatever it saves, for bands whose merged region is tested by its error); `place`:
    the chosen model's stops placed (`_placed`), for regions that ramp (shared/gradients.py)."""
    n = len(xy)
    if n == 0:
        return Fit(None, 0.0, 0.0)
    flat_sse = float(((colours - colours.mean(axis=0)) ** 2).sum())
    flat = Fit(None, bits(flat_sse, n, FLAT_PARAMS), float(np.sqrt(flat_sse / (4 * max(n, 1)))))
    if not force and (n < MIN_PIXELS or flat.rms < 1.0 / 255):
        return flat
    linear = _linear(xy, colours, max_stops)
    fits = [*([linear] if linear is not None else []),
            *_radial(xy, colours, max_stops, linear.rms if linear is not None else np.inf)]
    best = min(fits, key=lambda f: f.bits, default=flat)
    others = [f for f in fits if f is not best]
    if best.paint is not None and len(best.paint.points) == 5 and others \
            and min(f.rms for f in others) <= best.rms + STOP_RMS_GAIN:  # the ellipse's transform buys little
        best = min(others, key=lambda f: f.bits)
    if place:
        best = _placed(best, xy, colours, max_stops)
    if force:
        return best
    clear = best.bits + MARGIN_BITS < flat.bits and best.rms <= min(MAX_RMS, flat.rms / 2)
    if clear and gain_per_byte > 0 and best.paint is not None:
        clear = ssim_gain(best.paint, xy, colours) >= gain_per_byte * markup_bytes(best.paint)
    return best if clear else flat


def _placed(fit: Fit, xy: np.ndarray, colours: np.ndarray, max_stops: int) -> Fit:
    """`fit` (the model chosen with evenly spaced stops) fitted again along its axis or from its centre
    with its stops placed (shared/gradient_profile.py, `placed_profile`), where that costs fewer bits:
    one placement per region instead of one per model tried."""
    if fit.paint is None or gradient_profile.PLACE_ROUNDS == 0:
        return fit
    if fit.paint.kind == "linear":
        placed = _linear(xy, colours, max_stops, place=True)
    else:
        cx, cy = fit.paint.points[:2]
        shape = (fit.paint.points[3], float(np.radians(fit.paint.points[4]))) \
            if len(fit.paint.points) == 5 else None
        placed = _radial_fit(xy, colours, max_stops, np.array([cx, cy]), shape, place=True)
    return placed if placed is not None and placed.bits < fit.bits else fit


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
        cx, cy, r = paint.points[:3]
        shape = (paint.points[3], np.radians(paint.points[4])) if len(paint.points) == 5 else None
        t = _distance(xy, np.array([cx, cy]), shape) / r
    offsets = np.array([s.offset for s in paint.stops])
    values = np.array([[*hex_rgb(s.color), s.opacity] for s in paint.stops])
    values[:, :3] *= values[:, 3:]
    out = np.column_stack([np.interp(t, offsets, values[:, k]) for k in range(4)])
    if extend:
        for end, (a, b) in ((t < offsets[0], (0, 1)), (t > offsets[-1], (-2, -1))):
            span = offsets[b] - offsets[a]
            if span > 1e-9 and end.any():
                slope = (values[b] - values[a]) / span
                out[end] = np.clip(values[a] + (t[end, None] - offsets[a]) * slope, 0, 1)
    return out
