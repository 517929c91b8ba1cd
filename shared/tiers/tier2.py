"""Tier 2: a few measured candidates. Tier 1's result (with its retries, run through the search's memo:
`tier1.run_in`), then Tier 1's guess traced cutout and a fixed portfolio of K configurations, all traced
and measured; the best under the size sanity rule is kept (shared/tiers/search.py: the highest SSIM that
its extra bytes pay for, counted up to the target and past it at a tenth), so Tier 2 never ends below
Tier 1 by that rule.

The portfolio (`portfolio.json`) is chosen by measurement on the dev set's training split
(`python -m bench.portfolio`) as Tier 2 runs: each configuration with the steps after tracing that every
candidate gets (`SHAPING_ON`: gradient fills, splines, fringes dropped, `underlap` for cutout traces),
scored by the size sanity rule, and picked greedily for what it adds to Tier 1's guess traced stacked
and cutout (Tier 2's first two candidates), not for how well it does alone. Re-chosen so on 2026-12-03
(64 training images x 56 configurations; mean score 0.97435 with Tier 1's two candidates alone, 0.97727
with the portfolio before, 0.97807 with the new one), against the portfolio before (`python -m
bench.paired --tier 2 --portfolio OLD`, bench/results/portfolio-*.json; means): 59 held-out images 1x
0.99470 -> 0.99497, 4x 0.99206 -> 0.99221, bytes -1.1 %, seconds -20 %; 64 Iconify icons 1x 0.99176 ->
0.99211, 4x 0.98909 -> 0.98956, bytes -9 %, seconds -21 %; 48 held-out damaged copies against the clean
source 0.96345 -> 0.96426 (8 up, 2 down by more than 0.001), seconds -22 %. Chosen again on top of
Tier 2's start since Tiers 2 and 3 begin with Tier 1's run (its retries, then the cutout guess): the
same six configurations in another order (the 2x trace first); over that start they add 0.97771 ->
0.97807 mean score on the 64 images (over Tier 1's two guesses alone they added 0.97435 -> 0.97807).
"""

import json
from concurrent.futures import Executor
from functools import lru_cache
from pathlib import Path

from shared import learned
from shared.params import ConversionParams, parse_params
from shared.tiers import TierOutcome, TierRequest, tier1, tier1_retries
from shared.tiers.search import MeasuredSearch

PORTFOLIO_PATH = Path(__file__).with_name("portfolio.json")
SHAPING_ON = {"gradients": True, "underlap": True, "drop_fringes": True, "splines": True, "design_grid": True}
# the steps after tracing every portfolio configuration gets (underlap acts on cutout traces only:
# shared/conflation.py; dropping fringes and splines on stacked ones: shared/fringes.py, shared/splines.py;
# the design grid on refined ones: shared/design_grid.py)


@lru_cache(maxsize=1)
def portfolio() -> tuple[ConversionParams, ...]:
    """The measured portfolio, as full parameter sets (flat overrides on the engine defaults)."""
    data = json.loads(PORTFOLIO_PATH.read_text())
    return tuple(parse_params(entry["params"]).with_overrides(SHAPING_ON) for entry in data["configs"])


def first_candidates(request: TierRequest) -> list[ConversionParams]:
    """Tier 1's choice and, for a polygon trace, the same traced cutout: what the portfolio is added to
    (and what bench/portfolio.py chooses it for)."""
    first = tier1.choose_params(request)
    if first.engine.mode != "polygon":
        return [first]
    return [first, first.with_overrides({**tier1_retries.CUTOUT, **request.overrides})]


def candidates(request: TierRequest) -> list[ConversionParams]:
    """`first_candidates`, then K more: the quality predictor's top K after Tier 1's choice alone
    (where it measured better than the fixed portfolio, shared/models/use.json), else the portfolio."""
    firsts = first_candidates(request)
    k = len(portfolio())
    if learned.enabled("tier2"):
        ranked = learned.rank_candidates(request.features, request.target_ssim, request.overrides, [])
        if ranked:
            return [firsts[0], *[c for c in ranked if c != firsts[0]][:k]]
    unmix = {"unmix": tier1.unmixes(request.features)}  # as Tier 1 and Tier 3 trace the image
    return [*firsts, *(p.with_overrides({**unmix, **request.overrides}) for p in portfolio())]


def run(request: TierRequest, executor: Executor | None = None) -> TierOutcome:
    search = MeasuredSearch(request, executor)
    tier1.run_in(search)  # Tier 1's result with its retries; its traces are in the memo
    configs = candidates(request)
    step = 2 if executor is not None else 1
    for i in range(0, len(configs), step):
        search.evaluate_many(configs[i : i + step])
        request.report(min(1.0, (i + step) / len(configs)), search.best)
        if search.out_of_time(step):
            break
    assert search.best is not None
    best = tier1_retries.cleaned_fills(search.best, request)
    return TierOutcome(best=best, evaluated=len(search.memo))
