"""Logo type from image features: simple | text | gradient | complex.

`classify_by_rules` are feature rules; `classify` uses the learned classifier (shared/models) where
it measured better than the rules on held-out images (shared/models/use.json), else the rules.
"""

from typing import Literal

from shared.features import ImageFeatures

LogoType = Literal["simple", "text", "gradient", "complex"]
LOGO_TYPES: tuple[LogoType, ...] = ("simple", "text", "gradient", "complex")

GRADIENT_SMOOTHNESS = 0.15  # share of visible pixels in smooth shading
TEXT_LIKENESS = 0.5
SIMPLE_MAX_COLORS = 4


def classify_by_rules(features: ImageFeatures) -> LogoType:
    """The rule-based logo type (thresholds documented above, measured on the dev set)."""
    if features.gradient_smoothness >= GRADIENT_SMOOTHNESS:
        return "gradient"
    if features.text_likeness >= TEXT_LIKENESS:
        return "text"
    if features.n_colors <= SIMPLE_MAX_COLORS:
        return "simple"
    return "complex"


def classify(features: ImageFeatures) -> LogoType:
    """The logo type: the learned classifier when it is switched on and loaded, else the rules."""
    from shared import learned

    if learned.enabled("classifier"):
        result = learned.classify(features)
        if result is not None:
            return result[0]  # type: ignore[return-value]
    return classify_by_rules(features)
