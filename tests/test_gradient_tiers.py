"""Gradients in the tiers: Tier 1's retry with exact colours (shared/tiers/tier1_retries.py, `finer_params`: a
shaded image, clean or cleaned up without snapping, whose 6-bit colour trace merges a gradient into flat
regions is traced again at 8 bits) and Tier 2's portfolio with the gradient step on
(shared/tiers/tier2.py)."""

from dataclasses import replace
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from bench.dataset import hash_seed
from bench.synthetic import GENERATORS
from shared.candidate import Candidate
from shared.features import compute_features
from shared.palette import robust_palette, snap_labels
from shared.params import ConversionParams
from shared.pipeline import convert
from shared.render import render_svg
from shared.tiers import TierRequest, search, tier1, tier2, tier3
from shared.tiers.search import MeasuredSearch, params_key
from shared.tiers.tier1_retries import (
    FINER_BELOW,
    FINER_COLOR_PRECISION,
    FINER_SMOOTH_SHARE,
    finer_params,
)
from tests.scored import scored_candidate


@pytest.fixture(scope="module")
def shaded() -> np.ndarray:
    """A generated gradient logo (the dev set's `generated:gradient:18`, 256 px) whose 6-bit trace
    measures ~0.78: the clustering chains its shaded bars' colours into a few flat regions."""
    return GENERATORS["gradient"](np.random.default_rng([hash_seed("generated:gradient:18")]), 256)


def _candidate(ssim: float, color_precision: int = 6) -> Candidate:
    params = tier1.formula_params(compute_features(np.zeros((64, 64, 4), np.uint8)))
    params = params.with_overrides({"color_precision": color_precision})
    return scored_candidate(ssim, params)


def test_a_shaded_image_under_the_bar_is_traced_again_with_exact_colours(shaded: np.ndarray) -> None:
    # the layering and the scale fixed: no cutout retry (test_conflation.py), no supersampled one
    # (test_sharper_retry.py)
    stacked = {"hierarchical": "stacked", "scale": tier1.formula_params(compute_features(shaded)).steps.scale}
    fixed = convert(shaded, tier=1, overrides={"color_precision": 6, **stacked})  # the caller's: no retry
    result = convert(shaded, tier=1, overrides=stacked)
    assert fixed.evaluated == 1 and fixed.figures.ssim < FINER_BELOW
    assert result.evaluated == 2
    assert result.params.engine.color_precision == FINER_COLOR_PRECISION
    assert result.figures.ssim > fixed.figures.ssim + 0.05


def test_the_retry_is_only_for_shaded_traces_under_the_bar() -> None:
    features = compute_features(np.zeros((64, 64, 4), np.uint8))
    shaded = replace(features, gradient_smoothness=FINER_SMOOTH_SHARE + 0.1)
    flat = replace(features, gradient_smoothness=FINER_SMOOTH_SHARE / 2)
    low = _candidate(FINER_BELOW - 0.05)
    retry = finer_params(low, shaded, 0.98, {})
    assert retry is not None and retry.engine.color_precision == FINER_COLOR_PRECISION
    assert finer_params(low, flat, 0.98, {}) is None  # flat colours: the trace's clusters are exact
    assert finer_params(_candidate(FINER_BELOW + 0.005), shaded, 0.98, {}) is None
    assert finer_params(low, shaded, FINER_BELOW - 0.1, {}) is None  # the target is reached
    assert finer_params(low, shaded, 0.98, {"color_precision": 6}) is None
    assert finer_params(_candidate(0.8, FINER_COLOR_PRECISION), shaded, 0.98, {}) is None


def test_a_cleaned_input_is_traced_again_only_where_it_kept_its_shading(shaded: np.ndarray) -> None:
    features = compute_features(shaded)
    assert features.gradient_smoothness >= FINER_SMOOTH_SHARE
    fixed = {"scale": 1.0, "hierarchical": "stacked"}  # no 1x or cutout retry (test_conflation.py)
    outcome = tier1.run(TierRequest(shaded, features, 0.98, fixed, cleaned=True))  # shading kept
    assert outcome.evaluated == 2
    snapped = _snapped(shaded)  # the same image snapped to its palette: its soft edges are not shading
    outcome = tier1.run(TierRequest(snapped, compute_features(snapped), 0.98, fixed, cleaned=True,
                                    snapped=True))
    assert outcome.evaluated == 1
    assert outcome.best.params.engine.color_precision < FINER_COLOR_PRECISION


