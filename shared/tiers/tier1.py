"""Tier 1: parameters from image features by a documented formula, one trace, measured.

The formula encodes measured findings (README, "Measured findings"):
- VTracer traces semi-transparent anti-aliased fringes as shapes of their own: alpha thresholded at
  50 % is truer and far smaller on every category;
- `polygon` fitting with `cutout` (seam-free mosaic) layering beats the defaults (`spline`, stacked);
- images under 16 px a side are traced as exact pixel squares (curve fitting turns a 1x1 image into a
  triangle);
- supersampling before tracing puts vertices on sub-pixel positions; `cutout` layering wins on images
  with few colours but breaks up some many-colour images, where `stacked` at 2x is robust.
Measured on the dev set's training split (120 images at 256 px, `bench/results/portfolio_grid.json`):
median SSIM 0.983, p10 0.933, median 1.9 KB, against 0.979 / 0.905 / 2.0 KB for "2x if <= 3 colours,
else 1x, always cutout" and 0.971 / 0.8 KB for 1x stacked.
"""

from concurrent.futures import Executor

from shared.candidate import evaluate
from shared.features import ImageFeatures
from shared.params import ConversionParams, EngineParams, StepParams
from shared.tiers import TierOutcome, TierRequest

TINY_SIDE = 16  # below this many pixels a side, curve fitting degenerates: trace exact pixel squares
FEW_COLORS = 3  # up to this many significant colours: 1.5x, cutout
SOME_COLORS = 12  # up to this many: 2x, stacked; more: 1.5x, stacked


def formula_params(features: ImageFeatures) -> ConversionParams:
    """Tier 1's parameter choice for an image, from its features alone."""
    if min(features.width, features.height) < TINY_SIDE:
        return ConversionParams(
            engine=EngineParams(mode="pixel", filter_speckle=0, color_precision=8, layer_difference=0),
            steps=StepParams(alpha="threshold"),
        )
    if features.n_colors <= FEW_COLORS:
        scale, layering = 1.5, "cutout"
    elif features.n_colors <= SOME_COLORS:
        scale, layering = 2.0, "stacked"
    else:
        scale, layering = 1.5, "stacked"
    return ConversionParams(
        engine=EngineParams(mode="polygon", hierarchical=layering),
        steps=StepParams(scale=scale, alpha="threshold", alpha_threshold=128),
    )


def run(request: TierRequest, executor: Executor | None = None) -> TierOutcome:
    """One trace; `executor` is accepted for a uniform tier signature and not used."""
    params = formula_params(request.features).with_overrides(request.overrides)
    request.check_cancelled()
    best = evaluate(request.rgba, params)
    request.report(1.0, best)
    return TierOutcome(best=best, evaluated=1)
