"""Choose Tier 2's fixed portfolio by measurement on the dev set's training split, as Tier 2 runs it.

Every image of a stratified training sample is prepared as a conversion prepares it (working size,
damage clean-up), then traced as Tier 2 starts (Tier 1's run with its retries, Tier 1's pick traced
cutout) and with every configuration of a candidate pool, each with the steps Tier 2 adds
(`tier2.SHAPING_ON`). Each result is scored as Tier 2 keeps candidates: the size sanity rule
(shared/tiers/search.py, `size_sane_score`, at the cleaned rate on a cleaned input). Then K
configurations are picked greedily so that the best score per image, Tier 2's start included, is
highest on average: the portfolio adds what Tier 1 misses. Writes shared/tiers/portfolio.json and the
raw grid to bench/results/.

    python -m bench.portfolio [--images 64] [--k 6] [--target 0.98] [--random 8]
"""

import argparse
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bench.dataset import DevImage, load_manifest
from shared.features import compute_features
from shared.images import load_image
from shared.params import ConversionParams, parse_params
from shared.pipeline import prepare_input, tier_request
from shared.search_space import random_params
from shared.tiers import tier1
from shared.tiers.search import MeasuredSearch
from shared.tiers.tier2 import PORTFOLIO_PATH, SHAPING_ON, first_candidates

RESULTS = Path("bench/results")
REFINED = {"mode": "polygon", "alpha": "threshold", "refine": True, "refine_grid": 8, "primitives": True}


def candidate_pool(rng: np.random.Generator, n_random: int) -> list[dict[str, Any]]:
    """Flat parameter sets (Tier 2 adds `SHAPING_ON`): refined polygon traces over scale, layering and
    simplification; exact colours, finer layers, kept specks; the engine's own splines; the portfolio
    in use (so the new one cannot score lower on the sample); random points of the search space."""
    layerings = ("stacked", "cutout")
    grid = [{**REFINED, "scale": s, "hierarchical": h, "simplify_px": t}
            for s in (1.0, 1.5, 2.0, 3.0) for h in layerings for t in (0.25, 0.375, 0.625)]
    grid += [{**REFINED, "scale": s, "hierarchical": h, "simplify_px": 0.5, "color_precision": 8}
             for s in (1.0, 1.5, 2.0) for h in layerings]
    grid += [{**REFINED, "scale": s, "hierarchical": h, "simplify_px": 0.5, "color_precision": 8,
              "layer_difference": 4} for s in (1.0, 2.0) for h in layerings]
    grid += [{**REFINED, "scale": s, "hierarchical": h, "simplify_px": 0.375, "filter_speckle": 0}
             for s in (1.5, 2.0) for h in layerings]
    grid += [{"mode": "spline", "alpha": "threshold", "scale": s, "hierarchical": h}
             for s in (1.0, 2.0) for h in layerings]
    grid += [entry["params"] for entry in json.loads(PORTFOLIO_PATH.read_text())["configs"]]
    grid += [random_params(rng).flat() for _ in range(n_random)]
    defaults = ConversionParams().flat()
    flats = [{k: v for k, v in parse_params(g).flat().items() if v != defaults[k]} for g in grid]
    unique = {json.dumps(f, sort_keys=True): f for f in flats}
    return list(unique.values())


