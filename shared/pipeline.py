"""convert(): decoded image in, SVG with its quality figures out. The CLI, the gateway and the workers
all call this one function."""

import os
import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from shared.classifier import LogoType, classify
from shared.config import get_settings
from shared.damage import CleanUp, DamageEstimate, clean_up, estimate, sharp_edges
from shared.errors import ParameterError
from shared.features import ImageFeatures, compute_features
from shared.images import DecodedImage, decode_image, load_image
from shared.params import ConversionParams, parse_params
from shared.quality import QualityFigures, measure
from shared.router import RouteDecision, route
from shared.svg import svg_size, with_opacity, with_output_size
from shared.tiers import ProgressCallback, TierOutcome, TierRequest, tier1, tier2, tier3
from shared.working_size import bounded

TIER_RUNNERS: dict[int, Callable[[TierRequest, Executor | None], TierOutcome]] = {
    1: tier1.run, 2: tier2.run, 3: tier3.run,
}
AVAILABLE_TIERS: tuple[int, ...] = tuple(sorted(TIER_RUNNERS))
AFTER_TIER_S = 0.1  # kept from a budget for the work after the tier: the last measurement against the input
# as it is and the output size (0.03-0.07 s at the 512 px working size)
MIN_TIER_BUDGET_S = 0.001  # a budget spent before the tier still lets it run its first batch
DAMAGED_ROUTE_REASON = (
    "the input was cleaned up or upscaled first (see notes): Tier 1 traces its cleaned estimate (traced "
    "again only where a trace measures badly), since the searching tiers gained nothing on damaged copies "
    "(training split, 32 copies: median SSIM against the clean logo 0.9655 for Tier 1 and for the router's "
    "choice, 0.6 s against 4.7 s)"
)


@dataclass(frozen=True)
class ConversionResult:
    """An SVG and everything a user may want to know about how it was made and how good it is."""

    svg: str
    figures: QualityFigures
    params: ConversionParams
    tier: int
    requested_tier: str
    reason: str
    logo_type: LogoType
    target_ssim: float
    width: int
    height: int
    features: dict[str, float]
    evaluated: int
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    damage: dict[str, Any] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return self.timings.get("total", 0.0)

    def summary(self) -> dict[str, Any]:
        """The JSON-ready figures (the CLI's `--json` object and the API's result)."""
        return {
            **self.figures.to_dict(),
            "tier": self.tier,
            "requested_tier": self.requested_tier,
            "reason": self.reason,
            "logo_type": self.logo_type,
            "target_ssim": self.target_ssim,
            "width": self.width,
            "height": self.height,
            "params": self.params.flat(),
            "evaluated": self.evaluated,
            "seconds": round(self.seconds, 4),
            "timings": {k: round(v, 4) for k, v in self.timings.items()},
            "notes": list(self.notes),
            "damage": dict(self.damage),
        }


def _parse_tier(tier: str | int) -> str:
    name = str(tier).lower()
    if name not in ("auto", "1", "2", "3"):
        raise ParameterError(f"tier must be auto, 1, 2 or 3, got {tier!r}")
    if name != "auto" and int(name) not in TIER_RUNNERS:
        raise ParameterError(f"Tier {name} is not available; available tiers: {list(AVAILABLE_TIERS)}")
    return name


def _parse_target(target_ssim: float | None) -> float:
    target = get_settings().default_target_ssim if target_ssim is None else float(target_ssim)
    if not 0.0 < target <= 1.0:
        raise ParameterError(f"target_ssim must be in (0, 1], got {target_ssim}")
    return target


def validate_options(
    tier: str | int, target_ssim: float | None, overrides: dict[str, Any] | None, budget_s: float | None
) -> tuple[str, float, dict[str, Any]]:
    """Check a request's options before any work: (tier name, target SSIM, overrides), or
    `ParameterError` naming what is wrong."""
    tier_name = _parse_tier(tier)
    target = _parse_target(target_ssim)
    overrides = dict(overrides or {})
    parse_params(overrides)
    if budget_s is not None and budget_s <= 0:
        raise ParameterError(f"budget_s must be positive, got {budget_s}")
    return tier_name, target, overrides


