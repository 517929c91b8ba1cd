"""`make bench`: quality, size and speed of VTracer's defaults and of every tier on the dev set.

    python -m bench.quality [--split holdout] [--sizes 256 512] [--methods defaults tier1 tier2 tier3]
                            [--per-category 8] [--workers 2] [--categories logo] [--target 0.995]
                            [--scale 4] [--scale-sizes 256]

Each image is converted in its own process (one core each); seconds are measured inside that process
(tracing and the tier's own measuring; the benchmark's extra figures are not counted).
Scale fidelity: `ssim_4x` renders the SVG at 4x the input's size and compares it with the image's vector
source rendered at that size (`bench.dataset.reference_at`), with the one alpha-aware SSIM; reported
beside the 1x SSIM with the median of 4x - 1x and the share of images losing more than 0.01 when scaled
(JPEG copies have no clean 1x input and are left out of it). Damaged inputs are scored against their
clean source by `ssim_clean` (bench/quality_damaged.py).
Writes bench/results/quality.json and prints a table per method (overall and per category).
"""

import argparse
import json
import os
import platform
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.damage import DamagedImage, clean_reference
from bench.dataset import DevImage, load_manifest, reference_at
from shared.candidate import evaluate
from shared.engine import ENGINE_VERSION
from shared.images import DecodedImage, load_image
from shared.params import ConversionParams
from shared.pipeline import convert
from shared.quality import QualityFigures, alpha_aware_ssim, measure
from shared.render import render_svg

RESULTS = Path("bench/results")
METHODS = ("defaults", "imagetracer", "tier1", "tier2", "tier3", "auto")
DEFAULT_METHODS = ("defaults", "imagetracer", "tier1", "tier2", "tier3")
SCALE_LOSS = 0.01  # an image "loses when scaled" if its ssim_4x is this much below its 1x SSIM


@dataclass(frozen=True)
class Traced:
    """One method's SVG for one image, its figures against that image, and the seconds it took."""

    svg: str
    figures: QualityFigures
    seconds: float
    tier: int | None


def trace_with(method: str, image: np.ndarray | DecodedImage, target: float) -> Traced:
    """VTracer's defaults ("defaults") or svgai ("tier1".."tier3", "auto") on one RGBA image (a decoded
    image tells svgai its format, as the CLI and the API do: a JPEG is cleaned up); seconds cover tracing
    and the method's own measuring."""
    t0 = time.perf_counter()
    if method == "defaults":
        cand = evaluate(image.rgba if isinstance(image, DecodedImage) else image, ConversionParams())
        return Traced(cand.svg, cand.figures, time.perf_counter() - t0, None)
    result = convert(image, tier=method.removeprefix("tier"), target_ssim=target)
    return Traced(result.svg, result.figures, time.perf_counter() - t0, result.tier)


def ssim_scaled(svg: str, image: DevImage, scale: int) -> float:
    """`ssim_4x` (scale 4): the SVG rendered at `scale` times the image's size against the image's vector
    source rendered at that size, alpha-aware SSIM (the lower of over white and over black)."""
    side = image.size * scale
    return alpha_aware_ssim(reference_at(image, side), render_svg(svg, side, side))[0]


def ssim_clean(svg: str, image: DamagedImage) -> float:
    """The SVG of a damaged copy rendered at the clean source's size, against the clean source (over white
    where the damaged copy is opaque: `bench.damage.clean_reference`), alpha-aware SSIM."""
    reference = clean_reference(image)
    height, width = reference.shape[:2]
    return alpha_aware_ssim(reference, render_svg(svg, width, height))[0]


def scale_of(image: DevImage, scale: int, scale_sizes: list[int]) -> int:
    """The scale to measure `image` at, 0 where it is left out (JPEG copies, sizes not asked for)."""
    return scale if scale and image.size in scale_sizes and image.category != "jpeg" else 0


def row_of(traced: Traced) -> dict[str, Any]:
    f = traced.figures
    return {"ssim": f.ssim, "bytes": f.bytes, "paths": f.paths, "seconds": traced.seconds,
            "tier": traced.tier}


def run_method(method: str, image: DevImage, target: float, scale: int) -> dict[str, Any]:
    """One image, one svgai method: figures and seconds (decode excluded; tracing and measuring in),
    and the scaled SSIM (not timed) unless `scale` is 0."""
    traced = trace_with(method, load_image(str(image.path)), target)  # as the CLI and API see it
    return {**row_of(traced), "ssim_4x": ssim_scaled(traced.svg, image, scale) if scale else None}


def run_imagetracer(paths: list[str]) -> dict[str, Traced]:
    """ImageTracer.js defaults on every image (one Node process), measured with our metric."""
    from bench.baselines import imagetracer_svgs

    images = [load_image(p).rgba for p in paths]
    return {path: Traced(svg, measure(svg, rgba), seconds, None)
            for path, rgba, (svg, seconds) in zip(paths, images, imagetracer_svgs(images), strict=True)}