@pytest.mark.parametrize(("ssim", "retried"), [(0.90, True), (0.95, False)])
def test_cleaned_shading_gets_exact_colours_only_under_092(shaded: np.ndarray, ssim: float,
                                                            retried: bool) -> None:
    """On a cleaned input that kept its shading, exact colours trace JPEG noise: of 28 such retries on
    the training split's JPEG copies, the 4 kept were of traces under 0.92. A trace over it (under
    FINER_BELOW, so retried before) is kept as it is."""
    fixed = {"scale": 1.0, "hierarchical": "stacked"}
    request = TierRequest(shaded, compute_features(shaded), 0.98, fixed, cleaned=True)
    traced: list[int] = []

    def evaluate_one(params: ConversionParams) -> Candidate:
        traced.append(params.engine.color_precision)
        return replace(_candidate(ssim, params.engine.color_precision), params=params)

    tier1.run(request, evaluate_one=evaluate_one)
    assert traced == ([6, FINER_COLOR_PRECISION] if retried else [6])


def _snapped(rgba: np.ndarray) -> np.ndarray:
    """`rgba` snapped to four of its colours, edges softened as the clean-up does (shared/damage.py)."""
    palette = robust_palette(rgba[..., :3].reshape(-1, 3))[:4]
    snapped = palette[snap_labels(rgba, palette)]
    return np.dstack([snapped, rgba[..., 3]]).astype(np.uint8)


def test_tier2_candidates_fill_with_gradients(shaded: np.ndarray) -> None:
    assert all(p.steps.gradients for p in tier2.portfolio())
    request = TierRequest(shaded, compute_features(shaded), 0.98, {"gradients": False})
    assert not any(p.steps.gradients for p in tier2.candidates(request))  # the caller's override wins
    result = convert(shaded, tier=2)
    assert "Gradient" in result.svg and result.params.steps.gradients
    assert result.figures.ssim > convert(shaded, tier=1, overrides={"color_precision": 6}).figures.ssim


def test_a_thin_bevelled_rim_is_traced_with_exact_colours() -> None:
    """devicon's PHP logo (MIT, https://github.com/devicons/devicon): its ellipse's 5 px rim, a radial
    gradient, is 3.9 % of the image; at 6-bit colours it falls into the plate's cluster (0.957), with
    exact colours it is drawn (0.984). The retry was asked for only from 4 % smooth shading before."""
    rgba = render_svg((Path(__file__).parent / "fixtures" / "devicon-php.svg").read_text(), 256, 256)
    assert FINER_SMOOTH_SHARE < compute_features(rgba).gradient_smoothness < 0.04
    result = convert(rgba, tier=1)
    assert result.params.engine.color_precision == FINER_COLOR_PRECISION
    assert result.figures.ssim > 0.98


@pytest.mark.parametrize("tier", [tier2, tier3])
def test_the_searching_tiers_start_from_tier1s_retried_result(
    shaded: np.ndarray, tier: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tiers 2 and 3 run Tier 1 (its retries too) through their memo: Tier 1's result is among their
    candidates, no configuration is traced twice, and they never end below it under their own rule."""
    features = compute_features(shaded)
    first = tier1.run(TierRequest(shaded, features, 0.98))
    assert first.evaluated >= 2  # the exact-colour retry, which neither tier's own candidates include
    traced: list[str] = []
    real = search.evaluate

    def counting(rgba: np.ndarray, params: ConversionParams, **kwargs: bool) -> Candidate:
        traced.append(params_key(params))
        return real(rgba, params, **kwargs)

    monkeypatch.setattr(search, "evaluate", counting)
    request = TierRequest(shaded, features, 0.98, budget_s=1e-6)  # Tier 3: Tier 1, then one batch
    outcome = tier.run(request)
    assert len(traced) == len(set(traced)) == outcome.evaluated
    assert params_key(first.best.params) in traced
    score = MeasuredSearch(TierRequest(shaded, features, 0.98)).score
    assert score(outcome.best) >= score(first.best)
