"""Ablation: each of svgai's steps switched on or off against Tier 1's formula, per category.

    python -m bench.ablation [--split train] [--size 256] [--per-category 8] [--scale 4]

For every image the Tier 1 configuration is traced as it is ("formula") and with one step changed
(supersampling off, alpha kept, the other layering mode with and without `underlap`, colour
snapping on, denoise on, polygon simplification at several tolerances, higher supersampling with
simplification, sub-pixel refinement on and off, primitives, curves, splines, the design grid and
`underlap` off, gradient fills off and their stop count and merge tolerance, fringe strips kept, edges
not unmixed). `--variants` runs only some of them, `--out` writes elsewhere. With `--scale 4` each SVG is
also measured at 4x against the image's vector source (`ssim_4x`, bench/quality.py; JPEG copies have
none). Writes bench/results/ablation.json and prints median SSIM (and `ssim_4x`) and median bytes per
category and variant. One trace per image and variant: Tier 1's retries are left out, so each row
shows what one step does to the formula's trace.
"""

import argparse
import json
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bench.dataset import DevImage
from bench.quality import pick_images, scale_of, ssim_scaled
from shared.candidate import evaluate
from shared.features import compute_features
from shared.images import load_image
from shared.tiers.tier1 import formula_params

VARIANTS: dict[str, dict[str, Any]] = {
    "formula": {},
    "supersampling off": {"scale": 1.0},
    "alpha kept (no threshold)": {"alpha": "keep"},
    "layering: cutout": {"hierarchical": "cutout"},  # with the formula's `underlap`
    "layering: cutout, underlap off": {"hierarchical": "cutout", "underlap": False},
    "layering: stacked": {"hierarchical": "stacked"},
    "spline fitting": {"mode": "spline"},
    "snap to 16 colours": {"snap_colors": 16},
    "snap to 8 colours": {"snap_colors": 8},
    "median denoise 3": {"denoise": 3},
    "denoise 3 + snap 16": {"denoise": 3, "snap_colors": 16},
    "path precision 1": {"path_precision": 1},
    "simplification off": {"simplify_px": 0.0},
    "simplify 0.125 px": {"simplify_px": 0.125},
    "simplify 0.25 px": {"simplify_px": 0.25},
    "simplify 0.5 px": {"simplify_px": 0.5},
    "4x + simplify 0.25 px": {"scale": 4.0, "simplify_px": 0.25},
    "3x + simplify 0.25 px": {"scale": 3.0, "simplify_px": 0.25},
    "refinement on (1/16 px grid)": {"refine": True, "refine_grid": 16},
    "refinement on (1/4 px grid)": {"refine": True, "refine_grid": 4},
    "refinement off": {"refine": False},
    "primitives off": {"primitives": False},
    "splines off": {"splines": False},
    "design grid off": {"design_grid": False},
    "underlap off": {"underlap": False},
    "curve fitting on": {"fit_curves": True},
    "curve fitting + primitives off": {"fit_curves": True, "primitives": False},
    "gradients off": {"gradients": False},
    "fringes kept": {"drop_fringes": False},
    "edges not unmixed": {"unmix": False},
    "gradients: up to 4 stops": {"gradient_stops": 4},
    "gradients: merge within 0.04": {"gradient_merge": 0.04},
}


def run_image(image: DevImage, variants: tuple[str, ...] = tuple(VARIANTS), scale: int = 0
              ) -> dict[str, tuple[float, int, float | None]]:
    """Per variant: (SSIM at 1x, bytes, SSIM at `scale`x against the vector source or None)."""
    rgba = load_image(str(image.path)).rgba
    base = formula_params(compute_features(rgba))
    out = {}
    for name in variants:
        change = VARIANTS[name]
        cand = evaluate(rgba, base.with_overrides(change))
        scaled = ssim_scaled(cand.svg, image, scale) if scale else None
        out[name] = (cand.figures.ssim, cand.figures.bytes, scaled)
    return out


def _median(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return round(float(np.median(present)), 4) if present else None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--split", default="train")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--per-category", type=int, default=8)
    ap.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS),
                    help="only these variants (default: all)")
    ap.add_argument("--scale", type=int, default=0,
                    help="also measure at this zoom against the vector source (4: ssim_4x)")
    ap.add_argument("--out", type=Path, default=Path("bench/results/ablation.json"))
    args = ap.parse_args()
    variants = tuple(args.variants)
    images = pick_images(argparse.Namespace(sizes=[args.size], split=args.split,
                                            per_category=args.per_category, categories=None))
    with ProcessPoolExecutor(max_workers=os.cpu_count()) as ex:
        scales = [scale_of(im, args.scale, [args.size]) for im in images]
        results = list(ex.map(run_image, images, [variants] * len(images), scales))
    table: dict[str, dict[str, dict[str, float]]] = {}
    for cat in [*sorted({im.category for im in images}), "all"]:
        rows = [r for im, r in zip(images, results, strict=True) if cat in ("all", im.category)]
        table[cat] = {v: {"median_ssim": round(float(np.median([r[v][0] for r in rows])), 4),
                          "median_ssim_4x": _median([r[v][2] for r in rows]),
                          "median_bytes": int(np.median([r[v][1] for r in rows]))} for v in variants}
    chosen = "" if variants == tuple(VARIANTS) else " --variants " + " ".join(f"'{v}'" for v in variants)
    command = (f"python -m bench.ablation --split {args.split} --size {args.size} "
               f"--per-category {args.per_category}{chosen}{f' --scale {args.scale}' if args.scale else ''} "
               f"--out {args.out}")
    args.out.write_text(json.dumps({"command": command,
                               "images": len(images), "table": table}, indent=1) + "\n")
    cats = list(table)
    print(f"{'variant':30}" + "".join(f"{c[:9]:>25}" for c in cats))
    for v in variants:
        cells = []
        for c in cats:
            four = table[c][v]["median_ssim_4x"]
            cells.append(f"{table[c][v]['median_ssim']:>8.4f}/{'-' if four is None else f'{four:.4f}':>6}"
                         f"/{table[c][v]['median_bytes']:>6}")
        print(f"{v:30}" + "".join(f"{cell:>25}" for cell in cells))


if __name__ == "__main__":
    main()
