import numpy as np
import pytest

from shared.pipeline import convert
from shared.tiers import Cancelled, objective_value
from tests.conftest import disc


def test_tier2_is_never_worse_than_tier1() -> None:
    """Tier 2 measures Tier 1's choice too and keeps the best under its own measure. The image is
    large enough not to be upscaled first: a small one is traced and measured upscaled and only the
    result is measured against the input, so two results within 0.0001 there may swap places (the
    64 px disc: Tier 1 0.99935 at 346 B, Tier 2's pick 0.99927 at 352 B, higher against the upscale)."""
    image = disc(128, 40.0)
    t1, t2 = convert(image, tier=1, target_ssim=0.999), convert(image, tier=2, target_ssim=0.999)
    assert t2.evaluated > 1
    score = lambda r: float(objective_value(r.figures.ssim, r.figures.bytes, 0.999))  # noqa: E731
    assert score(t2) >= score(t1)


def test_tier3_reaches_a_reachable_target_with_fewer_bytes() -> None:
    image = disc(96, 30.0)
    result = convert(image, tier=3, target_ssim=0.97, budget_s=20)
    assert result.figures.ssim >= 0.97
    tier2 = convert(image, tier=2, target_ssim=0.97)
    assert result.figures.bytes <= tier2.figures.bytes


def test_tier3_respects_a_short_budget(disc_rgba: np.ndarray) -> None:
    first = convert(disc_rgba, tier=1)
    result = convert(disc_rgba, tier=3, budget_s=1e-6)
    assert result.evaluated <= first.evaluated + 2  # only Tier 1's run and the first batch, which always run


def test_tier3_honours_cancellation(disc_rgba: np.ndarray) -> None:
    calls = {"n": 0}

    def cancelled_after_two_checks() -> bool:
        calls["n"] += 1
        return calls["n"] > 2

    with pytest.raises(Cancelled):
        convert(disc_rgba, tier=3, budget_s=30, is_cancelled=cancelled_after_two_checks)
    assert calls["n"] == 3


def test_progress_is_reported_in_order(disc_rgba: np.ndarray) -> None:
    seen: list[float] = []
    convert(disc_rgba, tier=2, progress=lambda fraction, best: seen.append(fraction))
    assert seen and seen == sorted(seen) and seen[-1] == 1.0 and all(0 <= f <= 1 for f in seen)


def test_tier1_traces_a_broken_supersampled_trace_again_at_1x(monkeypatch: pytest.MonkeyPatch) -> None:
    from dataclasses import replace

    from shared.features import compute_features
    from shared.tiers import TierRequest, tier1, tier1_retries

    real = tier1.evaluate
    scales: list[float] = []

    def broken_at_1_5x(rgba: np.ndarray, params: object, compare_unrefined: bool = True,
                       source_px: float = 1.0) -> object:
        found = real(rgba, params, compare_unrefined=compare_unrefined, source_px=source_px)
        scales.append(params.steps.scale)
        if params.steps.scale == tier1.FEW_COLORS_SCALE:  # what the engine's layering sometimes does
            return replace(found, figures=replace(found.figures, ssim=0.5))
        return found

    monkeypatch.setattr(tier1, "evaluate", broken_at_1_5x)
    monkeypatch.setattr(tier1_retries, "CUTOUT_BELOW", 0.0)  # the layering retry: test_conflation.py
    rgba = disc(64, 20.0)
    features = compute_features(rgba)
    outcome = tier1.run(TierRequest(rgba, features, 0.98))
    assert scales == [1.5, 1.0] and outcome.evaluated == 2 and outcome.best.params.steps.scale == 1.0
    scales.clear()
    fixed = tier1.run(TierRequest(rgba, features, 0.98, overrides={"scale": 1.5}))
    assert scales == [1.5] and fixed.evaluated == 1  # a scale the caller chose is kept


def test_every_tier_unmixes_a_flat_images_edges_not_a_shaded_ones(disc_rgba: np.ndarray,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """Edges unmixed before tracing (shared/preprocess.py) for a flat image in Tier 1's trace, Tier 2's
    portfolio and Tier 3's trials; not for one shaded all over (the engine's clusters of shading moved
    both ways with it: docs/findings.md, "Edges unmixed before tracing")."""
    from shared.features import compute_features
    from shared.tiers import TierRequest, tier1, tier2

    ramp = np.zeros((64, 64, 4), np.uint8)
    ramp[..., 0] = np.linspace(20, 230, 64).astype(np.uint8)[None, :]
    ramp[..., 2] = 120
    ramp[..., 3] = 255
    tiny = np.ascontiguousarray(disc_rgba[::8, ::8])  # traced as exact pixels by Tier 1: every tier leaves it
    assert min(tiny.shape[:2]) < tier1.TINY_SIDE
    for rgba, unmix in ((disc_rgba, True), (ramp, False), (tiny, False)):
        features = compute_features(rgba)
        assert tier1.unmixes(features) == unmix
        assert tier1.formula_params(features).steps.unmix == unmix
        request = TierRequest(rgba=rgba, features=features, target_ssim=0.98, overrides={})
        assert {p.steps.unmix for p in tier2.candidates(request)} == {unmix}
    from shared.tiers.search import MeasuredSearch

    traced = []
    evaluate_many = MeasuredSearch.evaluate_many

    def recorded(self: MeasuredSearch, configs: list) -> list:
        traced.extend(configs)
        return evaluate_many(self, configs)

    monkeypatch.setattr(MeasuredSearch, "evaluate_many", recorded)
    convert(disc_rgba, tier=3, budget_s=3)
    assert len(traced) > 3 and all(p.steps.unmix for p in traced)
