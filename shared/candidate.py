"""One configuration traced and measured: the unit every tier, the benchmark and the search work with."""

import time
from dataclasses import dataclass

import numpy as np

from shared.engine import trace
from shared.params import ConversionParams
from shared.preprocess import prepare
from shared.quality import QualityFigures, measure
from shared.refine import refine_polygons
from shared.simplify import simplify_polygons
from shared.svg import merge_consecutive_fills, minify, set_canvas


@dataclass(frozen=True)
class Candidate:
    """An SVG made with `params`, its quality figures against the input, and seconds spent on it."""

    params: ConversionParams
    svg: str
    figures: QualityFigures
    trace_seconds: float
    measure_seconds: float


@dataclass(frozen=True)
class Trace:
    """An unrefined trace with its canvas set, and the traced pixels per input pixel."""

    svg: str
    scale_x: float
    scale_y: float


def trace_svg(rgba: np.ndarray, params: ConversionParams) -> Trace:
    """Pre-process, trace, simplify and finish the markup (no refinement); renders at the input's size."""
    height, width = rgba.shape[:2]
    prepared = prepare(rgba, params.steps)
    svg = trace(prepared, params.engine)
    scale_x, scale_y = prepared.shape[1] / width, prepared.shape[0] / height
    if params.steps.simplify_px > 0:  # tolerance in traced pixels: input pixels times the scale
        svg = simplify_polygons(svg, params.steps.simplify_px * scale_x)
    svg = minify(set_canvas(svg, width, height, prepared.shape[1], prepared.shape[0]))
    if params.engine.hierarchical == "stacked":
        svg = merge_consecutive_fills(svg)
    return Trace(svg, scale_x, scale_y)


def refines(params: ConversionParams) -> bool:
    """Whether `params` ask for sub-pixel refinement of a trace it applies to (polygon traces)."""
    return params.steps.refine and params.engine.mode == "polygon"


def evaluate(rgba: np.ndarray, params: ConversionParams, compare_unrefined: bool = True) -> Candidate:
    """Trace `rgba` with `params` and measure the result with the one alpha-aware metric.

    With the `refine` step, the refined polygons are kept only if they measure higher than the
    unrefined trace (`compare_unrefined`, for a one-pass result). The searching tiers pass False: for
    them refinement on or off is a point of the space each, so the refined trace is measured alone,
    which halves the cost of a refined candidate. Refinement counts as tracing time."""
    t0 = time.perf_counter()
    traced = trace_svg(rgba, params)
    svgs = [traced.svg]
    if refines(params):
        refined = refine_polygons(traced.svg, rgba, traced.scale_x, traced.scale_y, params.steps.refine_grid)
        if not compare_unrefined:
            svgs = [refined]
        elif refined != traced.svg:
            svgs.append(refined)
    t1 = time.perf_counter()
    svg, figures = svgs[0], measure(svgs[0], rgba)
    for other in svgs[1:]:  # the refined trace, kept only where its SSIM is higher
        other_figures = measure(other, rgba)
        if other_figures.ssim > figures.ssim:
            svg, figures = other, other_figures
    return Candidate(params, svg, figures, t1 - t0, time.perf_counter() - t1)


def make_svg(rgba: np.ndarray, params: ConversionParams) -> str:
    """The SVG one configuration gives (refinement kept only where it measured better)."""
    return evaluate(rgba, params).svg if refines(params) else trace_svg(rgba, params).svg
