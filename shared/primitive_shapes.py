"""The geometry of primitives (shared/primitives.py decides where they are used): fitting a circle
(Kasa), an ellipse (the direct least-squares conic of Fitzgibbon et al. in Halir and Flusser's stable
form) or a rounded rectangle (least squares on its signed distance) to weighted points, and a
primitive's signed distance and boundary. Coordinates are input px; angles in a `Primitive` are
degrees."""

import numpy as np
from scipy.optimize import least_squares

from shared.geometry import Primitive, cyclic_shift

START_ERROR_PX = 1.0  # a rounded rectangle's first estimate farther than this (RMS) is not refined
FIT_STADIUMS = True  # a rounded rectangle whose free fit's radius passes its shorter half side is fitted
# again with the two tied (a pill-shaped bar), not dropped; off: dropped (the behaviour before 2026-12-03)


def fit_circle(points: np.ndarray, weights: np.ndarray) -> Primitive | None:
    """Kasa's algebraic circle: x² + y² = 2ax + 2by + c in weighted least squares."""
    centre = np.average(points, axis=0, weights=weights)
    p = points - centre
    w = np.sqrt(weights)[:, None]
    design = np.c_[2 * p, np.ones(len(p))] * w
    target = np.sum(p * p, axis=1) * w[:, 0]
    (a, b, c), *_ = np.linalg.lstsq(design, target, rcond=None)
    r2 = c + a * a + b * b
    if r2 <= 0:
        return None
    return Primitive("circle", centre[0] + a, centre[1] + b, float(np.sqrt(r2)), float(np.sqrt(r2)))


def fit_ellipse(points: np.ndarray, weights: np.ndarray) -> Primitive | None:
    """The direct least-squares ellipse (Fitzgibbon, Pilu and Fisher 1999; Halir and Flusser 1998),
    on centred and scaled points for conditioning."""
    centre = np.average(points, axis=0, weights=weights)
    spread = float(np.sqrt(np.average(np.sum((points - centre) ** 2, axis=1), weights=weights))) or 1.0
    x, y = ((points - centre) / spread).T
    w = weights[:, None]
    quadratic, linear = np.c_[x * x, x * y, y * y], np.c_[x, y, np.ones_like(x)]
    s1, s2, s3 = quadratic.T @ (w * quadratic), quadratic.T @ (w * linear), linear.T @ (w * linear)
    try:
        t = -np.linalg.solve(s3, s2.T)
    except np.linalg.LinAlgError:
        return None
    m = s1 + s2 @ t
    m = np.array([m[2] / 2, -m[1], m[0] / 2])
    _, vectors = np.linalg.eig(m)
    vectors = np.real(vectors)
    condition = 4 * vectors[0] * vectors[2] - vectors[1] ** 2
    if not (condition > 0).any():
        return None
    a1 = vectors[:, np.argmax(condition > 0)]
    A, B, C, D, E, F = (*a1, *(t @ a1))  # conic coefficients
    return _ellipse_from_conic(A, B, C, D, E, F, centre, spread)


def _ellipse_from_conic(A: float, B: float, C: float, D: float, E: float, F: float,
                        centre: np.ndarray, spread: float) -> Primitive | None:
    try:
        x0, y0 = np.linalg.solve([[2 * A, B], [B, 2 * C]], [-D, -E])
    except np.linalg.LinAlgError:
        return None
    f0 = A * x0 * x0 + B * x0 * y0 + C * y0 * y0 + D * x0 + E * y0 + F
    values, vectors = np.linalg.eigh(np.array([[A, B / 2], [B / 2, C]]))
    if not (values * -f0 > 0).all():
        return None
    axes = np.sqrt(-f0 / values) * spread
    major = int(np.argmax(axes))
    angle = np.degrees(np.arctan2(vectors[1, major], vectors[0, major]))
    angle = (angle + 90) % 180 - 90  # [-90, 90)
    return Primitive("ellipse", centre[0] + x0 * spread, centre[1] + y0 * spread,
                     float(axes[major]), float(axes[1 - major]), float(angle))


