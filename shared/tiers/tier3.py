"""Tier 3: measured search over the whole space with Optuna's TPE sampler.

Starts from Tier 1's result (with its retries, through the search's memo: `tier1.run_in`), so it never
ends below Tier 1 by its own rule; then seeded with Tier 1's formula and Tier 2's portfolio; each trial
traces and measures one configuration.
Stops when the budget ends, when the trial limit is reached, or when the target has been met and
`patience` trials in a row found nothing better (smaller results have become unlikely). Trials are
scored and kept by the size sanity rule (shared/tiers/search.py).
"""

import hashlib
import logging
import math
from concurrent.futures import Executor
from typing import Any

import optuna

from shared.params import ConversionParams, parse_params
from shared.search_space import Dimension, free_dimensions
from shared.tiers import TierOutcome, TierRequest, tier1, tier1_retries, tier2
from shared.tiers.search import MeasuredSearch

DEFAULT_BUDGET_S = 9.0  # search budget; features, routing and the last batch fit in the 10 s end-to-end goal
MAX_TRIALS = 120
PATIENCE = 20  # trials without improvement, once the target is met
SHAPING_ON = {"underlap": True, "drop_fringes": True, "splines": True, "design_grid": True}  # every
# trial's cutout traces without seams (shared/conflation.py), its stacked ones without fringe strips
# (shared/fringes.py) and with splines (shared/splines.py), refined ones on their design grid if any
# (shared/design_grid.py)

optuna.logging.set_verbosity(logging.WARNING)


def _suggest(trial: optuna.Trial, dim: Dimension) -> Any:
    if dim.kind == "categorical":
        return trial.suggest_categorical(dim.name, list(dim.choices))
    if dim.kind == "int":
        return trial.suggest_int(dim.name, int(dim.low), int(dim.high))
    return trial.suggest_float(dim.name, dim.low, dim.high, step=dim.step)


def _within(dim: Dimension, value: Any) -> bool:
    """Whether `value` is a point of `dim` (optuna refuses an enqueued trial outside the space)."""
    if dim.kind == "categorical":
        return value in dim.choices
    return isinstance(value, int | float) and dim.low <= value <= dim.high


def _seed(request: TierRequest) -> int:
    return int.from_bytes(hashlib.sha256(request.rgba.tobytes()).digest()[:4], "little")


def seed_configs(request: TierRequest) -> list[ConversionParams]:
    """Tier 1's guess first, then Tier 2's portfolio, each with the caller's overrides applied."""
    first = tier1.formula_params(request.features)
    return [p.with_overrides(request.overrides) for p in (first, *tier2.portfolio())]


def run(request: TierRequest, executor: Executor | None = None, batch: int = 2) -> TierOutcome:
    """Search until the budget (default DEFAULT_BUDGET_S) or the stopping rule ends it. Tier 1's run and
    the first batch always run, so even a tiny budget returns a measured result."""
    if request.budget_s is None:
        request.budget_s = DEFAULT_BUDGET_S
    search = MeasuredSearch(request, executor)
    tier1.run_in(search)  # Tier 1's result with its retries, kept; its traces are in the memo
    dims = free_dimensions(request.overrides)
    sampler = optuna.samplers.TPESampler(seed=_seed(request), n_startup_trials=10, multivariate=True)
    study = optuna.create_study(direction="maximize", sampler=sampler)
    for params in seed_configs(request):
        flat = params.flat()
        if all(_within(d, flat[d.name]) for d in dims):  # a tiny image's Tier 1 guess (mode pixel) is not
            study.enqueue_trial({d.name: flat[d.name] for d in dims}, skip_if_exists=True)

    unmix = tier1.unmixes(request.features)  # as Tier 1 traces the image
    since_improvement, trials = 0, 0
    best_value = -math.inf
    while trials == 0 or (trials < MAX_TRIALS and not search.out_of_time(batch)):
        asked = [study.ask() for _ in range(batch)]
        configs = [parse_params({**SHAPING_ON, "unmix": unmix, **{d.name: _suggest(t, d) for d in dims},
                                 **request.overrides}) for t in asked]
        for trial, cand in zip(asked, search.evaluate_many(configs), strict=True):
            value = search.score(cand)  # the size sanity rule's score
            study.tell(trial, value)
            trials += 1
            if value > best_value + 1e-6:
                best_value, since_improvement = value, 0
            else:
                since_improvement += 1
        budget = request.budget_s or DEFAULT_BUDGET_S
        request.report(max(search.elapsed / budget, trials / MAX_TRIALS), search.best)
        target_met = search.best is not None and search.best.figures.ssim >= request.target_ssim
        if target_met and since_improvement >= PATIENCE:
            break
    assert search.best is not None
    best = tier1_retries.cleaned_fills(search.best, request)
    request.report(1.0, best)
    return TierOutcome(best=best, evaluated=len(search.memo))
