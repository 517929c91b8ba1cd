"""Tier 2: a few measured candidates. Tier 1's guess plus a fixed portfolio of K configurations,
all traced and measured; the best under the size sanity rule is kept (shared/tiers/search.py: the highest
SSIM that its extra bytes pay for, counted up to the target and past it at a tenth).

The portfolio (`portfolio.json`) is chosen by measurement on the dev set's training split
(`python -m bench.portfolio`): the K configurations that together do best over all images. It was
chosen before gradient fills existed, so each of its configurations runs with the `gradients` step on
(`SHAPING_ON`), as Tier 1's does: the step keeps flat fills wherever a gradient does not pay; and
with `underlap` (cutout traces without seams, shared/conflation.py). Tier 1's guess is measured
cutout too, as Tier 1 does where its stacked trace measures under 0.99. Tier 2
with and without (median 1x / 4x SSIM / bytes): 59 held-out clean dev images 0.9915 / 0.9898 / 735 B ->
0.9917 / 0.9901 / 738 B (only the gradient category changes: 0.9834 / 0.9894 -> 0.9880 / 0.9911);
30 devicon logos with gradients 0.9658 / 0.9711 / 1,457 B -> 0.9770 / 0.9772 / 2,177 B.
"""

import json
from concurrent.futures import Executor
from functools import lru_cache
from pathlib import Path

from shared import learned
from shared.params import ConversionParams, parse_params
from shared.tiers import TierOutcome, TierRequest, tier1
from shared.tiers.search import MeasuredSearch

PORTFOLIO_PATH = Path(__file__).with_name("portfolio.json")
SHAPING_ON = {"gradients": True, "underlap": True, "drop_fringes": True, "splines": True}  # the steps
# after tracing every portfolio configuration gets (underlap acts on cutout traces only:
# shared/conflation.py; dropping fringes and splines on stacked ones: shared/fringes.py, shared/splines.py)


@lru_cache(maxsize=1)
def portfolio() -> tuple[ConversionParams, ...]:
    """The measured portfolio, as full parameter sets (flat overrides on the engine defaults)."""
    data = json.loads(PORTFOLIO_PATH.read_text())
    return tuple(parse_params(entry["params"]).with_overrides(SHAPING_ON) for entry in data["configs"])


def candidates(request: TierRequest) -> list[ConversionParams]:
    """Tier 1's choice (and the same traced cutout), then K more: the quality
    predictor's top K (where it measured better than the fixed portfolio, shared/models/use.json),
    else the portfolio."""
    first = tier1.choose_params(request.features, request.target_ssim, request.overrides)
    k = len(portfolio())
    if learned.enabled("tier2"):
        ranked = learned.rank_candidates(request.features, request.target_ssim, request.overrides, [])
        if ranked:
            return [first, *[c for c in ranked if c != first][:k]]
    traced_cutout = first.with_overrides({**tier1.CUTOUT, **request.overrides})
    cutout = [traced_cutout] if first.engine.mode == "polygon" else []
    return [first, *cutout, *(p.with_overrides(request.overrides) for p in portfolio())]


def run(request: TierRequest, executor: Executor | None = None) -> TierOutcome:
    configs = candidates(request)
    search = MeasuredSearch(request, executor)
    step = 2 if executor is not None else 1
    for i in range(0, len(configs), step):
        search.evaluate_many(configs[i : i + step])
        request.report(min(1.0, (i + step) / len(configs)), search.best)
        if search.out_of_time(step):
            break
    assert search.best is not None
    best = tier1.cleaned_fills(search.best, request)
    return TierOutcome(best=best, evaluated=len(search.memo))