def convert(
    image: DecodedImage | np.ndarray,
    *,
    tier: str | int = "auto",
    target_ssim: float | None = None,
    overrides: dict[str, Any] | None = None,
    budget_s: float | None = None,
    progress: ProgressCallback | None = None,
    is_cancelled: Callable[[], bool] | None = None,
    executor: Executor | None = None,
) -> ConversionResult:
    """Convert an image (decoded, or an HxWx4 uint8 RGBA array) to SVG with the requested tier.

    `target_ssim` defaults to the settings' value; `overrides` are flat parameter names (see
    `ConversionParams.flat()`) fixed on top of whatever the tier chooses; `budget_s` bounds the
    conversion in seconds (a searching tier gets what is left of it after reading the image, less
    AFTER_TIER_S; its first batch always runs); `executor` (a process pool) lets Tiers 2/3 measure
    candidates in parallel. Bad arguments raise `ParameterError` before any work is done.
    """
    t_start = time.perf_counter()
    tier_name, target, overrides = validate_options(tier, target_ssim, overrides, budget_s)
    full = image.rgba if isinstance(image, DecodedImage) else image
    height, width = full.shape[:2]
    timings: dict[str, float] = {}

    t = time.perf_counter()
    rgba, found, cleanup, notes = prepare_input(image)
    cleaned = cleanup.rgba
    timings["prepare"] = time.perf_counter() - t  # working size, damage estimate, clean-up

    t = time.perf_counter()
    features = compute_features(cleaned)
    logo_type = classify(features)
    timings["features"] = time.perf_counter() - t

    t = time.perf_counter()
    if tier_name == "auto" and cleaned is not rgba:
        decision = RouteDecision(1, DAMAGED_ROUTE_REASON)
    elif tier_name == "auto":
        decision = route(features, logo_type, target, budget_s, AVAILABLE_TIERS)
    else:
        decision = RouteDecision(int(tier_name), f"Tier {tier_name} was requested")
    chosen, reason = decision.tier, decision.reason
    timings["route"] = time.perf_counter() - t

    tier_budget = None if budget_s is None else \
        max(budget_s - (time.perf_counter() - t_start) - AFTER_TIER_S, MIN_TIER_BUDGET_S)
    request, opacity = tier_request(rgba, found, cleanup, features, target, overrides, tier_budget, progress,
                                    is_cancelled)
    t = time.perf_counter()
    outcome = TIER_RUNNERS[chosen](request, executor)
    svg, figures = outcome.best.svg, outcome.best.figures
    timings["tier"] = time.perf_counter() - t
    timings["trace"] = outcome.best.trace_seconds
    timings["measure"] = outcome.best.measure_seconds
    if opacity < 1.0:
        svg = with_opacity(svg, opacity)
    if opacity < 1.0 or cleaned is not rgba:
        # the tier measured the opaque or cleaned version; the figures are of the (working) input as it is
        t = time.perf_counter()
        if cleaned is not rgba:
            notes.append(f"SSIM {figures.ssim:.3f} against the cleaned image")
        svg = with_output_size(svg, rgba.shape[1], rgba.shape[0])
        figures = measure(svg, rgba)
        timings["measure"] += time.perf_counter() - t
    if svg_size(svg) != (width, height):
        svg = with_output_size(svg, width, height)
    timings["total"] = time.perf_counter() - t_start
    return ConversionResult(
        svg=svg,
        figures=figures,
        params=outcome.best.params,
        tier=chosen,
        requested_tier=tier_name,
        reason=reason,
        logo_type=logo_type,
        target_ssim=target,
        width=width,
        height=height,
        features=features.to_dict(),
        evaluated=outcome.evaluated,
        timings=timings,
        notes=notes,
        damage=found.to_dict(),
    )


