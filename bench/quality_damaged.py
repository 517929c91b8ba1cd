"""`make bench`, damaged inputs: how close each method's SVG of a damaged copy comes to the clean logo.

    python -m bench.quality_damaged [--kinds jpeg favicon small_jpeg scan] [--per-kind 5]
                                    [--methods defaults imagetracer tier1 tier2 tier3 auto]
                                    [--categories logo emoji] [--split holdout] [--workers 2]

Images: data/dev/damaged.jsonl (bench/damage.py), `--per-kind` per damage kind, spread over the
categories. Each result is scored by `ssim_clean` (bench/quality.py: the SVG rendered at the clean
source's size against the clean source) and compared with the damaged raster itself, bicubic-upscaled
to the clean size ("raster"). Per kind and method: median ssim_clean, the share of images where the SVG
beats the raster, median and p95 bytes, median seconds. Writes bench/results/damaged.json.
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

from bench.damage import DAMAGE_KINDS, DamagedImage, clean_reference, load_damaged, upscale_bicubic
from bench.dataset import DEFAULT_ROOT
from bench.quality import RESULTS, Traced, row_of, run_imagetracer, ssim_clean, trace_with
from shared.engine import ENGINE_VERSION
from shared.images import load_image
from shared.quality import alpha_aware_ssim

METHODS = ("defaults", "imagetracer", "tier1", "tier2", "tier3", "auto")


def raster_ssim_clean(image: DamagedImage) -> float:
    """ssim_clean of the damaged raster itself, bicubic-upscaled to the clean size: the bar to beat."""
    reference = clean_reference(image)
    upscaled = upscale_bicubic(load_image(str(image.path)).rgba, image.clean_size)
    return alpha_aware_ssim(reference, upscaled)[0]


def scored(traced: Traced, image: DamagedImage) -> dict[str, Any]:
    """A result's row: figures against the damaged input, seconds, and ssim_clean."""
    return {**row_of(traced), "ssim_clean": ssim_clean(traced.svg, image)}


def run_method(method: str, image: DamagedImage, target: float) -> dict[str, Any]:
    """One damaged image, one method (not ImageTracer, which runs all images in one Node process)."""
    return scored(trace_with(method, load_image(str(image.path)), target), image)


def pick_damaged(images: list[DamagedImage], kinds: list[str], per_kind: int, split: str,
                 categories: list[str] | None) -> list[DamagedImage]:
    """`per_kind` images of each kind from `split`, taken in turn from each category (seeded shuffle)."""
    rng = np.random.default_rng(11)
    chosen: list[DamagedImage] = []
    for kind in kinds:
        pool = [im for im in images if im.kind == kind and im.split == split
                and (not categories or im.category in categories)]
        by_category: dict[str, list[DamagedImage]] = {}
        for c in sorted({im.category for im in pool}):
            group = [im for im in pool if im.category == c]
            by_category[c] = [group[i] for i in rng.permutation(len(group))]
        taken: list[DamagedImage] = []
        depth = 0
        while len(taken) < (per_kind or len(pool)) and any(depth < len(g) for g in by_category.values()):
            taken += [g[depth] for g in by_category.values() if depth < len(g)]
            depth += 1
        chosen += taken[: per_kind or len(pool)]
    return chosen