def stratified_sample(images: list[DevImage], n: int, rng: np.random.Generator) -> list[DevImage]:
    by_cat: dict[str, list[DevImage]] = {}
    for im in images:
        by_cat.setdefault(im.category, []).append(im)
    per = max(1, n // max(1, len(by_cat)))
    picked: list[DevImage] = []
    for cat in sorted(by_cat):
        group = by_cat[cat]
        idx = rng.choice(len(group), size=min(per, len(group)), replace=False)
        picked += [group[i] for i in sorted(idx)]
    return picked


def _measure_image(path: str, configs: list[dict[str, Any]], target: float
                   ) -> tuple[float, list[tuple[float, int, float]]]:
    """(the best score Tier 2 has before its portfolio: Tier 1's result and traces, the cutout guess;
    (SSIM, bytes, score) per configuration) for one image, prepared as a conversion prepares it
    (shared/pipeline.py) and measured and scored as Tier 2 does (shared/tiers/search.py)."""
    rgba, found, cleanup, _ = prepare_input(load_image(path))
    request = tier_request(rgba, found, cleanup, compute_features(cleanup.rgba), target)[0]
    search = MeasuredSearch(request)
    tier1.run_in(search)  # as Tier 2 starts: Tier 1's result with its retries, then the cutout guess
    search.evaluate_many(first_candidates(request))
    assert search.best is not None
    base = search.score(search.best)  # the search keeps the best of all it measured
    measured = search.evaluate_many(parse_params(flat).with_overrides(SHAPING_ON) for flat in configs)
    return base, [(c.figures.ssim, c.figures.bytes, search.score(c)) for c in measured]


def greedy_portfolio(values: np.ndarray, k: int, base: np.ndarray) -> list[int]:
    """Indices of k columns of `values` (images x configs, higher is better) whose row-wise max, with
    `base` (per image: what the portfolio is added to), has the highest mean, chosen greedily."""
    chosen: list[int] = []
    current = base.astype(float)
    for _ in range(k):
        gains = [np.mean(np.maximum(current, values[:, j])) if j not in chosen else -np.inf
                 for j in range(values.shape[1])]
        j = int(np.argmax(gains))
        chosen.append(j)
        current = np.maximum(current, values[:, j])
    return chosen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=64)
    ap.add_argument("--k", type=int, default=6)
    ap.add_argument("--target", type=float, default=0.98)
    ap.add_argument("--random", type=int, default=8)
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    train = [im for im in load_manifest() if im.split == "train" and im.size == args.size]
    sample = stratified_sample(train, args.images, rng)
    flats = candidate_pool(rng, args.random)
    t0 = time.perf_counter()
    n = len(sample)
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as ex:
        grid = list(ex.map(_measure_image, [str(im.path) for im in sample], [flats] * n, [args.target] * n))
    base = np.array([score for score, _ in grid])
    ssim = np.array([[r[0] for r in rows] for _, rows in grid])
    nbytes = np.array([[r[1] for r in rows] for _, rows in grid])
    values = np.array([[r[2] for r in rows] for _, rows in grid])
    chosen = greedy_portfolio(values, args.k, base)
    configs = []
    for step, j in enumerate(chosen, 1):
        added = values[:, chosen[:step]].max(axis=1)
        configs.append({
            "params": flats[j],
            "alone_median_ssim": round(float(np.median(ssim[:, j])), 4),
            "alone_median_bytes": int(np.median(nbytes[:, j])),
            "set_mean_score": round(float(np.maximum(base, added).mean()), 5),
            "images_improved": int((added > base).sum()),
        })
    PORTFOLIO_PATH.write_text(json.dumps({
        "chosen_by": "python -m bench.portfolio " + " ".join(f"--{k} {v}" for k, v in vars(args).items()),
        "target_ssim": args.target, "images": n, "pool": len(flats),
        "base_mean_score": round(float(base.mean()), 5), "configs": configs,
    }, indent=1) + "\n")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "portfolio_grid.json").write_text(json.dumps({
        "images": [str(im.path.name) + f":{im.category}" for im in sample], "configs": flats,
        "base_score": base.round(5).tolist(), "ssim": ssim.round(5).tolist(), "bytes": nbytes.tolist(),
        "score": values.round(5).tolist(),
    }))
    print(f"{n} images x {len(flats)} configs in {time.perf_counter() - t0:.0f} s; "
          f"base mean score {base.mean():.5f}")
    for c in configs:
        print(c)


if __name__ == "__main__":
    main()
