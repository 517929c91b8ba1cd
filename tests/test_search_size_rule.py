"""The searching tiers' size sanity rule (shared/tiers/search.py): 0.005 SSIM per KB on cleaned
(damaged) inputs, 0.001 on clean ones."""

from concurrent.futures import Executor

import numpy as np
import pytest

from shared import pipeline
from shared.candidate import Candidate
from shared.features import compute_features
from shared.images import decode_image
from shared.pipeline import prepare_input
from shared.tiers import TierOutcome, TierRequest, tier2
from shared.tiers.search import SSIM_PER_KB, SSIM_PER_KB_CLEAN, MeasuredSearch, size_sane_score
from tests.image_files import jpeg_bytes
from tests.scored import scored_candidate, tier_request
from tests.test_damage_mix import two_colour_logo


def fake(ssim: float, nbytes: int) -> Candidate:
    return scored_candidate(ssim, nbytes=nbytes)


def request(cleaned: bool, target: float = 0.98) -> TierRequest:
    return tier_request(np.full((8, 8, 4), 255, np.uint8), cleaned, target=target)


def test_more_bytes_must_buy_their_ssim() -> None:
    small, slightly_better, much_better = fake(0.95, 1024), fake(0.952, 3072), fake(0.97, 3072)
    assert 0.952 - 0.95 < 2 * SSIM_PER_KB < 0.97 - 0.95
    score = lambda c: size_sane_score(c.figures.ssim, c.figures.bytes, 0.98)  # noqa: E731
    assert score(small) > score(slightly_better)
    assert score(much_better) > score(small)


def test_above_the_target_fewer_bytes_win_unless_ten_times_the_rate_buys_more() -> None:
    """Above the target a bigger candidate must buy ten times the rate below it (ABOVE_TARGET_WEIGHT):
    0.004 SSIM for 512 more bytes does not pay at the clean rate, 0.014 for 100 bytes does."""
    rate = SSIM_PER_KB_CLEAN
    assert size_sane_score(0.981, 900, 0.98, rate) > size_sane_score(0.985, 1412, 0.98, rate)
    assert size_sane_score(0.995, 1000, 0.98, rate) > size_sane_score(0.981, 900, 0.98, rate)
    assert size_sane_score(0.981, 900, 0.98) > size_sane_score(0.979, 800, 0.98) - 0.001


def test_a_far_truer_trace_past_the_target_beats_one_just_under_it() -> None:
    """The held-out `shapes/022` (Tier 1): its stacked trace measured 0.9799 at 1,343 B and its cutout
    trace 0.9967 at 1,658 B; counted only up to the target, the cutout's 0.0168 bought 0.0001 and the
    stacked trace was kept."""
    rate = SSIM_PER_KB_CLEAN
    assert size_sane_score(0.9967, 1658, 0.98, rate) > size_sane_score(0.9799, 1343, 0.98, rate)


def test_the_search_keeps_by_a_gentler_rate_on_a_clean_input() -> None:
    """A clean input keeps a bigger candidate that buys 0.004 SSIM per KB (a cleaned one does not); on
    both, a 94 KB trace that just reaches the target loses to a 4 KB one just under it."""
    assert SSIM_PER_KB_CLEAN < 0.004 < SSIM_PER_KB
    bigger = [fake(0.95, 1024), fake(0.958, 3072)]
    bloated = [fake(0.975, 4096), fake(0.9801, 94_000)]
    for cleaned, kept in ((False, bigger[1]), (True, bigger[0])):
        search = MeasuredSearch(request(cleaned))
        for cand in bigger:
            search.keep(cand)
        assert search.best is kept
        search = MeasuredSearch(request(cleaned))
        for cand in bloated:
            search.keep(cand)
        assert search.best is bloated[0]


def test_tier2_on_a_cleaned_jpeg_adds_no_bytes_for_noise() -> None:
    image = decode_image(jpeg_bytes(two_colour_logo(200), 40))
    rgba, _, cleanup, _ = prepare_input(image)
    cleaned_rgba = cleanup.rgba
    assert cleaned_rgba is not rgba
    features = compute_features(cleaned_rgba)
    plain = tier2.run(TierRequest(cleaned_rgba, features, 0.999)).best
    ruled = tier2.run(TierRequest(cleaned_rgba, features, 0.999, cleaned=True)).best
    assert ruled.figures.bytes <= plain.figures.bytes
    assert size_sane_score(ruled.figures.ssim, ruled.figures.bytes, 0.999) >= size_sane_score(
        plain.figures.ssim, plain.figures.bytes, 0.999)


def test_the_pipeline_marks_a_cleaned_jpeg_for_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real = pipeline.TIER_RUNNERS[2]

    def spy(request: TierRequest, executor: Executor | None) -> TierOutcome:
        seen.append(request.cleaned)
        return real(request, executor)

    monkeypatch.setitem(pipeline.TIER_RUNNERS, 2, spy)
    pipeline.convert(decode_image(jpeg_bytes(two_colour_logo(200), 40)), tier=2)
    pipeline.convert(two_colour_logo(200), tier=2)
    assert seen == [True, False]
