"""The router: which tier serves an `auto` request, and why, in well under a millisecond."""

from dataclasses import dataclass

from shared.classifier import LogoType
from shared.features import ImageFeatures


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
    if available == (1,):
        return RouteDecision(1, "Tier 1 is the only tier available")
    return RouteDecision(min(available), f"{logo_type} image: the cheapest available tier")
