"""The parts a spline run is written as (shared/splines.py): quadratics in `q`/`t` runs and straight
segments, and the bends between straight sides that shared/corner_arcs.py and shared/tangent_corners.py
fit (a circular arc tangent to both sides, else a spline tangent to them)."""

import numpy as np

from shared.corner_arcs import Side, corner_arc
from shared.spline_fit import Points, nearer
from shared.tangent_corners import End, tangent_curve

Part = tuple[np.ndarray, np.ndarray, bool, bool]  # a segment of a spline: control, end, straight, smooth


def bend_parts(head: Side, tail: Side, wide: Points, vertices: np.ndarray, tangent: bool
               ) -> tuple[list[Part], np.ndarray] | None:
    """The parts of a bend between two straight sides (its polygon `vertices` from side to side) and where
    it starts: the circular arc tangent to both (shared/corner_arcs.py), else, where `tangent`, two
    quadratics tangent to both (shared/tangent_corners.py: a squircle-like corner), the first that lies
    nearer the measured points `wide` (the bend's and the sides' ends) than the polygon; None where
    neither does."""
    arc = corner_arc(head, tail, wide.data, wide.weight)
    if arc is not None and nearer(arc.errors[wide.measured], wide.polygon_error[wide.measured]):
        return curved_parts(arc.controls, arc.ends), arc.start
    return tangent_parts(head, tail, vertices, wide, 2) if tangent else None


def tangent_parts(head: End, tail: End, vertices: np.ndarray, wide: Points, segments: int
                  ) -> tuple[list[Part], np.ndarray] | None:
    """The parts of a bend from `head` to `tail` (each a straight side it leaves tangent to, or a fixed
    corner) as a spline of `segments` quadratics (shared/tangent_corners.py, started from the polygon's
    `vertices`) and where it starts, where that lies nearer the measured points `wide` than the polygon;
    None otherwise."""
    curve = tangent_curve(head, tail, vertices, wide.data, wide.weight, segments)
    if curve is None or not nearer(curve.errors[wide.measured], wide.polygon_error[wide.measured]):
        return None
    return curved_parts(curve.controls, curve.ends), curve.start


def curved_parts(controls: np.ndarray, ends: np.ndarray) -> list[Part]:
    """One run of quadratics as parts: the first opens it, the others continue it."""
    return [(c, e, False, k > 0) for k, (c, e) in enumerate(zip(controls, ends, strict=True))]
