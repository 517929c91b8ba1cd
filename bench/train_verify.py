"""Independent end-to-end check of the learned models on held-out images, through `shared.pipeline`.

    python -m bench.train_verify [--target 0.98] [--workers 2] [--limit 0] [--methods ...] [--candidate DIR]

Held-out images: the dev set's holdout split at 256 px (never trained on). Each image is converted in
its own pool process (one core each) by:
- tier1_formula / tier2_portfolio: the pipeline with an empty model directory (the fallback path);
- tier1_learned / tier2_learned: a copy of shared/models with every learned part switched on in use.json;
- tier1_deployed / tier2_deployed / auto_deployed: shared/models as committed (use.json as trained);
- auto_rules: the same models with the learned router switched off (the rule router);
- tier2_random: Tier 1's formula plus as many uniformly random configurations as Tier 2 traces, best kept;
- auto_candidate (with `--candidate DIR`): a model directory with a retrained router not yet committed
  (`python -m bench.train_router --models DIR`).
Seconds are end to end inside the process (features, routing, tracing, measuring). The router check:
"right" is the cheapest tier that reached the target as measured here (1 if deployed Tier 1 did, else
2 if deployed Tier 2 did, else 3). Writes bench/results/models-verify.json.
"""

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bench.dataset import load_manifest
from bench.train_router_labels import right_tier
from shared.candidate import evaluate
from shared.config import get_settings
from shared.images import load_image
from shared.search_space import random_params
from shared.tiers import objective_value

RESULTS = Path("bench/results")
MODELS = Path("shared/models")
METHODS = ["tier1_formula", "tier1_learned", "tier1_deployed", "tier2_portfolio", "tier2_learned",
           "tier2_deployed", "tier2_random", "auto_deployed", "auto_rules"]


def _use_model_dir(model_dir: str) -> None:
    os.environ["SVGAI_MODEL_DIR"] = model_dir
    get_settings.cache_clear()


def run_one(job: tuple[str, str, str, float, int]) -> dict[str, Any]:
    """One image, one method, in a pool process: figures, seconds, tier and logo type."""
    method, path, model_dir, target, n_random = job
    _use_model_dir(model_dir)
    from shared.pipeline import convert

    rgba = load_image(path).rgba
    t0 = time.perf_counter()
    if method == "tier2_random":
        from shared.features import compute_features
        from shared.tiers.tier1 import formula_params

        seed = int.from_bytes(hashlib.sha256(Path(path).name.encode()).digest()[:8], "little")
        rng = np.random.default_rng(seed)  # the same draw in every run
        configs = [formula_params(compute_features(rgba)), *(random_params(rng) for _ in range(n_random))]
        cands = [evaluate(rgba, p) for p in configs]
        scores = objective_value([c.figures.ssim for c in cands], [c.figures.bytes for c in cands], target)
        best = cands[int(np.argmax(scores))]
        return {"ssim": best.figures.ssim, "bytes": best.figures.bytes, "seconds": time.perf_counter() - t0,
                "tier": 2, "evaluated": len(cands), "logo_type": None}
    tier = {"tier1": "1", "tier2": "2", "auto": "auto"}[method.split("_")[0]]
    result = convert(rgba, tier=tier, target_ssim=target)
    return {"ssim": result.figures.ssim, "bytes": result.figures.bytes, "seconds": time.perf_counter() - t0,
            "tier": result.tier, "evaluated": result.evaluated, "logo_type": result.logo_type,
            "reason": result.reason}


def summarize(rows: list[dict[str, Any]], target: float) -> dict[str, Any]:
    ssim = np.array([r["ssim"] for r in rows])
    secs = np.array([r["seconds"] for r in rows])
    return {"n": len(rows), "median_ssim": round(float(np.median(ssim)), 4),
            "p10_ssim": round(float(np.percentile(ssim, 10)), 4),
            "share_ge_095": round(float(np.mean(ssim >= 0.95)), 3),
            "share_ge_098": round(float(np.mean(ssim >= 0.98)), 3),
            "median_bytes": int(np.median([r["bytes"] for r in rows])),
            "mean_objective": round(float(np.mean(
                objective_value(ssim, [r["bytes"] for r in rows], target))), 4),
            "p50_seconds": round(float(np.percentile(secs, 50)), 3),
            "p95_seconds": round(float(np.percentile(secs, 95)), 3),
            "median_evaluated": float(np.median([r["evaluated"] for r in rows]))}