def lift_opacity(rgba: np.ndarray) -> tuple[np.ndarray, float]:
    """An image whose most opaque pixel is translucent (peak alpha p < 255: a half-transparent logo or
    watermark) is traced as the opaque image it is a faded copy of (alpha scaled by 255/p) and drawn at
    opacity p/255: traced as it is, the engine would see shapes below the alpha threshold as background
    (an empty SVG) or draw them opaque. Returns (image to trace, opacity); (rgba, 1.0) otherwise."""
    peak = int(rgba[..., 3].max()) if rgba.size else 0
    if peak in (0, 255):
        return rgba, 1.0
    lifted = rgba.copy()
    lifted[..., 3] = np.minimum(255.0, np.round(rgba[..., 3] * (255.0 / peak))).astype(np.uint8)
    return lifted, peak / 255.0


def tier_request(rgba: np.ndarray, found: DamageEstimate, cleanup: CleanUp, features: ImageFeatures,
                 target_ssim: float, overrides: dict[str, Any] | None = None, budget_s: float | None = None,
                 progress: ProgressCallback | None = None, is_cancelled: Callable[[], bool] | None = None
                 ) -> tuple[TierRequest, float]:
    """The request a tier gets for an image `prepare_input` made (`rgba`, `found`, `cleanup`), and the
    opacity lifted off it (`lift_opacity`): the cleaned image traced, whether it was cleaned, kept 1 px
    edge mixes (`sharp_edges`), was snapped to a palette and was upscaled (`source_px`)."""
    cleaned = cleanup.rgba
    traced, opacity = lift_opacity(cleaned)
    request = TierRequest(traced, features, target_ssim, overrides or {}, budget_s, progress, is_cancelled,
                          cleaned=cleaned is not rgba,
                          sharp_edges=cleaned is not rgba and sharp_edges(rgba, found),
                          snapped=cleanup.snapped,
                          source_px=max(1.0, cleaned.shape[1] / rgba.shape[1]))
    return request, opacity


def prepare_input(
    image: DecodedImage | np.ndarray,
) -> tuple[np.ndarray, DamageEstimate, CleanUp, list[str]]:
    """What every conversion works on: (the working image at a bounded size, its damage estimate, its
    clean-up — whose image is the working image itself when clean —, notes on what was done)."""
    full = image.rgba if isinstance(image, DecodedImage) else image
    rgba = bounded(full)
    notes = list(image.notes) if isinstance(image, DecodedImage) else []
    if rgba is not full:
        notes.append(f"traced and measured at {rgba.shape[1]}x{rgba.shape[0]} px (input {full.shape[1]}x"
                     f"{full.shape[0]}); the SVG keeps the input's size")
    found = estimate(rgba, image.format if isinstance(image, DecodedImage) else None, original=full)
    cleanup = clean_up(rgba, found)
    return rgba, found, cleanup, notes + cleanup.notes


def route_image(image: DecodedImage | np.ndarray, target_ssim: float, budget_s: float | None = None
                ) -> RouteDecision:
    """The router's decision for an image (what `convert(..., tier="auto")` would run; an array's format
    is unknown, so a JPEG passed as pixels is only seen as damaged where its pixels say so)."""
    rgba, _, cleanup, _ = prepare_input(image)
    if cleanup.rgba is not rgba:
        return RouteDecision(1, DAMAGED_ROUTE_REASON)
    features = compute_features(cleanup.rgba)
    return route(features, classify(features), target_ssim, budget_s, AVAILABLE_TIERS)


def _convert_loaded(image: DecodedImage, decode_s: float, kwargs: dict[str, Any]) -> ConversionResult:
    result = convert(image, **kwargs)
    result.timings["decode"] = decode_s
    result.timings["total"] += decode_s
    return result


def convert_bytes(data: bytes, **kwargs: Any) -> ConversionResult:
    """Decode untrusted bytes (with the settings' limits) and convert them."""
    t = time.perf_counter()
    image = decode_image(data)
    return _convert_loaded(image, time.perf_counter() - t, kwargs)


def convert_file(path: str | os.PathLike[str], **kwargs: Any) -> ConversionResult:
    """Load an image file (content-sniffed, size-limited) and convert it."""
    t = time.perf_counter()
    image = load_image(path)
    return _convert_loaded(image, time.perf_counter() - t, kwargs)
