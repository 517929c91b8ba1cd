"""`make bench`, image size: Tier 1's time and peak memory by input size (issue 16's size table).

    python -m bench.sizes [--sides 256 512 1024 2048 4096] [--images 2] [--tier 1] [--timeout 300]

Each of a few held-out dev images (a logo, then an emoji, ...) is rendered from its vector source at
every side and converted in a fresh process, one at a time (in-process, one core), after a 64 px
warm-up conversion: seconds are the conversion alone, peak RSS is the process's high-water mark
(Python, the libraries and the decoded image included; at 4096 px also the bench's own rendering of
the reference, about 150 MB). Inputs over the working size are converted at it (shared/working_size.py),
so 4096 px costs about a second and is measured by default. Writes bench/results/sizes.json.
"""

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.dataset import DevImage, load_manifest, reference_at
from bench.quality import RESULTS

DEFAULT_SIDES = (256, 512, 1024, 2048, 4096)
CATEGORY_ORDER = ("logo", "emoji", "icon", "flag")


def peak_rss_mb() -> float:
    """This process's peak resident set size in MB (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure_one(image: DevImage, side: int, tier: str) -> dict[str, Any]:
    """Convert `image` rendered at side x side once, in this process: seconds, RSS before and at peak.
    A 64 px conversion first loads what is loaded once per process (models), as a worker has."""
    from shared.pipeline import convert

    convert(reference_at(image, 64), tier=tier)
    rgba = reference_at(image, side)
    before = peak_rss_mb()
    t0 = time.perf_counter()
    result = convert(rgba, tier=tier)
    seconds = time.perf_counter() - t0
    return {"seconds": round(seconds, 3), "rss_before_mb": round(before), "peak_rss_mb": round(peak_rss_mb()),
            "ssim": round(result.figures.ssim, 4), "bytes": result.figures.bytes}


def pick(images: list[DevImage], n: int) -> list[DevImage]:
    """The first held-out 256 px image with a vector source of each category, in CATEGORY_ORDER."""
    chosen = []
    for category in CATEGORY_ORDER[:n]:
        chosen += [im for im in images if im.split == "holdout" and im.size == 256
                   and im.category == category and im.vector is not None][:1]
    return chosen


def run_child(image: DevImage, side: int, tier: str, timeout: float) -> dict[str, Any]:
    """measure_one in a fresh interpreter (its own peak RSS), or {"timed_out": True} after `timeout` s."""
    cmd = [sys.executable, "-m", "bench.sizes", "--one", str(image.path), "--side", str(side), "--tier", tier]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True)
    except subprocess.TimeoutExpired:
        return {"timed_out": True, "seconds": None}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sides", type=int, nargs="+", default=list(DEFAULT_SIDES))
    ap.add_argument("--images", type=int, default=2,
                    help=f"how many images, one from each of {', '.join(CATEGORY_ORDER)}")
    ap.add_argument("--tier", default="1")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per conversion before giving up")
    ap.add_argument("--out", type=Path, default=RESULTS / "sizes.json")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # child mode: a dev image path
    ap.add_argument("--side", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    images = load_manifest()
    if args.one:
        image = next(im for im in images if str(im.path) == args.one)
        print(json.dumps(measure_one(image, args.side, args.tier)))
        return
    sides = sorted(set(args.sides))
    rows = []
    for image in pick(images, args.images):
        for side in sides:
            row = {"image": image.source, "side": side, **run_child(image, side, args.tier, args.timeout)}
            rows.append(row)
            print(json.dumps(row), flush=True)
    command = ["python -m bench.sizes", f"--sides {' '.join(map(str, sides))}",
               f"--images {args.images} --tier {args.tier}"]
    report = {"command": " ".join(command), "tier": args.tier,
              "machine": f"{platform.machine()}, {os.cpu_count()} cores", "rows": rows}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1) + "\n")
    print_report(report)


def print_report(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Tier {report['tier']} by image size (one process per conversion, in-process, "
                        f"{report['machine']})")
    for col in ("image", "side", "seconds", "peak RSS MB", "RSS before MB", "SSIM", "bytes"):
        table.add_column(col, justify="left" if col == "image" else "right")
    for r in report["rows"]:
        if r.get("timed_out"):
            table.add_row(r["image"], str(r["side"]), "timed out", "", "", "", "")
        else:
            table.add_row(r["image"], str(r["side"]), f"{r['seconds']:.2f}", str(r["peak_rss_mb"]),
                          str(r["rss_before_mb"]), f"{r['ssim']:.4f}", str(r["bytes"]))
    Console(width=170).print(table)


if __name__ == "__main__":
    main()
