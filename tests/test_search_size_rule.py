"""The searching tiers' size sanity rule on cleaned (damaged) inputs (shared/tiers/search.py)."""

import numpy as np

from shared.candidate import Candidate
from shared.features import compute_features
from shared.images import decode_image
from shared.params import ConversionParams
from shared.pipeline import prepare_input
from shared.quality import QualityFigures
from shared.tiers import TierRequest, tier2
from shared.tiers.search import SSIM_PER_KB, MeasuredSearch, size_sane_score
from tests.test_damage_mix import jpeg_bytes, two_colour_logo


def fake(ssim: float, nbytes: int) -> Candidate:
    figures = QualityFigures(ssim, 30.0, ssim, ssim, nbytes, nbytes, 1)
    return Candidate(ConversionParams(), "<svg/>", figures, 0.0, 0.0)


def request(cleaned: bool, target: float = 0.98) -> TierRequest:
    rgba = np.full((8, 8, 4), 255, np.uint8)
    req = TierRequest(rgba, compute_features(rgba), target)
    req.cleaned = cleaned  # type: ignore[attr-defined]  # set by the pipeline on cleaned inputs
    return req


def test_more_bytes_must_buy_their_ssim() -> None:
    small, slightly_better, much_better = fake(0.95, 1024), fake(0.952, 3072), fake(0.97, 3072)
    assert 0.952 - 0.95 < 2 * SSIM_PER_KB < 0.97 - 0.95
    score = lambda c: size_sane_score(c.figures.ssim, c.figures.bytes, 0.98)  # noqa: E731
    assert score(small) > score(slightly_better)
    assert score(much_better) > score(small)


def test_above_the_target_fewer_bytes_win() -> None:
    assert size_sane_score(0.981, 900, 0.98) > size_sane_score(0.999, 1000, 0.98)
    assert size_sane_score(0.981, 900, 0.98) > size_sane_score(0.979, 800, 0.98) - 0.001


def test_the_search_keeps_by_the_rule_only_on_a_cleaned_input() -> None:
    candidates = [fake(0.95, 1024), fake(0.952, 8192), fake(0.951, 20_000)]
    plain, cleaned = MeasuredSearch(request(False)), MeasuredSearch(request(True))
    for cand in candidates:
        plain.keep(cand)
        cleaned.keep(cand)
    assert plain.best is candidates[1]  # below the target: the highest SSIM, whatever its bytes
    assert cleaned.best is candidates[0]
    assert not MeasuredSearch(TierRequest(*(lambda r: (r.rgba, r.features, 0.98))(request(False)))).size_rule


def test_tier2_on_a_cleaned_jpeg_adds_no_bytes_for_noise() -> None:
    image = decode_image(jpeg_bytes(two_colour_logo(200), 40))
    rgba, _, cleaned_rgba, _ = prepare_input(image)
    assert cleaned_rgba is not rgba
    features = compute_features(cleaned_rgba)
    plain = tier2.run(TierRequest(cleaned_rgba, features, 0.999)).best
    marked = TierRequest(cleaned_rgba, features, 0.999)
    marked.cleaned = True  # type: ignore[attr-defined]
    ruled = tier2.run(marked).best
    assert ruled.figures.bytes <= plain.figures.bytes
    assert size_sane_score(ruled.figures.ssim, ruled.figures.bytes, 0.999) >= size_sane_score(
        plain.figures.ssim, plain.figures.bytes, 0.999)
