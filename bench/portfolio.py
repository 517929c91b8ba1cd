"""Choose Tier 2's fixed portfolio by measurement on the dev set's training split.

Every image of a stratified training sample is traced with every configuration of a candidate pool
(a grid over the choices that matter most, plus random points of the search space); then K
configurations are picked greedily so that the best of them per image does best on average under the
tiers' objective. Writes shared/tiers/portfolio.json and the raw grid to bench/results/.

    python -m bench.portfolio [--images 120] [--k 6] [--target 0.98]
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
from shared.candidate import evaluate
from shared.images import load_image
from shared.params import ConversionParams, parse_params
from shared.search_space import random_params
from shared.tiers import objective_value
from shared.tiers.tier2 import PORTFOLIO_PATH

RESULTS = Path("bench/results")


def candidate_pool(rng: np.random.Generator, n_random: int) -> list[ConversionParams]:
    grid = [
        parse_params({"scale": s, "mode": m, "hierarchical": h, "alpha": "threshold"})
        for s in (1.0, 1.5, 2.0, 3.0, 4.0)
        for m in ("polygon", "spline")
        for h in ("cutout", "stacked")
    ]
    grid += [parse_params({"scale": s, "mode": "polygon", "hierarchical": h, "alpha": "threshold",
                           "simplify_px": t})
             for s in (1.5, 2.0, 3.0, 4.0) for h in ("cutout", "stacked") for t in (0.25, 0.5)]
    grid += [parse_params({"scale": s, "mode": "polygon", "hierarchical": "cutout", "alpha": "threshold",
                           "filter_speckle": f, "color_precision": 8}) for s in (1.0, 2.0) for f in (0, 2)]
    grid += [parse_params({"scale": s, "mode": "polygon", "hierarchical": h, "alpha": "threshold",
                           "simplify_px": t, "refine": True, "refine_grid": g, "primitives": True})
             for s in (1.0, 1.5, 2.0) for h in ("cutout", "stacked") for t in (0.5, 0.75) for g in (4, 16)]
    grid += [parse_params({"scale": s, "mode": "polygon", "hierarchical": h, "alpha": "threshold",
                           "simplify_px": t, "refine": True, "refine_grid": 16, "primitives": True,
                           "fit_curves": True})
             for s in (1.0, 1.5, 2.0) for h in ("cutout", "stacked") for t in (0.5, 0.75)]
    return grid + [random_params(rng) for _ in range(n_random)]


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


def _measure_image(path: str, configs: list[dict[str, Any]]) -> list[tuple[float, int, float]]:
    rgba = load_image(path).rgba
    rows = []
    for flat in configs:
        c = evaluate(rgba, parse_params(flat), compare_unrefined=False)  # as Tier 2 measures it
        rows.append((c.figures.ssim, c.figures.bytes, c.trace_seconds))
    return rows


def greedy_portfolio(values: np.ndarray, k: int) -> list[int]:
    """Indices of k columns of `values` (images x configs, higher is better) whose row-wise max has the
    highest mean, chosen greedily."""
    chosen: list[int] = []
    current = np.full(values.shape[0], -np.inf)
    for _ in range(k):
        gains = [np.mean(np.maximum(current, values[:, j])) if j not in chosen else -np.inf
                 for j in range(values.shape[1])]
        j = int(np.argmax(gains))
        chosen.append(j)
        current = np.maximum(current, values[:, j])
    return chosen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--images", type=int, default=120)
    ap.add_argument("--k", type=int, default=6)
    ap.add_argument("--target", type=float, default=0.98)
    ap.add_argument("--random", type=int, default=16)
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    train = [im for im in load_manifest() if im.split == "train" and im.size == args.size]
    sample = stratified_sample(train, args.images, rng)
    pool = candidate_pool(rng, args.random)
    flats = [p.flat() for p in pool]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as ex:
        grid = list(ex.map(_measure_image, [str(im.path) for im in sample], [flats] * len(sample)))
    ssim = np.array([[r[0] for r in rows] for rows in grid])
    nbytes = np.array([[r[1] for r in rows] for rows in grid])
    values = objective_value(ssim, nbytes, args.target)
    chosen = greedy_portfolio(values, args.k)
    configs = []
    for step, j in enumerate(chosen, 1):
        best = values[:, chosen[:step]].max(axis=1)
        pick = np.argmax(values[:, chosen[:step]], axis=1)
        kept_ssim = ssim[np.arange(len(sample)), np.array(chosen[:step])[pick]]
        configs.append({
            "params": {k: v for k, v in flats[j].items() if v != ConversionParams().flat()[k]},
            "alone_median_ssim": round(float(np.median(ssim[:, j])), 4),
            "alone_median_bytes": int(np.median(nbytes[:, j])),
            "set_mean_objective": round(float(best.mean()), 4),
            "set_median_ssim": round(float(np.median(kept_ssim)), 4),
        })
    PORTFOLIO_PATH.write_text(json.dumps({
        "chosen_by": "python -m bench.portfolio " + " ".join(f"--{k} {v}" for k, v in vars(args).items()),
        "target_ssim": args.target, "images": len(sample), "pool": len(pool), "configs": configs,
    }, indent=1) + "\n")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "portfolio_grid.json").write_text(json.dumps({
        "images": [str(im.path.name) + f":{im.category}" for im in sample], "configs": flats,
        "ssim": ssim.round(5).tolist(), "bytes": nbytes.tolist(),
    }))
    print(f"{len(sample)} images x {len(pool)} configs in {time.perf_counter() - t0:.0f} s")
    for c in configs:
        print(c)


if __name__ == "__main__":
    main()
