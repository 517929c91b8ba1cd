"""A clean trace that measures low at 1x is traced again supersampled
(shared/tiers/tier1_retries.py, `sharper_params`): detailed colour logos lose hairlines at 1x. Not an
image without anti-aliasing (`unsmoothed`), whose 2x trace draws its pixel staircases."""

import numpy as np
import pytest

from bench.scale_check import aliased
from shared.candidate import Candidate
from shared.features import compute_features
from shared.images import decode_image
from shared.params import ConversionParams, EngineParams, StepParams
from shared.pipeline import convert
from shared.quality import alpha_aware_ssim
from shared.render import render_svg
from shared.tiers import TierRequest, tier1_retries
from shared.tiers.tier1_retries import (
    SHARPER_BELOW,
    SHARPER_BELOW_CLEANED,
    SHARPER_MAX_BYTES,
    SHARPER_SCALE,
    sharper_params,
    unsmoothed,
)
from tests.image_files import jpeg_bytes
from tests.scored import scored_candidate, tier_request

HAIRLINES = "".join(f'<path d="M{20 + i * 9} 40 L{60 + i * 11} 200" stroke="#f4f4f4" stroke-width="0.6" '
                    'fill="none"/>' for i in range(14))
LOGO = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">'
        '<rect width="256" height="256" rx="40" fill="#232a3a"/>'
        '<circle cx="120" cy="120" r="90" fill="#138a8a"/>'
        '<rect x="150" y="170" width="80" height="50" fill="#e0c040"/><circle cx="200" cy="60" r="30" '
        f'fill="#c04060"/>{HAIRLINES}</svg>')


def traced(ssim: float, scale: float = 1.0, nbytes: int = 100) -> Candidate:
    params = ConversionParams(engine=EngineParams(mode="polygon"), steps=StepParams(scale=scale))
    return scored_candidate(ssim, params, nbytes=nbytes)


def request(cleaned: bool = False, overrides: dict[str, float] | None = None, sharp_edges: bool = False
            ) -> TierRequest:
    return tier_request(np.zeros((8, 8, 4), np.uint8), cleaned, overrides, sharp_edges)


def test_only_a_low_clean_trace_not_yet_supersampled_is_traced_again() -> None:
    retry = sharper_params(traced(SHARPER_BELOW - 0.01), request())
    assert retry is not None and retry.steps.scale == SHARPER_SCALE
    assert sharper_params(traced(SHARPER_BELOW + 0.001), request()) is None
    assert sharper_params(traced(SHARPER_BELOW - 0.01, SHARPER_SCALE), request()) is None
    assert sharper_params(traced(SHARPER_BELOW - 0.01, nbytes=SHARPER_MAX_BYTES + 1), request()) is None
    assert sharper_params(traced(SHARPER_BELOW - 0.01), request(cleaned=True)) is None  # detail is noise
    assert sharper_params(traced(SHARPER_BELOW - 0.01), request(overrides={"scale": 1.0})) is None
    jpeg = request(cleaned=True, sharp_edges=True)  # a JPEG's cleaned estimate at its own size
    assert sharper_params(traced(SHARPER_BELOW_CLEANED + 0.001), jpeg) is None
    retry = sharper_params(traced(SHARPER_BELOW_CLEANED - 0.001), jpeg)
    assert retry is not None and retry.steps.scale == SHARPER_SCALE


def test_a_jpeg_keeps_its_hairlines() -> None:
    """The hairline logo as a JPEG (quality 58), traced from its cleaned estimate: at 1x its lines are
    merged into the ground (0.73 against the clean logo), at 2x they stay (0.92)."""
    clean = render_svg(LOGO, 256, 256)
    jpeg = decode_image(jpeg_bytes(clean, 58))
    result = convert(jpeg, tier=1)
    assert result.params.steps.scale == SHARPER_SCALE
    plain = convert(jpeg, tier=1, overrides={"scale": 1.0})
    score, plain_score = (alpha_aware_ssim(clean, render_svg(r.svg, 256, 256))[0] for r in (result, plain))
    assert score > plain_score + 0.1


def test_hairlines_lost_at_1x_are_kept() -> None:
    """At 1x the engine merges the 0.6 px lines into the ground (SSIM 0.74); supersampled they stay."""
    rgba = render_svg(LOGO, 256, 256)
    plain = convert(rgba, tier=1, overrides={"scale": 1.0})
    assert plain.figures.ssim < SHARPER_BELOW
    result = convert(rgba, tier=1)
    assert result.params.steps.scale == SHARPER_SCALE
    assert result.figures.ssim > plain.figures.ssim + 0.1


DOTS = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256">'
        + "".join(f'<circle cx="{x:.2f}" cy="{y:.2f}" r="3" fill="#a02020"/>'
                  for x, y in np.random.default_rng(0).uniform(10, 246, (200, 2)))
        + "</svg>")


def test_unsmoothed_tells_an_export_without_anti_aliasing() -> None:
    """Drawn without anti-aliasing (each pixel the colour at its centre), 200 dots are pixel staircases;
    resvg's rendering mixes their edges; a fully transparent or translucent image is neither."""
    assert unsmoothed(aliased(DOTS, 256, 8))
    assert not unsmoothed(render_svg(DOTS, 256, 256))
    assert not unsmoothed(render_svg(LOGO, 256, 256))
    assert not unsmoothed(np.zeros((8, 8, 4), np.uint8))
    faded = aliased(DOTS, 256, 8)
    faded[..., 3] //= 2
    assert not unsmoothed(faded)


def test_an_image_without_anti_aliasing_is_not_traced_again_at_2x(monkeypatch: pytest.MonkeyPatch) -> None:
    """The 2x trace draws the dots' staircases pixel for pixel: 1x 1.0, but lower at 4x against the
    dots themselves than the 1.5x trace (0.947 against 0.964), in more bytes."""
    rgba = aliased(DOTS, 256, 8)
    source = render_svg(DOTS, 1024, 1024)
    low = TierRequest(rgba, compute_features(rgba), 0.98, {})
    assert sharper_params(traced(SHARPER_BELOW - 0.01), low) is None
    kept = convert(rgba, tier=1)
    monkeypatch.setattr(tier1_retries, "unsmoothed", lambda image: False)
    staircase = convert(rgba, tier=1)
    assert staircase.params.steps.scale == SHARPER_SCALE and staircase.figures.ssim > 0.999
    assert kept.params.steps.scale < SHARPER_SCALE
    four_x = [alpha_aware_ssim(source, render_svg(r.svg, 1024, 1024))[0] for r in (kept, staircase)]
    assert four_x[0] > four_x[1] + 0.01
