"""Tier 1: parameters from image features by a documented formula, one trace, measured.

The formula encodes measured findings (README, "Measured findings"):
- VTracer traces semi-transparent anti-aliased fringes as shapes of their own: alpha thresholded at
  50 % is truer and far smaller on every category;
- `polygon` fitting with `cutout` (seam-free mosaic) layering beats the defaults (`spline`, stacked);
- images under 16 px a side are traced as exact pixel squares (curve fitting turns a 1x1 image into a
  triangle);
- supersampling before tracing puts vertices on sub-pixel positions: a large gain for images with few
  colours (logos, icons), a loss for many-colour or noisy images, where it traces noise at 2x.
"""

from concurrent.futures import Executor

from shared.candidate import evaluate
from shared.features import ImageFeatures
from shared.params import ConversionParams, EngineParams, StepParams
from shared.tiers import TierOutcome, TierRequest

TINY_SIDE = 16  # below this many pixels a side, curve fitting degenerates: trace exact pixel squares
FEW_COLORS = 3  # images with at most this many significant colours are supersampled
FEW_COLORS_SCALE = 2.0


def formula_params(features: ImageFeatures) -> ConversionParams:
    """Tier 1's parameter choice for an image, from its features alone."""
    if min(features.width, features.height) < TINY_SIDE:
        return ConversionParams(
            engine=EngineParams(mode="pixel", filter_speckle=0, color_precision=8, layer_difference=0),
            steps=StepParams(alpha="threshold"),
        )
    scale = FEW_COLORS_SCALE if features.n_colors <= FEW_COLORS else 1.0
    return ConversionParams(
        engine=EngineParams(mode="polygon", hierarchical="cutout"),
        steps=StepParams(scale=scale, alpha="threshold", alpha_threshold=128),
    )


def run(request: TierRequest, executor: Executor | None = None) -> TierOutcome:
    """One trace; `executor` is accepted for a uniform tier signature and not used."""
    params = formula_params(request.features).with_overrides(request.overrides)
    request.check_cancelled()
    best = evaluate(request.rgba, params)
    request.report(1.0, best)
    return TierOutcome(best=best, evaluated=1)
