"""The router: which tier serves an `auto` request, and why, in well under a millisecond.

Rules from measurement (bench/results/quality.json, see README): Tier 1 already reaches high SSIM on
simple flat logos; images with shading, text or many colours need measured candidates (Tier 2); a high
target or a generous budget on such images calls for the search (Tier 3). The learned router of the
models issue must beat these rules to replace them.
"""

from dataclasses import dataclass

from shared.classifier import LogoType
from shared.features import ImageFeatures

TIER2_MIN_BUDGET_S = 1.0  # below this, only one pass fits
TIER3_MIN_BUDGET_S = 5.0
TIER1_TARGET = {"simple": 0.98, "text": 0.96, "gradient": 0.95, "complex": 0.95}
"""Highest target Tier 1 meets on most images of each type (dev set, training split)."""
TIER2_TARGET = {"simple": 0.99, "text": 0.98, "gradient": 0.97, "complex": 0.97}


@dataclass(frozen=True)
class RouteDecision:
    tier: int
    reason: str


def route(
    features: ImageFeatures,
    logo_type: LogoType,
    target_ssim: float,
    budget_s: float | None,
    available: tuple[int, ...],
) -> RouteDecision:
    """Pick the cheapest available tier expected to reach `target_ssim` within `budget_s` seconds."""
    if min(features.width, features.height) < 16:
        return RouteDecision(1, "tiny image: traced as exact pixels in one pass")
    if budget_s is not None and budget_s < TIER2_MIN_BUDGET_S:
        return RouteDecision(1, f"budget {budget_s:g} s leaves time for one pass only")
    if target_ssim <= TIER1_TARGET[logo_type] or available == (1,):
        return RouteDecision(1, f"{logo_type} image: one pass usually reaches SSIM {TIER1_TARGET[logo_type]}")
    too_short = budget_s is not None and budget_s < TIER3_MIN_BUDGET_S
    if 3 not in available or too_short or target_ssim <= TIER2_TARGET[logo_type]:
        why = f"budget {budget_s:g} s is short for a search" if too_short else (
            f"target {target_ssim:g} is within reach of a few measured candidates")
        return RouteDecision(2, f"{logo_type} image: {why}")
    return RouteDecision(3, f"{logo_type} image, target {target_ssim:g}: needs the measured search")
