"""Test helper: points along a `shared.geometry.Spline` (its straight and quadratic parts), to measure a
fitted outline against the shape it stands for."""

import numpy as np

from shared.geometry import Spline


def spline_points(spline: Spline, start: int = 0, stop: int | None = None, steps: int = 20) -> np.ndarray:
    """`steps` points along each of a spline ring's parts `start`..`stop` - 1 (all by default), both ends
    of each part included (input px)."""
    stop = len(spline.ends) if stop is None else stop
    u = np.linspace(0, 1, steps)[:, None]
    points, at = [], spline.start if start == 0 else spline.ends[start - 1]
    for control, end, straight in zip(spline.controls[start:stop], spline.ends[start:stop],
                                      spline.straight[start:stop], strict=True):
        points.append(at + u * (end - at) if straight else (1 - u) ** 2 * at + 2 * u * (1 - u) * control
                      + u**2 * end)
        at = end
    return np.vstack(points)
