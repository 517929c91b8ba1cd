"""One configuration traced and measured: the unit every tier, the benchmark and the search work with.

The trace is read once into a `Drawing` (shared/geometry.py); simplification, refinement, curve
fitting and primitive detection work on it, and the SVG is written once per kept drawing.
"""

import time
from dataclasses import dataclass, replace

import numpy as np

from shared.conflation import closed_holes, underlap
from shared.curves import fit_drawing
from shared.design_grid import snap_primitives, snap_to_design_grid
from shared.engine import trace
from shared.fringes import drop_fringes
from shared.geometry import Drawing, merge_consecutive_fills, read_trace, stacked
from shared.gradients import fit_gradients
from shared.interior_fills import interior_fills
from shared.params import ConversionParams
from shared.preprocess import prepare_layers
from shared.primitives import find_primitives
from shared.quality import QualityFigures, measure
from shared.refine import refine_drawing
from shared.simplify import simplify_drawing
from shared.spline_drawing import fit_splines, fit_visible_parts
from shared.svg import write_svg
from shared.translucency import translucent_fills


@dataclass(frozen=True)
class Candidate:
    """An SVG made with `params`, its quality figures against the input, and seconds spent on it."""

    params: ConversionParams
    svg: str
    figures: QualityFigures
    trace_seconds: float
    measure_seconds: float


def trace_drawing(rgba: np.ndarray, params: ConversionParams, translucent: bool = True) -> Drawing:
    """Pre-process, trace, read and simplify (no refinement or fitting); coordinates in input px.
    With `translucent`, translucent plateaus are traced apart (shared/translucency.py)."""
    return _traced(rgba, params, translucent)[0]


def _traced(rgba: np.ndarray, params: ConversionParams, translucent: bool) -> tuple[Drawing, bool]:
    """`trace_drawing`'s drawing and whether it has a translucent layer."""
    height, width = rgba.shape[:2]
    split = translucent and params.engine.mode == "polygon"
    prepared, layer = prepare_layers(rgba, params.steps, translucent=split)
    drawing = read_trace(trace(prepared, params.engine), width, height, prepared.shape[1], prepared.shape[0])
    layered = False
    if layer is not None and drawing.is_polygonal:  # translucent plateaus: traced apart, seam-free, over
        seamless = params.engine.model_copy(update={"hierarchical": "cutout"})  # the rest (translucency.py)
        above = read_trace(trace(layer, seamless), width, height, layer.shape[1], layer.shape[0])
        if above.is_polygonal:
            drawing, layered = translucent_fills(stacked(drawing, above), rgba, len(drawing.fills)), True
    if params.steps.simplify_px > 0:  # tolerance in traced pixels: input pixels times the scale
        drawing = simplify_drawing(drawing, params.steps.simplify_px * prepared.shape[1] / width)
    return drawing, layered


def refines(params: ConversionParams) -> bool:
    """Whether `params` ask for a step after tracing that applies (polygon traces): sub-pixel
    refinement, curve fitting, splines, primitives, gradients, underlap or dropping fringes."""
    steps = params.steps
    shaping = (steps.refine or steps.fit_curves or steps.primitives or steps.gradients or _underlaps(params)
               or _drops_fringes(params) or _fits_splines(params))
    return shaping and params.engine.mode == "polygon"


def shape_drawing(drawing: Drawing, rgba: np.ndarray, params: ConversionParams, source_px: float = 1.0
                  ) -> Drawing:
    """The steps after tracing: a stacked trace's fringe strips dropped (shared/fringes.py), then
    refinement, then primitives, then curves for the rings left, then splines for the rings left
    (shared/splines.py; of a cutout trace, rings no later shape borders), then gradients, then flat fills
    measured away from the edges (shared/interior_fills.py); last, a cutout trace's holes that later
    shapes fill dropped, its shared edges made seam-free (shared/conflation.py) and its rings' visible
    stretches fitted as splines (`fit_visible_parts`). The result is written on the refine grid.
    `source_px`: `rgba`'s pixels per pixel of the input (`evaluate`)."""
    steps = params.steps
    if _drops_fringes(params):
        drawing = drop_fringes(drawing)
    if steps.refine:
        drawing = refine_drawing(drawing, rgba, steps.refine_grid)
        if steps.design_grid:
            drawing = snap_to_design_grid(drawing, steps.refine_grid)
    else:
        grid = float(steps.refine_grid)
        drawing = replace(drawing, view=(drawing.width * grid, drawing.height * grid), grid=True)
    if steps.primitives:
        drawing = find_primitives(drawing, rgba, source_px)
        if steps.design_grid:
            drawing = snap_primitives(drawing)
    if steps.fit_curves:
        drawing = fit_drawing(drawing, steps.fit_tolerance_px, steps.corner_angle, rgba,
                              steps.curve_pairs_ratio)
    if _fits_splines(params):
        drawing = fit_splines(drawing, steps.corner_angle, rgba, params.engine.hierarchical == "cutout")
    if steps.gradients:
        drawing = fit_gradients(drawing, rgba, steps.gradient_stops, steps.gradient_merge)
    drawing = interior_fills(drawing, rgba)
    if not _underlaps(params):
        return drawing
    drawing = underlap(closed_holes(drawing, rgba), rgba)
    return fit_visible_parts(drawing, steps.corner_angle, rgba) if _fits_splines(params) else drawing


