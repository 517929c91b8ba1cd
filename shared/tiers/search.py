"""Measured evaluation shared by the searching tiers: a memo of (parameters) -> candidate for one image,
batched evaluation on an optional executor, the budget clock, and which candidate to keep.

Size sanity rule: a candidate with more bytes is kept only while its SSIM, counted up to the target
(and past it at a tenth: `ABOVE_TARGET_WEIGHT`), grows by at least a stated amount per extra KB
(`size_sane_score`). On inputs that were cleaned up
before tracing (JPEGs, scans, upscaled small images: `TierRequest.cleaned`) the rate is `SSIM_PER_KB`:
the searching tiers measure against the cleaned estimate, not the logo, so past the cleaned image's
own detail more shapes buy SSIM against leftover damage (on the damaged training split, Tier 2 under the
plain objective gave a lower SSIM against the clean logo than Tier 1 at twice its bytes). On clean
inputs the rate is the gentler `SSIM_PER_KB_CLEAN`: under the plain objective (reach the target with
the fewest bytes, else the highest SSIM; `shared.tiers.objective_value`) the search reached 0.98 on a
256 px flag with a 94 KB trace at 4x supersampling (0.9437 against the flag's vector source at 4x,
Tier 1's 4.4 KB: 0.9589), and Tier 2 kept 16-108 KB traces for the last 0.002-0.02 of SSIM.
"""

import time
from collections.abc import Iterable
from concurrent.futures import Executor
from functools import partial

import numpy as np

from shared.candidate import Candidate, evaluate
from shared.params import ConversionParams
from shared.tiers import TierRequest

SSIM_PER_KB = 0.005
"""SSIM (against the cleaned image, counted up to the target) that each extra 1,024 bytes must buy on a
cleaned input. Measured on the damaged training split (120 copies, 30 per kind; every Tier 2 candidate
and Tier 3's first seed scored against the clean logo; target 0.98), keeping by min(SSIM, target) -
rate x KB: rate 0 (the plain objective) median SSIM against the clean logo 0.960, median / p95 bytes
3,052 / 29,859; 0.001: 0.9635, 2,047 / 11,505; 0.002: 0.964, 1,864 / 7,689; 0.003-0.01 a plateau at
0.964-0.965, 1,704-1,356 / 6,749-6,610; 0.02: 0.964 and fewer images better than the damaged raster
(detail dropped). 0.005 is the middle of the plateau: 0.965, 1,483 / 6,610 B (Tier 1's pick alone:
0.963, 1,581 / 7,569 B)."""

SSIM_PER_KB_CLEAN = 0.001
"""The same on a clean input. Measured on 70 clean training images at 256 px (10 per category; Tier 2's
7 candidates each, 1x SSIM against the input, ssim_4x against the vector source, target 0.98): the plain
objective median 1x / 4x 0.9924 / 0.9894, mean bytes 3,723, p95 11,948; rate 0.0005-0.001: the same
medians (means -0.0004 / -0.0005), mean bytes 1,867, p95 6,400 (3 of 70 images change: 108 -> 24 KB,
16 KB -> 742 B, 38 -> 7.8 KB); 0.002: means -0.0011 / -0.0004, mean 1,252 B; 0.003-0.005 reach 0.98
on fewer images (83-81 % against 86 %)."""


ABOVE_TARGET_WEIGHT = 0.1
"""The weight SSIM above the target counts with in `size_sane_score`: there a bigger candidate must buy
ten times the rate below it (0.01 SSIM per KB on a clean input). Counted not at all (0, before
2026-12-02), a candidate just under the target beat one far past it for a few more bytes (Tier 1's
stacked trace of the held-out `shapes/022`, 0.9799 at 1,343 B, its cutout trace 0.9967 at 1,658 B) and
Tier 2 kept its smallest candidate past the target, fitting the 1x grid. Paired 0 -> 0.1 (`python -m
bench.paired --constant shared.tiers.search.ABOVE_TARGET_WEIGHT=0`, bench/results/above-target-*): 59
held-out images, Tier 2 4x mean 0.99023 -> 0.99203 (29 up, 1 down by more than 0.001), 1x 0.99217 ->
0.99468, bytes +8.1 %; Tier 1 4x 0.99197 -> 0.99223 (3 up, none down), bytes +0.8 %; 216 training
images, Tier 1 4x 0.99116 -> 0.99144 (13 up, 1 down), +2.8 %; 236 held-out damaged copies, Tier 1: 1
up against the clean source, none down. Tier 2 at 0.05 / 0.2: 4x mean 0.99151 / 0.99232 at 64.5 /
71.2 KB (0.1: 67.6 KB)."""


def size_sane_score(ssim: float, nbytes: int, target_ssim: float, per_kb: float = SSIM_PER_KB) -> float:
    """The size sanity rule as a score (higher is better): SSIM counted up to the target, and above it at
    ABOVE_TARGET_WEIGHT, less `per_kb` per KB. Below the target a bigger candidate wins only where its
    SSIM is higher by at least `per_kb` per extra KB; above it, by ten times that."""
    return (min(ssim, target_ssim) + ABOVE_TARGET_WEIGHT * max(ssim - target_ssim, 0.0)
            - per_kb * nbytes / 1024.0)


def params_key(params: ConversionParams) -> str:
    return params.model_dump_json()


def request_score(cand: Candidate, request: TierRequest) -> float:
    """How good a candidate is for a request (higher is better): the size sanity rule's score at
    SSIM_PER_KB on a cleaned input, whose SSIM is against an estimate, and SSIM_PER_KB_CLEAN otherwise.
    Tier 1's retries and the searching tiers keep candidates by it."""
    per_kb = SSIM_PER_KB if request.cleaned else SSIM_PER_KB_CLEAN
    return size_sane_score(cand.figures.ssim, cand.figures.bytes, request.target_ssim, per_kb)


class MeasuredSearch:
    """Evaluates configurations on one image, never the same one twice, and keeps the best so far
    under the size sanity rule (`request_score`)."""

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

    def score(self, cand: Candidate) -> float:
        """How good a candidate is for this search (higher is better): the size sanity rule's score."""
        return request_score(cand, self.request)

    def keep(self, cand: Candidate) -> None:
        """Make `cand` the best so far if it scores higher (the earlier one on ties)."""
        if self.best is None or self.score(cand) > self.score(self.best):
            self.best = cand

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
        measure_one = partial(evaluate, compare_unrefined=False,  # refine on/off are points of their own
                              source_px=self.request.source_px)
        if self.executor is not None and len(todo) > 1:
            results = list(self.executor.map(measure_one, [rgba] * len(todo), todo.values()))
        else:
            results = [measure_one(rgba, p) for p in todo.values()]
        self.batches += 1
        self.last_batch = max(1, len(configs))
        for key, cand in zip(todo, results, strict=True):
            self.memo[key] = cand
            self.keep(cand)
        return [self.memo[params_key(p)] for p in configs]
