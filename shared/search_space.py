"""The one declared search space: which parameters the searching tiers vary, and over what range.

Validation ranges live in `shared.params`; the search ranges here are the useful sub-ranges of them
(checked at import), so Tier 2's portfolio, Tier 3's search, the benchmark's random points and the
models' training samples all draw from one place.
"""

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from shared.params import ConversionParams, EngineParams, StepParams, parse_params


@dataclass(frozen=True)
class Dimension:
    """One searched parameter. `choices` for categorical dimensions; `low`/`high`/`step` otherwise."""

    name: str
    kind: Literal["categorical", "int", "float"]
    choices: tuple[Any, ...] = ()
    low: float = 0.0
    high: float = 0.0
    step: float | None = None

    def sample(self, rng: np.random.Generator) -> Any:
        """A uniformly random value (on the step grid where there is one)."""
        if self.kind == "categorical":
            return self.choices[int(rng.integers(len(self.choices)))]
        if self.kind == "int":
            return int(rng.integers(int(self.low), int(self.high) + 1))
        if self.step:
            n = round((self.high - self.low) / self.step)
            return round(self.low + self.step * int(rng.integers(n + 1)), 6)
        return float(rng.uniform(self.low, self.high))


SEARCH_SPACE: tuple[Dimension, ...] = (
    # svgai's own steps
    Dimension("scale", "float", low=1.0, high=4.0, step=0.5),
    Dimension("alpha", "categorical", choices=("threshold", "keep")),
    Dimension("alpha_threshold", "int", low=64, high=192),
    Dimension("denoise", "categorical", choices=(0, 3)),
    Dimension("snap_colors", "categorical", choices=(0, 4, 8, 16, 32)),
    Dimension("simplify_px", "float", low=0.0, high=1.0, step=0.125),
    Dimension("refine", "categorical", choices=(False, True)),
    Dimension("refine_grid", "categorical", choices=(4, 8, 16)),
    Dimension("fit_curves", "categorical", choices=(False, True)),
    Dimension("fit_tolerance_px", "float", low=0.05, high=0.5, step=0.05),
    Dimension("corner_angle", "int", low=20, high=90),
    Dimension("primitives", "categorical", choices=(False, True)),
    Dimension("gradients", "categorical", choices=(False, True)),
    Dimension("gradient_stops", "int", low=2, high=4),
    Dimension("gradient_merge", "float", low=0.01, high=0.05, step=0.01),
    # the engine
    Dimension("mode", "categorical", choices=("polygon", "spline")),
    Dimension("hierarchical", "categorical", choices=("cutout", "stacked")),
    Dimension("filter_speckle", "int", low=0, high=16),
    Dimension("color_precision", "int", low=3, high=8),
    Dimension("layer_difference", "int", low=4, high=64),
    Dimension("corner_threshold", "int", low=20, high=180),
    Dimension("length_threshold", "float", low=3.5, high=10.0, step=0.5),
    Dimension("splice_threshold", "int", low=20, high=90),
    Dimension("path_precision", "int", low=0, high=3),
)
DIMENSIONS: dict[str, Dimension] = {d.name: d for d in SEARCH_SPACE}


def _check_within_validation_ranges() -> None:
    fields = {**EngineParams.model_fields, **StepParams.model_fields}
    for dim in SEARCH_SPACE:
        if dim.name not in fields:
            raise AssertionError(f"search dimension {dim.name} is not a parameter")
        probe = dim.choices if dim.kind == "categorical" else (dim.low, dim.high)
        for value in probe:
            parse_params({dim.name: int(value) if dim.kind == "int" else value})


_check_within_validation_ranges()


def free_dimensions(fixed: dict[str, Any]) -> list[Dimension]:
    """The dimensions a search may vary when the caller has fixed some parameters."""
    return [d for d in SEARCH_SPACE if d.name not in fixed]


def random_params(
    rng: np.random.Generator, fixed: dict[str, Any] | None = None, base: ConversionParams | None = None
) -> ConversionParams:
    """A random point of the space (fixed parameters kept), on top of `base` (engine defaults)."""
    fixed = fixed or {}
    values = {d.name: d.sample(rng) for d in free_dimensions(fixed)}
    return parse_params({**values, **fixed}, base=base)