def _drops_fringes(params: ConversionParams) -> bool:
    return params.steps.drop_fringes and params.engine.hierarchical == "stacked"


def _fits_splines(params: ConversionParams) -> bool:
    return params.steps.splines and params.engine.mode == "polygon"


def _underlaps(params: ConversionParams) -> bool:
    return params.steps.underlap and params.engine.hierarchical == "cutout"


def write(drawing: Drawing, params: ConversionParams) -> str:
    """The SVG of a drawing; stacked traces get consecutive shapes of one fill merged."""
    return _written(drawing, params)[0]


def _written(drawing: Drawing, params: ConversionParams) -> tuple[str, int | None]:
    """The SVG and its number of shape elements (None for markup the model keeps as text)."""
    if params.engine.hierarchical == "stacked":
        drawing = merge_consecutive_fills(drawing)
    return write_svg(drawing), (len(drawing.fills) if drawing.is_polygonal else None)


def trace_svg(rgba: np.ndarray, params: ConversionParams) -> str:
    """The SVG of the trace before the steps after tracing (renders at the input's size)."""
    return write(trace_drawing(rgba, params), params)


def evaluate(rgba: np.ndarray, params: ConversionParams, compare_unrefined: bool = True,
             source_px: float = 1.0) -> Candidate:
    """Trace `rgba` with `params` and measure the result with the one alpha-aware metric.

    With steps after tracing (`refines`), their drawing is kept only if it measures higher than the
    plain trace (`compare_unrefined`). The tiers pass False (the searching tiers: each step on or off
    is a point of their space; Tier 1: the plain trace rarely wins, see shared/tiers/tier1.py), so the
    shaped drawing is measured alone, which halves the cost of a candidate. The steps count as
    tracing time. An image with translucent plateaus is traced with them apart and without
    (shared/translucency.py), the one measuring higher kept. `source_px`: `rgba`'s pixels per pixel of
    the input it was made from, over 1 where a small input was upscaled (TierRequest.source_px)."""
    t0 = time.perf_counter()
    traced, layered = _traced(rgba, params, translucent=True)
    svgs = _written_steps(traced, rgba, params, compare_unrefined, source_px)
    if layered:  # and the trace with translucent plateaus thresholded as before (a soft shadow's
        # slowly fading alpha is a plateau too, and drawn flat it can measure lower than left out)
        plain = _written_steps(_traced(rgba, params, translucent=False)[0], rgba, params, compare_unrefined,
                               source_px)
        svgs += [written for written in plain if all(written[0] != other for other, _ in svgs)]
    t1 = time.perf_counter()
    svg, figures = svgs[0][0], measure(svgs[0][0], rgba, svgs[0][1])
    for other, shapes in svgs[1:]:  # the shaped trace, kept only where its SSIM is higher
        other_figures = measure(other, rgba, shapes)
        if other_figures.ssim > figures.ssim:
            svg, figures = other, other_figures
    return Candidate(params, svg, figures, t1 - t0, time.perf_counter() - t1)


def _written_steps(traced: Drawing, rgba: np.ndarray, params: ConversionParams,
                   compare_unrefined: bool, source_px: float = 1.0) -> list[tuple[str, int | None]]:
    """The written trace (where `compare_unrefined` or no step applies) and the written shaped one."""
    svgs = [_written(traced, params)] if compare_unrefined or not refines(params) else []
    if refines(params):
        shaped = _written(shape_drawing(traced, rgba, params, source_px), params)
        if not svgs or shaped[0] != svgs[0][0]:
            svgs.append(shaped)
    return svgs


def make_svg(rgba: np.ndarray, params: ConversionParams) -> str:
    """The SVG one configuration gives (the steps after tracing kept only where they measured better)."""
    return evaluate(rgba, params).svg if refines(params) else trace_svg(rgba, params)