def summarize(rows: list[dict[str, Any]], raster: dict[str, float]) -> dict[str, Any]:
    clean = np.array([r["ssim_clean"] for r in rows])
    sizes = np.array([r["bytes"] for r in rows])
    return {
        "n": len(rows),
        "median_ssim_clean": round(float(np.median(clean)), 4),
        "share_better_than_raster": round(float(np.mean([r["ssim_clean"] > raster[r["path"]]
                                                         for r in rows])), 3),
        "median_ssim_input": round(float(np.median([r["ssim"] for r in rows])), 4),
        "median_bytes": int(np.median(sizes)),
        "p95_bytes": int(np.percentile(sizes, 95)),
        "median_seconds": round(float(np.median([r["seconds"] for r in rows])), 3),
        "tiers": {str(t): sum(r["tier"] == t for r in rows)
                  for t in sorted({r["tier"] for r in rows if r["tier"]})},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--root", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--split", default="holdout")
    ap.add_argument("--kinds", nargs="+", default=list(DAMAGE_KINDS), choices=DAMAGE_KINDS)
    ap.add_argument("--per-kind", type=int, default=5, help="images per damage kind (0 = all)")
    ap.add_argument("--methods", nargs="+", default=list(METHODS), choices=METHODS)
    ap.add_argument("--categories", nargs="+", default=None, help="only copies of these categories")
    ap.add_argument("--target", type=float, default=0.98)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--out", type=Path, default=RESULTS / "damaged.json")
    args = ap.parse_args()
    images = pick_damaged(load_damaged(args.root), args.kinds, args.per_kind, args.split, args.categories)
    meta = {str(im.path): im for im in images}
    rows: dict[str, dict[str, dict[str, Any]]] = {m: {} for m in ("raster", *args.methods)}
    t0 = time.perf_counter()
    traced = run_imagetracer(list(meta)) if "imagetracer" in args.methods else {}
    with ProcessPoolExecutor(max_workers=args.workers) as ex:
        futures = {ex.submit(run_method, m, im, args.target): (m, str(im.path))
                   for m in args.methods if m != "imagetracer" for im in images}
        futures |= {ex.submit(scored, tr, meta[p]): ("imagetracer", p) for p, tr in traced.items()}
        futures |= {ex.submit(raster_ssim_clean, im): ("raster", str(im.path)) for im in images}
        for fut in as_completed(futures):
            method, path = futures[fut]
            result = fut.result()
            row = result if isinstance(result, dict) else {"ssim_clean": result}
            rows[method][path] = {**row, "path": path, "kind": meta[path].kind,
                                  "category": meta[path].category}
    raster = {p: r["ssim_clean"] for p, r in rows["raster"].items()}
    report: dict[str, Any] = {
        "command": "python -m bench.quality_damaged " + " ".join(
            f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}"
            for k, v in vars(args).items() if k not in ("out", "root") and v is not None),
        "engine": f"vtracer {ENGINE_VERSION}", "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "images": len(images), "wall_seconds": round(time.perf_counter() - t0, 1),
        "raster": {k: {"n": len(v), "median_ssim_clean": round(float(np.median(v)), 4)}
                   for k in ("all", *args.kinds)
                   for v in [[s for p, s in raster.items() if k == "all" or meta[p].kind == k]] if v},
        "methods": {m: {k: summarize(v, raster) for k in ("all", *args.kinds)
                        for v in [[r for r in rows[m].values() if k == "all" or r["kind"] == k]] if v}
                    for m in args.methods},
        "rows": {m: sorted(by_path.values(), key=lambda r: r["path"]) for m, by_path in rows.items()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print_report(report)


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="Damaged inputs: SSIM of the SVG against the clean logo (ssim_clean)")
    cols = ("kind", "method", "n", "ssim_clean (median)", "better than raster", "median bytes", "p95 bytes",
            "median s", "tiers")
    for col in cols:
        table.add_column(col, justify="left" if col in ("kind", "method", "tiers") else "right")
    for kind, r in report["raster"].items():
        table.add_row(kind, "raster, bicubic-upscaled", str(r["n"]), f"{r['median_ssim_clean']:.4f}", "-",
                      "", "", "", "")
        for method, entry in report["methods"].items():
            if s := entry.get(kind):
                table.add_row(kind, method, str(s["n"]), f"{s['median_ssim_clean']:.4f}",
                              f"{100 * s['share_better_than_raster']:.0f} %", str(s["median_bytes"]),
                              str(s["p95_bytes"]), f"{s['median_seconds']:.3f}",
                              " ".join(f"{t}:{n}" for t, n in s["tiers"].items()))
        table.add_section()
    Console(width=170).print(table)


if __name__ == "__main__":
    main()
