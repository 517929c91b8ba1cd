"""Measured evaluation shared by the searching tiers: a memo of (parameters) -> candidate for one image,
batched evaluation on an optional executor, and the budget clock."""

import time
from collections.abc import Iterable
from concurrent.futures import Executor
from functools import partial

import numpy as np

from shared.candidate import Candidate, evaluate
from shared.params import ConversionParams
from shared.tiers import TierRequest, better


def params_key(params: ConversionParams) -> str:
    return params.model_dump_json()


class MeasuredSearch:
    """Evaluates configurations on one image, never the same one twice, and keeps the best so far
    under the tiers' objective (reach the target with the fewest bytes, else the best SSIM)."""

    def __init__(self, request: TierRequest, executor: Executor | None = None) -> None:
        self.request = request
        self.executor = executor
        self.memo: dict[str, Candidate] = {}
        self.best: Candidate | None = None
        self.started = time.perf_counter()
        self.batches = 0
        self.last_batch = 1

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.started

    def out_of_time(self, next_batch: int = 1) -> bool:
        """True when the budget is spent, or when `next_batch` more evaluations, at the mean cost seen
        so far, would overrun it (so a search ends inside its budget instead of just after it)."""
        budget = self.request.budget_s
        if budget is None:
            return False
        spent = self.elapsed
        mean_cost = spent / self.batches if self.batches else 0.0
        return spent + mean_cost * (next_batch / max(1, self.last_batch)) >= budget

    def evaluate_many(self, configs: Iterable[ConversionParams]) -> list[Candidate]:
        """Measure configurations (in parallel when an executor was given); memoised, in input order."""
        self.request.check_cancelled()
        configs = list(configs)
        todo = {params_key(p): p for p in configs if params_key(p) not in self.memo}
        rgba: np.ndarray = self.request.rgba
        measure_one = partial(evaluate, compare_unrefined=False)  # refine on/off are points of their own
        if self.executor is not None and len(todo) > 1:
            results = list(self.executor.map(measure_one, [rgba] * len(todo), todo.values()))
        else:
            results = [measure_one(rgba, p) for p in todo.values()]
        self.batches += 1
        self.last_batch = max(1, len(configs))
        for key, cand in zip(todo, results, strict=True):
            self.memo[key] = cand
            self.best = better(self.best, cand, self.request.target_ssim)
        return [self.memo[params_key(p)] for p in configs]
