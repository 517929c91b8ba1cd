import numpy as np
import pytest

from shared.errors import ParameterError
from shared.pipeline import convert
from shared.render import render_svg


def test_tier1_beats_defaults_and_keeps_transparency(disc_rgba: np.ndarray) -> None:
    result = convert(disc_rgba, tier=1)
    assert result.tier == 1 and result.evaluated == 1
    assert result.figures.ssim >= 0.98
    rendered = render_svg(result.svg, 64, 64)
    assert rendered[0, 0, 3] == 0 and rendered[32, 32, 3] == 255
    summary = result.summary()
    for key in ("ssim", "psnr", "bytes", "gzip_bytes", "paths", "tier", "logo_type", "params", "seconds"):
        assert key in summary
    assert summary["params"]["alpha"] == "threshold"


def test_overrides_are_applied_on_top_of_the_tier(disc_rgba: np.ndarray) -> None:
    result = convert(disc_rgba, tier=1, overrides={"mode": "spline", "scale": 1.5})
    assert result.params.engine.mode == "spline" and result.params.steps.scale == 1.5


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"tier": "4"}, "tier"),
        ({"target_ssim": 1.5}, "target_ssim"),
        ({"target_ssim": 0}, "target_ssim"),
        ({"overrides": {"filter_speckle": -1}}, "filter_speckle"),
        ({"budget_s": 0}, "budget_s"),
    ],
)
def test_bad_arguments_fail_before_any_work(disc_rgba: np.ndarray, kwargs: dict, fragment: str) -> None:
    with pytest.raises(ParameterError, match=fragment):
        convert(disc_rgba, **kwargs)


def test_auto_reports_its_reason(disc_rgba: np.ndarray) -> None:
    result = convert(disc_rgba, tier="auto")
    assert result.requested_tier == "auto" and result.reason and result.tier in (1, 2, 3)


def test_a_budget_bounds_the_whole_conversion(disc_rgba: np.ndarray, monkeypatch: pytest.MonkeyPatch) -> None:
    """The searching tier gets what is left of the budget after reading the image, less the time kept
    for the work after it; a budget spent before the tier still lets it run (its first batch)."""
    from shared import pipeline
    from shared.tiers import TierOutcome, TierRequest, tier1

    given: list[float | None] = []

    def recording_tier(request: TierRequest, executor: object = None) -> TierOutcome:
        given.append(request.budget_s)
        return tier1.run(request)

    monkeypatch.setitem(pipeline.TIER_RUNNERS, 3, recording_tier)
    result = convert(disc_rgba, tier=3, budget_s=2.0)
    assert result.tier == 3 and given[0] is not None
    assert 0 < given[0] < 2.0 - pipeline.AFTER_TIER_S
    convert(disc_rgba, tier=3, budget_s=0.01)
    assert given[1] == pipeline.MIN_TIER_BUDGET_S
    convert(disc_rgba, tier=3)
    assert given[2] is None  # no budget given: the tier's own default