def summarize_scale(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Scale figures over the rows that have a `ssim_4x`: medians, the median change, the share losing."""
    scaled = [r for r in rows if r.get("ssim_4x") is not None]
    if not scaled:
        return {}
    one, four = np.array([r["ssim"] for r in scaled]), np.array([r["ssim_4x"] for r in scaled])
    return {"n_4x": len(scaled), "median_ssim_1x": round(float(np.median(one)), 4),
            "median_ssim_4x": round(float(np.median(four)), 4),
            "median_4x_minus_1x": round(float(np.median(four - one)), 4),
            "share_losing_scaled": round(float(np.mean(four < one - SCALE_LOSS)), 3),
            "median_bytes_4x": int(np.median([r["bytes"] for r in scaled]))}


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
        **summarize_scale(rows),
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
    ap.add_argument("--methods", nargs="+", default=list(DEFAULT_METHODS), choices=METHODS)
    ap.add_argument("--per-category", type=int, default=10, help="images per category and size (0 = all)")
    ap.add_argument("--target", type=float, default=0.98)
    ap.add_argument("--categories", nargs="+", default=None, help="only these categories (default: all)")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--scale", type=int, default=4, help="ssim_<scale>x beside the 1x SSIM (0 = off)")
    ap.add_argument("--scale-sizes", type=int, nargs="+", default=[256],
                    help="input sizes measured at --scale (4x of 512 px costs ~4 s of SSIM per result)")
    ap.add_argument("--out", type=Path, default=RESULTS / "quality.json")
    args = ap.parse_args()
    images = pick_images(args)
    rows: dict[str, dict[str, dict[str, Any]]] = {m: {} for m in args.methods}
    meta = {str(im.path): im for im in images}
    t0 = time.perf_counter()
    traced = run_imagetracer(list(meta)) if "imagetracer" in args.methods else {}
    with ProcessPoolExecutor(max_workers=args.workers) as ex:
        futures = {ex.submit(run_method, m, im, args.target, scale_of(im, args.scale, args.scale_sizes)):
                   (m, str(im.path)) for m in args.methods if m != "imagetracer" for im in images}
        for path, tr in traced.items():  # ImageTracer's SVGs are made; only their scaled SSIM is left
            rows["imagetracer"][path] = {**row_of(tr), "ssim_4x": None}
            if scale := scale_of(meta[path], args.scale, args.scale_sizes):
                futures[ex.submit(ssim_scaled, tr.svg, meta[path], scale)] = ("imagetracer:4x", path)
        for fut in as_completed(futures):
            method, path = futures[fut]
            if method == "imagetracer:4x":
                rows["imagetracer"][path]["ssim_4x"] = fut.result()
                continue
            rows[method][path] = fut.result()
    for by_path in rows.values():
        for path, row in by_path.items():
            row.update(category=meta[path].category, size=meta[path].size)
    report: dict[str, Any] = {
        "command": "python -m bench.quality " + " ".join(
            f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in vars(args).items() if k != "out" and v is not None),
        "engine": f"vtracer {ENGINE_VERSION}", "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "target_ssim": args.target, "images": len(images), "wall_seconds": round(time.perf_counter() - t0, 1),
        "workers": args.workers, "scale": args.scale,
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
    report["rows"] = {m: [{"path": p, **r} for p, r in sorted(by_path.items())]
                      for m, by_path in rows.items()}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print_report(report)


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=170)
    for method, entry in report["methods"].items():
        for size, cats in entry.items():
            if size == "vs_defaults":
                continue
            table = Table(title=f"{method} @ {size}px  {entry.get('vs_defaults', '')}")
            cols = ["category", "n", "median_ssim", "p10_ssim", "share_ge_095", "share_ge_098",
                    "median_bytes", "median_paths", "p50_seconds", "p95_seconds", "median_ssim_4x",
                    "median_4x_minus_1x", "share_losing_scaled"]
            for c in cols:
                table.add_column(c.replace("_", " "), justify="left" if c == "category" else "right")
            for cat, s in cats.items():
                table.add_row(cat, *(str(s.get(c, "")) for c in cols[1:]))
            console.print(table)
    print_scale(report)
    tier1 = report["methods"].get("tier1", {}).get("256", {}).get("all")
    if tier1:
        console.print(f"Tier 1 at 256 px: p50 {tier1['p50_seconds']} s, p95 {tier1['p95_seconds']} s per "
                      f"result (goal p95 <= 0.1 s; {report['machine']}, --workers {report['workers']})")


def print_scale(report: dict[str, Any]) -> None:
    """One line per method and size: SSIM at 1x and at the scale, the median change, the share losing."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Scale fidelity: ssim_{report['scale']}x against the vector source "
                        f"(images losing > {SCALE_LOSS} when scaled)")
    for col in ("method", "size", "n", "SSIM 1x", f"SSIM {report['scale']}x", "4x - 1x (median)",
                "losing > 0.01", "median bytes"):
        table.add_column(col, justify="left" if col == "method" else "right")
    for method, entry in report["methods"].items():
        for size, cats in entry.items():
            s = cats.get("all", {}) if size != "vs_defaults" else {}
            if "n_4x" in s:
                table.add_row(method, size, str(s["n_4x"]), f"{s['median_ssim_1x']:.4f}",
                              f"{s['median_ssim_4x']:.4f}", f"{s['median_4x_minus_1x']:+.4f}",
                              f"{100 * s['share_losing_scaled']:.0f} %", str(s["median_bytes_4x"]))
    Console(width=170).print(table)


if __name__ == "__main__":
    main()
