"""`make bench`: quality, size and speed of VTracer's defaults and of every tier on the dev set.

    python -m bench.quality [--split holdout] [--sizes 256 512] [--methods defaults tier1 tier2 tier3]
                            [--per-category 8] [--workers 2] [--categories logo] [--target 0.995]

Each image is converted in its own process (one core each); seconds are measured inside that process.
Writes bench/results/quality.json and prints a table per method (overall and per category).
"""

import argparse
import json
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from bench.dataset import DevImage, load_manifest
from shared.candidate import evaluate
from shared.engine import ENGINE_VERSION
from shared.images import load_image
from shared.params import ConversionParams
from shared.pipeline import convert
from shared.quality import measure

RESULTS = Path("bench/results")
METHODS = ("defaults", "imagetracer", "tier1", "tier2", "tier3")


def run_method(method: str, path: str, target: float) -> dict[str, Any]:
    """One image, one svgai method: figures and seconds (decode excluded; tracing and measuring in)."""
    rgba = load_image(path).rgba
    t0 = time.perf_counter()
    if method == "defaults":
        cand = evaluate(rgba, ConversionParams())
        figures, tier = cand.figures, None
    else:
        result = convert(rgba, tier=method.removeprefix("tier"), target_ssim=target)
        figures, tier = result.figures, result.tier
    return {"ssim": figures.ssim, "bytes": figures.bytes, "paths": figures.paths,
            "seconds": time.perf_counter() - t0, "tier": tier}


def run_imagetracer(paths: list[str]) -> dict[str, dict[str, Any]]:
    """ImageTracer.js defaults on every image (one Node process), measured with our metric."""
    from bench.baselines import imagetracer_svgs

    images = [load_image(p).rgba for p in paths]
    rows = {}
    for path, rgba, (svg, seconds) in zip(paths, images, imagetracer_svgs(images), strict=True):
        figures = measure(svg, rgba)
        rows[path] = {"ssim": figures.ssim, "bytes": figures.bytes, "paths": figures.paths,
                      "seconds": seconds, "tier": None}
    return rows


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ssim = np.array([r["ssim"] for r in rows])
    secs = np.array([r["seconds"] for r in rows])
    return {
        "n": len(rows),
        "median_ssim": round(float(np.median(ssim)), 4),
        "p10_ssim": round(float(np.percentile(ssim, 10)), 4),
        "share_ge_095": round(float(np.mean(ssim >= 0.95)), 3),
        "share_ge_098": round(float(np.mean(ssim >= 0.98)), 3),
        "median_bytes": int(np.median([r["bytes"] for r in rows])),
        "median_paths": int(np.median([r["paths"] for r in rows])),
        "p50_seconds": round(float(np.percentile(secs, 50)), 3),
        "p95_seconds": round(float(np.percentile(secs, 95)), 3),
    }


def compare_to_defaults(rows: dict[str, dict[str, dict[str, Any]]], method: str) -> dict[str, float]:
    """Share of images where `method` beats the defaults' SSIM, and the median bytes ratio."""
    keys = [k for k in rows[method] if k in rows.get("defaults", {})]
    if not keys:
        return {}
    wins = [rows[method][k]["ssim"] > rows["defaults"][k]["ssim"] for k in keys]
    ratio = [rows[method][k]["bytes"] / max(1, rows["defaults"][k]["bytes"]) for k in keys]
    return {"share_better_ssim_than_defaults": round(float(np.mean(wins)), 3),
            "median_bytes_ratio_to_defaults": round(float(np.median(ratio)), 3)}


def pick_images(args: argparse.Namespace) -> list[DevImage]:
    rng = np.random.default_rng(11)
    chosen: list[DevImage] = []
    for size in args.sizes:
        pool = [im for im in load_manifest() if im.split == args.split and im.size == size]
        for cat in sorted({im.category for im in pool}):
            if args.categories and cat not in args.categories:
                continue
            group = [im for im in pool if im.category == cat]
            if args.per_category and len(group) > args.per_category:
                group = [group[i] for i in sorted(rng.choice(len(group), args.per_category, replace=False))]
            chosen += group
    return chosen


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="holdout")
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    ap.add_argument("--per-category", type=int, default=10, help="images per category and size (0 = all)")
    ap.add_argument("--target", type=float, default=0.98)
    ap.add_argument("--categories", nargs="+", default=None, help="only these categories (default: all)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=RESULTS / "quality.json")
    args = ap.parse_args()
    images = pick_images(args)
    rows: dict[str, dict[str, dict[str, Any]]] = {m: {} for m in args.methods}
    meta = {str(im.path): im for im in images}
    t0 = time.perf_counter()
    if "imagetracer" in args.methods:
        for path, row in run_imagetracer(list(meta)).items():
            rows["imagetracer"][path] = {**row, "category": meta[path].category, "size": meta[path].size}
    with ProcessPoolExecutor(max_workers=args.workers) as ex:
        futures = {ex.submit(run_method, m, str(im.path), args.target): (m, str(im.path))
                   for m in args.methods if m != "imagetracer" for im in images}
        for fut in as_completed(futures):
            method, path = futures[fut]
            rows[method][path] = {**fut.result(), "category": meta[path].category, "size": meta[path].size}
    report: dict[str, Any] = {
        "command": "python -m bench.quality " + " ".join(
            f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in vars(args).items() if k != "out" and v is not None),
        "engine": f"vtracer {ENGINE_VERSION}", "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "target_ssim": args.target, "images": len(images), "wall_seconds": round(time.perf_counter() - t0, 1),
        "methods": {},
    }
    for method, by_path in rows.items():
        entry: dict[str, Any] = {}
        for size in args.sizes:
            sized = [r for r in by_path.values() if r["size"] == size]
            cats = sorted({r["category"] for r in sized})
            entry[str(size)] = {"all": summarize(sized),
                                **{c: summarize([r for r in sized if r["category"] == c]) for c in cats}}
        if method != "defaults":
            entry["vs_defaults"] = compare_to_defaults(rows, method)
        report["methods"][method] = entry
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print_report(report)


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for method, entry in report["methods"].items():
        for size, cats in entry.items():
            if size == "vs_defaults":
                continue
            table = Table(title=f"{method} @ {size}px  {entry.get('vs_defaults', '')}")
            cols = ["category", "n", "median_ssim", "p10_ssim", "share_ge_095", "share_ge_098",
                    "median_bytes", "median_paths", "p50_seconds", "p95_seconds"]
            for c in cols:
                table.add_column(c.replace("_", " "), justify="left" if c == "category" else "right")
            for cat, s in cats.items():
                table.add_row(cat, *(str(s[c]) for c in cols[1:]))
            console.print(table)


if __name__ == "__main__":
    main()