def fit_rounded_rect(points: np.ndarray, weights: np.ndarray) -> Primitive | None:
    """A rounded rectangle by least squares on its signed distance, started from the direction the
    edges share (angles folded to a quarter turn) and the box and area of the points."""
    chords = np.diff(np.vstack([points, points[:1]]), axis=0)
    angle4 = 4 * np.arctan2(chords[:, 1], chords[:, 0])
    length = np.hypot(*chords.T)
    theta = np.arctan2(np.sum(length * np.sin(angle4)), np.sum(length * np.cos(angle4))) / 4
    local = _to_frame(points, 0.0, 0.0, theta)
    low, high = local.min(axis=0), local.max(axis=0)
    half = (high - low) / 2
    middle = from_frame((low + high)[None] / 2, 0.0, 0.0, theta)[0]
    x, y = local.T
    area = 0.5 * abs(np.dot(x, cyclic_shift(y, -1)) - np.dot(y, cyclic_shift(x, -1)))
    box = 4 * half[0] * half[1]
    if not (1 - (4 - np.pi) / 4) * 0.97 <= area / max(box, 1e-9) <= 1.0:  # no rounded rectangle fills
        return None  # less than its box with quarter circles cut off (or more than the box)
    corner = np.sqrt(max(0.0, box - area) / (4 - np.pi))
    start = np.array([middle[0], middle[1], half[0], half[1], min(corner, half.min()), theta])
    w = np.sqrt(weights)
    first_error = _rect_distance(points, *start)
    if np.sqrt(np.average(first_error**2, weights=weights)) > START_ERROR_PX:
        return None  # far from a rounded rectangle: no least squares

    def residual(v: np.ndarray) -> np.ndarray:
        return w * _rect_distance(points, *v)

    def jacobian(v: np.ndarray) -> np.ndarray:
        return w[:, None] * _rect_distance_jacobian(points, *v)

    try:
        found = least_squares(residual, start, jac=jacobian, method="lm", max_nfev=60).x
    except ValueError:
        return None
    if abs(found[4]) > min(abs(found[2]), abs(found[3])) + 1e-6:  # past a stadium (semicircular ends):
        found = _fit_stadium(points, w, found) if FIT_STADIUMS else None  # fitted again as one, or None
        if found is None:
            return None
    cx, cy, hx, hy, r, theta = found
    hx, hy, r = abs(hx), abs(hy), abs(r)
    angle = (np.degrees(theta) + 45) % 90 - 45  # a quarter turn swaps the sides
    if round((np.degrees(theta) - angle) / 90) % 2:
        hx, hy = hy, hx
    return Primitive("rect", float(cx), float(cy), float(hx), float(hy), float(angle), float(r))


def _fit_stadium(points: np.ndarray, w: np.ndarray, found: np.ndarray) -> np.ndarray | None:
    """(cx, cy, hx, hy, r, theta) of a rounded rectangle whose corner radius is its shorter half side,
    by least squares from `found`, a fit whose radius came out longer than that (a pill-shaped bar's
    ends: a free fit overshoots on the sampled ends of fxemoji's text lines, 4.07 against 4.00 px).
    `w`: the square roots of the weights. None where the fit fails or the sides swap."""
    short = 2 if abs(found[2]) < abs(found[3]) else 3  # the half side the radius is tied to

    def full(v: np.ndarray) -> np.ndarray:
        return np.insert(v, 4, v[short])

    def residual(v: np.ndarray) -> np.ndarray:
        return w * _rect_distance(points, *full(v))

    def jacobian(v: np.ndarray) -> np.ndarray:
        j = _rect_distance_jacobian(points, *full(v))
        j[:, short] += j[:, 4]
        return w[:, None] * np.delete(j, 4, axis=1)

    start = np.delete(found, 4)
    start[short] = abs(found[short])
    try:
        tied = full(least_squares(residual, start, jac=jacobian, method="lm", max_nfev=60).x)
    except ValueError:
        return None
    return tied if abs(tied[short]) <= abs(tied[5 - short]) + 1e-6 else None


def _to_frame(points: np.ndarray, cx: float, cy: float, theta: float) -> np.ndarray:
    c, s = np.cos(theta), np.sin(theta)
    p = points - [cx, cy]
    return np.stack([p[:, 0] * c + p[:, 1] * s, -p[:, 0] * s + p[:, 1] * c], axis=1)


def from_frame(points: np.ndarray, cx: float, cy: float, theta: float) -> np.ndarray:
    """Points (n, 2) of a primitive's own frame (centred, turned by `theta` radians) in the image's."""
    c, s = np.cos(theta), np.sin(theta)
    x, y = points[:, 0], points[:, 1]
    return np.stack([x * c - y * s + cx, x * s + y * c + cy], axis=1)


def _rect_distance(points: np.ndarray, cx: float, cy: float, hx: float, hy: float, r: float,
                   theta: float) -> np.ndarray:
    """Signed distance of points from a rounded rectangle (negative inside)."""
    q = np.abs(_to_frame(points, cx, cy, theta)) - [abs(hx) - abs(r), abs(hy) - abs(r)]
    outside = np.hypot(np.maximum(q[:, 0], 0), np.maximum(q[:, 1], 0))
    return outside + np.minimum(np.maximum(q[:, 0], q[:, 1]), 0) - abs(r)