LOAD_PROBE = """
import json, resource, time, sys
t0 = time.perf_counter()
import shared.pipeline  # noqa: F401  (what a worker imports anyway)
rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
from shared import learned
t = time.perf_counter()
status = learned.load_models()
load_s = time.perf_counter() - t
print(json.dumps({"load_s": load_s, "status": status, "rss_before_mb": rss0 / 1024,
                  "rss_after_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def load_probe() -> dict[str, Any]:
    """Model load seconds and peak RSS (MB) of a fresh process before/after `load_models()`."""
    out = subprocess.run([sys.executable, "-c", LOAD_PROBE], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": os.getcwd()})
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--target", type=float, default=0.98)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="first N held-out images only (0 = all)")
    ap.add_argument("--tier2-k", type=int, default=6, help="random configurations besides the formula")
    ap.add_argument("--methods", nargs="+", default=METHODS, choices=[*METHODS, "auto_candidate"],
                    help="methods to run (the router check needs tier1_deployed and tier2_deployed)")
    ap.add_argument("--candidate", type=Path, default=None, help="model directory for auto_candidate")
    ap.add_argument("--out", type=Path, default=RESULTS / "models-verify.json")
    args = ap.parse_args()
    methods = [*args.methods, *(["auto_candidate"] if args.candidate and "auto_candidate" not in args.methods
                                else [])]
    images = [im for im in load_manifest() if im.split == "holdout" and im.size == 256]
    images = images[: args.limit] if args.limit else images
    tmp = Path(tempfile.mkdtemp(prefix="svgai-verify-"))
    empty, forced, rules = tmp / "empty", tmp / "forced", tmp / "rules"
    empty.mkdir()
    shutil.copytree(MODELS, forced)
    shutil.copytree(MODELS, rules)
    use = json.loads((MODELS / "use.json").read_text()) if (MODELS / "use.json").exists() else {}
    (forced / "use.json").write_text(json.dumps({k: True for k in (*use, "classifier", "tier1", "tier2")}))
    (rules / "use.json").write_text(json.dumps({**use, "router": False}))
    dirs = {"formula": str(empty), "portfolio": str(empty), "learned": str(forced),
            "deployed": str(MODELS.resolve()), "random": str(empty), "rules": str(rules),
            "candidate": str(args.candidate.resolve()) if args.candidate else ""}
    # image by image, every method in turn: the methods share the machine's load alike (Tier 3 is
    # time-bounded, so a method run while the machine is busier would search less)
    jobs = [(m, str(im.path), dirs[m.split("_")[1]], args.target, args.tier2_k)
            for im in images for m in methods]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(max_workers=args.workers) as ex:
        results = list(ex.map(run_one, jobs, chunksize=1))
    rows: dict[str, dict[str, dict[str, Any]]] = {m: {} for m in methods}
    for (method, path, *_), res in zip(jobs, results, strict=True):
        rows[method][path] = res
    cats = {str(im.path): im.category for im in images}
    report: dict[str, Any] = {
        "command": "python -m bench.train_verify " + " ".join(
            f"--{k.replace('_', '-')} {' '.join(v) if isinstance(v, list) else v}"
            for k, v in vars(args).items() if k != "out" and v is not None and v != METHODS),
        "images": len(images), "target_ssim": args.target, "wall_seconds": round(time.perf_counter() - t0, 1),
        "use_json": use, "methods": {m: summarize(list(r.values()), args.target) for m, r in rows.items()},
        "per_category_median_ssim": {m: {c: round(float(np.median([r["ssim"] for p, r in rows[m].items()
                                                                   if cats[p] == c])), 4)
                                         for c in sorted(set(cats.values()))} for m in methods},
    }
    if "tier1_deployed" in rows and "tier2_deployed" in rows:
        right = {path: right_tier(rows["tier1_deployed"][path]["ssim"], rows["tier2_deployed"][path]["ssim"],
                                  args.target) for path in cats}
        truth = np.array(list(right.values()))
        report["router"] = {"right_tier_counts": {str(t): int(np.sum(truth == t)) for t in (1, 2, 3)},
                            "always_tier2_accuracy": round(float(np.mean(truth == 2)), 3)}
        names = {"auto_deployed": "auto", "auto_rules": "rules", "auto_candidate": "candidate"}
        for method, name in names.items():
            if method in rows:
                chosen = {p: rows[method][p]["tier"] for p in right}
                report["router"][f"{name}_accuracy"] = round(float(np.mean([chosen[p] == right[p]
                                                                            for p in right])), 3)
                report["router"][f"{name}_chosen_counts"] = {str(t): int(sum(v == t for v in chosen.values()))
                                                             for t in (1, 2, 3)}
    report["per_image"] = {m: {Path(p).parent.name + "/" + Path(p).name: {k: v for k, v in r.items()
                                                                          if k != "reason"}
                               for p, r in by_path.items()} for m, by_path in rows.items()}
    report["load_probe"] = load_probe()
    report["rss_this_process_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    shutil.rmtree(tmp, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({k: report.get(k) for k in ("methods", "router", "load_probe")}, indent=1))


if __name__ == "__main__":
    main()
