"""Tier 1: parameters from image features by a documented formula, one trace, measured.

The formula encodes measured findings (README, "Measured findings"):
- VTracer traces semi-transparent anti-aliased fringes as shapes of their own: alpha thresholded at
  50 % is truer and far smaller on every category;
- `polygon` fitting with `cutout` (seam-free mosaic) layering beats the defaults (`spline`, stacked);
- images under 16 px a side are traced as exact pixel squares (curve fitting turns a 1x1 image into a
  triangle);
- supersampling before tracing puts vertices on sub-pixel positions; `cutout` layering wins on images
  with few colours but breaks up some many-colour images, where `stacked` at 2x is robust.
- polygon simplification at a quarter pixel (few colours) or half a pixel (more colours) keeps the
  SSIM (median within 0.0006 per category) and drops 20-40 % of the bytes (bench/results/ablation.json).
Measured before simplification on the dev set's training split (120 images at 256 px,
bench/results/portfolio_grid.json): median SSIM 0.983, p10 0.933, median 1.9 KB, against
0.979 / 0.905 / 2.0 KB for "2x if <= 3 colours, else 1x, always cutout" and 0.971 / 0.8 KB for 1x
stacked.
"""

from concurrent.futures import Executor
from typing import Any

from shared import learned
from shared.candidate import evaluate
from shared.features import ImageFeatures
from shared.params import ConversionParams, EngineParams, StepParams
from shared.tiers import TierOutcome, TierRequest

TINY_SIDE = 16  # below this many pixels a side, curve fitting degenerates: trace exact pixel squares
FEW_COLORS = 3  # up to this many significant colours: 1.5x, cutout
SOME_COLORS = 12  # up to this many: 2x, stacked; more: 1.5x, stacked
FEW_COLORS_SIMPLIFY_PX = 0.25  # polygon simplification tolerance, input px (bench/results/ablation.json)
MANY_COLORS_SIMPLIFY_PX = 0.5


def formula_params(features: ImageFeatures) -> ConversionParams:
    """Tier 1's parameter choice for an image, from its features alone."""
    if min(features.width, features.height) < TINY_SIDE:
        return ConversionParams(
            engine=EngineParams(mode="pixel", filter_speckle=0, color_precision=8, layer_difference=0),
            steps=StepParams(alpha="threshold"),
        )
    if features.n_colors <= FEW_COLORS:
        scale, layering, simplify = 1.5, "cutout", FEW_COLORS_SIMPLIFY_PX
    elif features.n_colors <= SOME_COLORS:
        scale, layering, simplify = 2.0, "stacked", MANY_COLORS_SIMPLIFY_PX
    else:
        scale, layering, simplify = 1.5, "stacked", MANY_COLORS_SIMPLIFY_PX
    return ConversionParams(
        engine=EngineParams(mode="polygon", hierarchical=layering),
        steps=StepParams(scale=scale, alpha="threshold", alpha_threshold=128, simplify_px=simplify),
    )


def choose_params(features: ImageFeatures, target_ssim: float, overrides: dict[str, Any]) -> ConversionParams:
    """Tier 1's one configuration: the learned quality predictor's pick among the stored candidates and
    the formula's guess where the model measured better than the formula (shared/models/use.json),
    else the formula. Tiny images always get the formula's exact-pixel trace."""
    formula = formula_params(features)
    if min(features.width, features.height) >= TINY_SIDE and learned.enabled("tier1"):
        ranked = learned.rank_candidates(features, target_ssim, overrides, [formula])
        if ranked:
            return ranked[0]
    return formula.with_overrides(overrides)


def run(request: TierRequest, executor: Executor | None = None) -> TierOutcome:
    """One trace; `executor` is accepted for a uniform tier signature and not used."""
    params = choose_params(request.features, request.target_ssim, request.overrides)
    request.check_cancelled()
    best = evaluate(request.rgba, params)
    request.report(1.0, best)
    return TierOutcome(best=best, evaluated=1)