def _rect_distance_jacobian(points: np.ndarray, cx: float, cy: float, hx: float, hy: float, r: float,
                            theta: float) -> np.ndarray:
    """Partial derivatives of `_rect_distance` by (cx, cy, hx, hy, r, theta), one row per point (the
    subgradient where the distance has a kink: on the diagonal of a corner's inner square)."""
    local = _to_frame(points, cx, cy, theta)
    sign = np.where(local < 0, -1.0, 1.0)
    q = np.abs(local) - [abs(hx) - abs(r), abs(hy) - abs(r)]
    outside = np.maximum(q, 0.0)
    length = np.hypot(outside[:, 0], outside[:, 1])
    corner = length > 0
    safe = np.where(corner, length, 1.0)
    by_q = np.where(corner[:, None], outside / safe[:, None], 0.0)  # d distance / d q, outside part
    inner_x = ~corner & (q[:, 0] >= q[:, 1])  # inside: the max of qx, qy
    by_q[:, 0] += inner_x
    by_q[:, 1] += ~corner & ~inner_x
    by_local = by_q * sign
    c, s = np.cos(theta), np.sin(theta)
    d_cx = -(by_local[:, 0] * c - by_local[:, 1] * s)  # d local / d cx = (-c, s)
    d_cy = -(by_local[:, 0] * s + by_local[:, 1] * c)  # d local / d cy = (-s, -c)
    d_theta = by_local[:, 0] * local[:, 1] - by_local[:, 1] * local[:, 0]  # d local / d theta = (ly, -lx)
    d_hx = -by_q[:, 0] * np.sign(hx)
    d_hy = -by_q[:, 1] * np.sign(hy)
    d_r = (by_q[:, 0] + by_q[:, 1] - 1.0) * np.sign(r)
    return np.stack([d_cx, d_cy, d_hx, d_hy, d_r, d_theta], axis=1)


def distance(shape: Primitive, points: np.ndarray) -> np.ndarray:
    """Signed distance (input px, positive outside) of points from the primitive's boundary (for an
    ellipse: from the nearest of 360 boundary points, refined by Newton's method)."""
    theta = np.radians(shape.angle)
    if shape.kind == "circle":
        return np.hypot(points[:, 0] - shape.cx, points[:, 1] - shape.cy) - shape.rx
    if shape.kind == "rect":
        return _rect_distance(points, shape.cx, shape.cy, shape.rx, shape.ry, shape.corner, theta)
    local = _to_frame(points, shape.cx, shape.cy, theta)
    a, b = shape.rx, shape.ry
    samples = np.linspace(0, 2 * np.pi, 360, endpoint=False)
    x, y = local[:, :1], local[:, 1:]
    t = samples[np.argmin((a * np.cos(samples) - x) ** 2 + (b * np.sin(samples) - y) ** 2, axis=1)]
    x, y = x[:, 0], y[:, 0]
    for _ in range(3):  # Newton on the derivative of the squared distance along the ellipse
        g = (b * b - a * a) * np.sin(t) * np.cos(t) + x * a * np.sin(t) - y * b * np.cos(t)
        slope = (b * b - a * a) * np.cos(2 * t) + x * a * np.cos(t) + y * b * np.sin(t)
        t = t - g / np.where(np.abs(slope) < 1e-12, 1e-12, slope)
    nearest = np.hypot(a * np.cos(t) - x, b * np.sin(t) - y)
    inside = (x / a) ** 2 + (y / b) ** 2 < 1
    return np.where(inside, -nearest, nearest)


def boundary(shape: Primitive, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """`count` points on the primitive's boundary, the outward unit normals and the curvature there."""
    t = np.linspace(0, 2 * np.pi, count, endpoint=False)
    theta = np.radians(shape.angle)
    if shape.kind == "rect":  # points on the boundary by pushing a dense ring onto it
        hx, hy, r = shape.rx, shape.ry, shape.corner
        inner = np.c_[np.clip(np.cos(t) * (hx + hy), -(hx - r), hx - r),
                      np.clip(np.sin(t) * (hx + hy), -(hy - r), hy - r)]
        direction = np.c_[np.cos(t), np.sin(t)]
        flat = np.abs(inner) < np.array([hx - r, hy - r]) - 1e-9
        side_x = np.c_[np.sign(direction[:, 0]), np.zeros(count)]  # on a vertical side
        side_y = np.c_[np.zeros(count), np.sign(direction[:, 1])]  # on a horizontal side
        normal = np.where(flat[:, [1]] & ~flat[:, [0]], side_x,
                          np.where(flat[:, [0]] & ~flat[:, [1]], side_y, direction))
        local, local_normal = inner + r * normal, normal
        curvature = np.where(flat.any(axis=1), 0.0, 1 / max(r, 1e-6))
    else:
        a, b = shape.rx, shape.ry
        local = np.c_[a * np.cos(t), b * np.sin(t)]
        local_normal = np.c_[b * np.cos(t), a * np.sin(t)]
        local_normal /= np.hypot(*local_normal.T)[:, None]
        curvature = a * b / ((a * np.sin(t)) ** 2 + (b * np.cos(t)) ** 2) ** 1.5
    points = from_frame(local, shape.cx, shape.cy, theta)
    normals = from_frame(local_normal, 0.0, 0.0, theta)
    return points, normals, curvature


FITS = {"circle": fit_circle, "ellipse": fit_ellipse, "rect": fit_rounded_rect}  # kind -> its fit
