"""One configuration traced and measured: the unit every tier, the benchmark and the search work with."""

import time
from dataclasses import dataclass

import numpy as np

from shared.engine import trace
from shared.params import ConversionParams
from shared.preprocess import prepare
from shared.quality import QualityFigures, measure
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


def make_svg(rgba: np.ndarray, params: ConversionParams) -> str:
    """Pre-process, trace and finish the markup; the SVG renders at the input's pixel size."""
    height, width = rgba.shape[:2]
    prepared = prepare(rgba, params.steps)
    svg = trace(prepared, params.engine)
    if params.steps.simplify_px > 0:  # tolerance in traced pixels: input pixels times the scale
        svg = simplify_polygons(svg, params.steps.simplify_px * prepared.shape[1] / width)
    svg = minify(set_canvas(svg, width, height, prepared.shape[1], prepared.shape[0]))
    return merge_consecutive_fills(svg) if params.engine.hierarchical == "stacked" else svg


def evaluate(rgba: np.ndarray, params: ConversionParams) -> Candidate:
    """Trace `rgba` with `params` and measure the result with the one alpha-aware metric."""
    t0 = time.perf_counter()
    svg = make_svg(rgba, params)
    t1 = time.perf_counter()
    figures = measure(svg, rgba)
    return Candidate(params, svg, figures, t1 - t0, time.perf_counter() - t1)
