"""A tier run twice on each image, as deployed and with overrides, paired per image:

    python -m bench.paired --split train --side 256 --set drop_fringes=false
    python -m bench.paired --split train --side 1024 --set drop_fringes=false

Images: every `--every`-th non-JPEG image of the dev set's `--split` (256 px entries), its vector
source (or generator) rendered at `--side` px as the input (bench.dataset.reference_at). Per image and
run: SSIM at 1x against the input (the result's own figure), SSIM against the source rendered at 4x
the side (`ssim_source`; for `--side` over 256, at the side itself), bytes, elements and seconds.
Prints the images that changed, then for the run with the overrides -> the deployed run: medians,
means and totals, and how many images fell or rose by more than 0.001; `--out` writes the rows.
"""

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.dataset import load_manifest, reference_at
from shared.pipeline import convert
from shared.quality import alpha_aware_ssim
from shared.render import render_svg

FIELDS = ("ssim", "ssim_source", "bytes", "paths", "seconds")


def run_once(rgba: np.ndarray, source: np.ndarray, tier: int,
             overrides: dict[str, Any] | None) -> list[float]:
    t0 = time.perf_counter()
    result = convert(rgba, tier=tier, overrides=overrides)
    seconds = time.perf_counter() - t0
    rendered = render_svg(result.svg, source.shape[1], source.shape[0])
    return [result.figures.ssim, alpha_aware_ssim(source, rendered)[0], result.figures.bytes,
            result.figures.paths, seconds]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="train")
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--every", type=int, default=4, help="every n-th image of the split")
    parser.add_argument("--tier", type=int, default=1, choices=(1, 2))
    parser.add_argument("--set", action="append", default=[], help="name=json value (the other run)")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    images = [im for im in load_manifest() if im.split == args.split and im.size == 256
              and im.category != "jpeg"][:: args.every]
    rows = []
    for image in images:
        rgba = reference_at(image, args.side)
        source = reference_at(image, args.side * 4) if args.side <= 256 else rgba
        row = {"path": str(image.path), "category": image.category,
               "deployed": run_once(rgba, source, args.tier, None),
               "with": run_once(rgba, source, args.tier, overrides)}
        rows.append(row)
        if row["deployed"][:3] != row["with"][:3]:
            d, w = row["deployed"], row["with"]
            print(f"{image.category:9s} {image.path.name[:32]:32s} 1x {w[0]:.4f} -> {d[0]:.4f}  source "
                  f"{w[1]:.4f} -> {d[1]:.4f}  bytes {w[2]:.0f} -> {d[2]:.0f}", flush=True)
    deployed, other = (np.array([r[k] for r in rows], float) for k in ("deployed", "with"))
    print(f"{len(rows)} images at {args.side} px, Tier {args.tier}; with {overrides} -> deployed:")
    for k, name in enumerate(FIELDS):
        digits = 4 if k < 2 else 3 if name == "seconds" else 0
        low, high = np.median(other[:, k]), np.median(deployed[:, k])
        print(f"  {name:12s} median {low:.{digits}f} -> {high:.{digits}f}"
              f"   mean {other[:, k].mean():.{digits + 1}f} -> {deployed[:, k].mean():.{digits + 1}f}"
              f"   total {other[:, k].sum():.{digits}f} -> {deployed[:, k].sum():.{digits}f}")
    for k in (0, 1):
        fell = int((deployed[:, k] < other[:, k] - 0.001).sum())
        rose = int((deployed[:, k] > other[:, k] + 0.001).sum())
        print(f"  {FIELDS[k]}: {fell} lower and {rose} higher by more than 0.001 "
              f"(worst {float((deployed[:, k] - other[:, k]).min()):+.4f})")
    if args.out:
        args.out.write_text(json.dumps({"command": "python -m bench.paired " + " ".join(
            f"--{k} {v}" for k, v in vars(args).items() if k != "out"), "fields": FIELDS, "rows": rows},
            indent=1) + "\n")


if __name__ == "__main__":
    main()
