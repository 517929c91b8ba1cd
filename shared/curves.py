"""Curve fitting (placeholder)."""

from shared.geometry import Drawing


def fit_drawing(drawing: Drawing, tolerance: float, corner_angle: float) -> Drawing:
    return drawing
