"""The router: which tier serves an `auto` request, and why, in well under a millisecond.

Rules from measurement (bench/results/quality.json, docs/findings.md): Tier 1 already reaches high SSIM on
simple flat logos; images with shading, text or many colours need measured candidates (Tier 2); a high
target or a generous budget on such images calls for the search (Tier 3).

The learned router (`shared/models/router.onnx`, trained by `python -m bench.train_router`) replaces
the type/target rules where it measured better on held-out images (`use.json` key "router"): from the
features, logo type and target it gives each tier's probability of being the cheapest that reaches the
target, and the image goes to the cheapest tier that reaches it with probability `ROUTER_CONFIDENCE`
(`tier_for`). The tiny-image, budget and availability rules apply to both; a missing or corrupt model
file means the rules.
"""

from dataclasses import dataclass

import numpy as np

from shared.classifier import LOGO_TYPES, LogoType
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


ROUTER_CONFIDENCE = 0.7  # see `tier_for`; chosen on the training split (shared/models/MODEL_CARD.md)
ROUTER_TARGETS = (0.9, 0.93, 0.95, 0.96, 0.97, 0.98, 0.99)
"""Targets the learned router was trained on; others are clipped into this range for the model."""


def router_input(features: ImageFeatures, logo_type: LogoType, target_ssim: float) -> np.ndarray:
    """The learned router's input row: 22 features, the logo type one-hot (LOGO_TYPES order), target."""
    onehot = np.zeros(len(LOGO_TYPES), np.float32)
    onehot[LOGO_TYPES.index(logo_type)] = 1.0
    target = min(max(target_ssim, ROUTER_TARGETS[0]), ROUTER_TARGETS[-1])
    return np.concatenate([features.to_vector(), onehot, np.array([target], np.float32)])


def tier_for(probabilities: np.ndarray, confidence: float = ROUTER_CONFIDENCE) -> tuple[int, float]:
    """(tier, probability) for the router model's output (the probabilities that the cheapest tier
    reaching the target is Tier 1, 2, 3): the cheapest tier whose probability of reaching the target
    (that it, or a cheaper one, is the cheapest that does) is at least `confidence`, with that
    probability; else Tier 3, with the probability that Tier 2 or Tier 1 reaches it."""
    reach = np.cumsum(np.asarray(probabilities, float))
    for tier in (1, 2):
        if reach[tier - 1] >= confidence:
            return tier, float(reach[tier - 1])
    return 3, float(reach[1])


def learned_tier(
    features: ImageFeatures, logo_type: LogoType, target_ssim: float
) -> tuple[int, float] | None:
    """(tier, its probability of reaching the target) from the learned router (`tier_for`), or None
    when it is off or not loaded."""
    from shared import learned

    if not learned.enabled("router"):
        return None
    session = learned.get_models().sessions["router"]
    x = router_input(features, logo_type, target_ssim)[None, :]
    _, probabilities = session.run(None, {session.get_inputs()[0].name: x})
    return tier_for(probabilities[0])


def route(
    features: ImageFeatures,
    logo_type: LogoType,
    target_ssim: float,
    budget_s: float | None,
    available: tuple[int, ...],
    learned_router: bool = True,
) -> RouteDecision:
    """Pick the cheapest available tier expected to reach `target_ssim` within `budget_s` seconds
    (the learned router when `learned_router` and it is switched on and loaded, else the rules)."""
    if min(features.width, features.height) < 16:
        return RouteDecision(1, "tiny image: traced as exact pixels in one pass")
    if budget_s is not None and budget_s < TIER2_MIN_BUDGET_S:
        return RouteDecision(1, f"budget {budget_s:g} s leaves time for one pass only")
    picked = learned_tier(features, logo_type, target_ssim) if learned_router else None
    if picked is not None:
        tier, p = picked
        too_short = budget_s is not None and budget_s < TIER3_MIN_BUDGET_S
        if tier == 3 and (3 not in available or too_short):
            why = f"budget {budget_s:g} s is short for a search" if too_short else "Tier 3 is not available"
            return RouteDecision(2, f"{logo_type} image: the model asks for a search, but {why}")
        if tier not in available:
            tier = 1
        what = {1: "one pass", 2: "a few measured candidates", 3: "the measured search"}[tier]
        if tier == 3:  # `p`: the probability that a cheaper tier reaches the target
            return RouteDecision(3, f"{logo_type} image, target {target_ssim:g}: the router model expects a "
                                    f"cheaper tier to reach it with p = {p:.2f} only (under "
                                    f"{ROUTER_CONFIDENCE:g}): {what}")
        return RouteDecision(tier, f"{logo_type} image, target {target_ssim:g}: the router model expects "
                                   f"{what} to reach it (p = {p:.2f})")
    if target_ssim <= TIER1_TARGET[logo_type] or available == (1,):
        return RouteDecision(1, f"{logo_type} image: one pass usually reaches SSIM {TIER1_TARGET[logo_type]}")
    too_short = budget_s is not None and budget_s < TIER3_MIN_BUDGET_S
    if 3 not in available or too_short or target_ssim <= TIER2_TARGET[logo_type]:
        why = f"budget {budget_s:g} s is short for a search" if too_short else (
            f"target {target_ssim:g} is within reach of a few measured candidates")
        return RouteDecision(2, f"{logo_type} image: {why}")
    return RouteDecision(3, f"{logo_type} image, target {target_ssim:g}: needs the measured search")
