"""Two benchmark runs compared image by image (same images, e.g. before and after a change).

    python -m bench.compare bench/results/quality-before-curves.json bench/results/quality.json
    python -m bench.compare bench/results/damaged-before-curves.json bench/results/damaged.json

Works on the reports of bench.quality and bench.quality_damaged (their `rows`). Per method, over the
images both runs measured: the median change of each SSIM figure (ssim, ssim_4x, ssim_clean), how many
images rose or fell by more than `--margin`, and the median ratio of bytes and of seconds. With five
images per category, a paired change says more than the difference of two medians.
"""

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

FIGURES = ("ssim", "ssim_4x", "ssim_clean")


def paired(before: dict[str, Any], after: dict[str, Any], margin: float) -> dict[str, dict[str, Any]]:
    """Per method present in both reports: figures of the images both measured, after against before."""
    out: dict[str, dict[str, Any]] = {}
    for method, rows in after.get("rows", {}).items():
        old = {r["path"]: r for r in before.get("rows", {}).get(method, [])}
        pairs = [(old[r["path"]], r) for r in rows if r["path"] in old]
        if not pairs:
            continue
        entry: dict[str, Any] = {"n": len(pairs)}
        for figure in FIGURES:
            deltas = np.array([b[figure] - a[figure] for a, b in pairs
                               if a.get(figure) is not None and b.get(figure) is not None])
            if deltas.size:
                entry[figure] = {"n": int(deltas.size), "median_change": round(float(np.median(deltas)), 4),
                                 "rose": int((deltas > margin).sum()), "fell": int((deltas < -margin).sum())}
        for measure in ("bytes", "seconds"):
            ratios = [b[measure] / a[measure] for a, b in pairs
                      if a.get(measure) and b.get(measure) is not None]
            if ratios:
                entry[f"median_{measure}_ratio"] = round(float(np.median(ratios)), 3)
        out[method] = entry
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("--margin", type=float, default=0.002, help="an SSIM change counts beyond this")
    args = ap.parse_args()
    result = paired(json.loads(args.before.read_text()), json.loads(args.after.read_text()), args.margin)
    if not result:
        raise SystemExit("no method measured the same images in both reports (do both have `rows`?)")
    for method, entry in result.items():
        parts = [f"{method:12} n={entry['n']:3}"]
        for figure in FIGURES:
            if f := entry.get(figure):
                parts.append(f"{figure} {f['median_change']:+.4f} (+{f['rose']}/-{f['fell']})")
        parts += [f"bytes x{entry['median_bytes_ratio']}"] if "median_bytes_ratio" in entry else []
        parts += [f"seconds x{entry['median_seconds_ratio']}"] if "median_seconds_ratio" in entry else []
        print("  ".join(parts))


if __name__ == "__main__":
    main()
