"""A tier run twice on each image, as deployed and with overrides, paired per image:

    python -m bench.paired --split train --side 256 --set drop_fringes=false
    python -m bench.paired --split train --side 1024 --set drop_fringes=false
    python -m bench.paired --icons @iconify-json/devicon@1.2.68 --per-package 40 --tier1 SHARPER_BELOW=0

Images: every `--every`-th non-JPEG image of the dev set's `--split` (256 px entries), its vector source
(or generator) rendered at `--side` px as the input (bench.dataset.reference_at; with `--gradient`, only
those whose source paints with a gradient); or, with `--icons`, a fixed random pick (`--seed`) of
`--per-package` icons of each pinned Iconify package (any icon, or those whose name holds `--match`;
installed once into `--cache`), outside the dev set; or, with `--shaded N`, N Twemoji icons (`--seed`)
with their fills shaded by gradients (bench/shaded_emoji.py), a stand-in for gradient emoji. Per image
and run: SSIM at 1x against the input (the result's own figure), SSIM against the source rendered at 4x
the side (`ssim_source`; for `--side` over 256, at the side itself), bytes, elements and seconds. The
other run takes `--set` overrides and/or `--tier1 NAME=VALUE`, a constant of shared/tiers/tier1.py or
shared/tiers/tier1_retries.py (whichever defines it) set for that run (a retry's threshold:
`SHARPER_BELOW=0` turns the supersampled retry off), or `--constant MODULE.NAME=VALUE`, one of any
shared module (`shared.gradient_profile.PLACE_ROUNDS=0`: gradient stops evenly spaced), or
`--portfolio FILE`, a Tier 2 portfolio (an earlier shared/tiers/portfolio.json).
Prints the images that changed, then for the other run -> the deployed run: medians, means and totals,
and how many images fell or rose by more than 0.001; `--out` writes the rows.
"""

import argparse
import importlib
import json
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from bench import shaded_emoji
from bench.dataset import load_manifest, npm_root, reference_at
from bench.gradient_icons import icon_svg
from bench.synthetic import render
from shared.pipeline import convert
from shared.quality import alpha_aware_ssim
from shared.render import render_svg
from shared.tiers import tier1, tier1_retries, tier2

FIELDS = ("ssim", "ssim_source", "bytes", "paths", "seconds")


def run_once(rgba: np.ndarray, source: np.ndarray, tier: int, overrides: dict[str, Any] | None,
             constants: dict[tuple[ModuleType, str], Any] | None = None) -> list[float]:
    """One conversion's figures (FIELDS), with `constants` ((module, name) -> value) set for it."""
    deployed = {key: getattr(*key) for key in constants or {}}
    for (module, name), value in (constants or {}).items():
        setattr(module, name, value)
    tier2.portfolio.cache_clear()  # each run reads tier2.PORTFOLIO_PATH, which may be one of them
    try:
        t0 = time.perf_counter()
        result = convert(rgba, tier=tier, overrides=overrides)
        seconds = time.perf_counter() - t0
    finally:
        for (module, name), value in deployed.items():
            setattr(module, name, value)
    rendered = render_svg(result.svg, source.shape[1], source.shape[0])
    return [result.figures.ssim, alpha_aware_ssim(source, rendered)[0], result.figures.bytes,
            result.figures.paths, seconds]


def tier1_constant(item: str) -> str:
    """`NAME=VALUE` of `--tier1` as `MODULE.NAME=VALUE` for the Tier 1 module that defines NAME: the
    formula's constants are in shared/tiers/tier1.py, the retries' in shared/tiers/tier1_retries.py."""
    name = item.split("=", 1)[0]
    module = tier1_retries if hasattr(tier1_retries, name) else tier1
    return f"{module.__name__}.{item}"


def inputs(args: argparse.Namespace) -> Iterator[tuple[str, str, np.ndarray, np.ndarray]]:
    """(category or package, name, input at `--side`, source at 4x the side or at the side) per image."""
    scale = 4 if args.side <= 256 else 1
    if args.shaded:
        modules = npm_root(args.cache, (shaded_emoji.PACKAGE,))
        for name, svg in shaded_emoji.shaded_emoji(modules, args.shaded, args.seed):
            rgba = render(svg, args.side)
            yield "shaded-emoji", name, rgba, render(svg, args.side * 4) if scale > 1 else rgba
        return
    if args.icons is None:
        images = [im for im in load_manifest() if im.split == args.split and im.size == 256
                  and im.category != "jpeg" and (im.gradient or not args.gradient)][:: args.every]
        for image in images:
            rgba = reference_at(image, args.side)
            source = reference_at(image, args.side * 4) if scale > 1 else rgba
            yield image.category, str(image.path), rgba, source
        return
    modules = npm_root(args.cache, tuple(args.icons))
    for package in args.icons:
        data = json.loads((modules / package.rsplit("@", 1)[0] / "icons.json").read_text())
        names = sorted(name for name in data["icons"] if args.match in name)
        picked = np.random.default_rng(args.seed).choice(len(names), min(args.per_package, len(names)),
                                                         replace=False)
        for i in picked.tolist():
            svg = icon_svg(data, names[i])
            rgba = render(svg, args.side)
            source = render(svg, args.side * 4) if scale > 1 else rgba
            yield package.rsplit("/", 1)[-1].rsplit("@", 1)[0], names[i], rgba, source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--split", default="train")
    parser.add_argument("--side", type=int, default=256)
    parser.add_argument("--every", type=int, default=4, help="every n-th image of the split")
    parser.add_argument("--tier", type=int, default=1, choices=(1, 2))
    parser.add_argument("--gradient", action="store_true",
                        help="only images whose source paints with a gradient (the `gradient` flag)")
    parser.add_argument("--set", action="append", default=[], help="name=json value (the other run)")
    parser.add_argument("--tier1", action="append", default=[],
                        help="NAME=VALUE: a constant of shared/tiers/tier1.py or "
                             "tier1_retries.py (the other run)")
    parser.add_argument("--constant", action="append", default=[],
                        help="MODULE.NAME=VALUE: a constant of a shared module, e.g. "
                             "shared.gradient_profile.PLACE_ROUNDS=0 (the other run)")
    parser.add_argument("--portfolio", type=Path, default=None,
                        help="a Tier 2 portfolio file (the other run; with --tier 2)")
    parser.add_argument("--icons", nargs="+", default=None, help="pinned Iconify packages (name@version)")
    parser.add_argument("--shaded", type=int, default=0,
                        help="this many shaded Twemoji (bench/shaded_emoji.py, `--seed`) instead")
    parser.add_argument("--per-package", type=int, default=40)
    parser.add_argument("--match", default="", help="only icons whose name holds this (--icons; 'wordmark')")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--cache", type=Path, default=Path("data/.npm-gradients"))
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    constants: dict[tuple[ModuleType, str], Any] = {}  # an integer where written as one
    if args.portfolio is not None:
        constants[(tier2, "PORTFOLIO_PATH")] = args.portfolio
    for item in [tier1_constant(c) for c in args.tier1] + args.constant:
        path, value = item.split("=", 1)
        module_name, name = path.rsplit(".", 1)
        try:
            module = importlib.import_module(module_name) if module_name.startswith("shared.") else None
        except ModuleNotFoundError:
            module = None
        if module is None or not hasattr(module, name):
            parser.error(f"no constant {path} in a shared module")
        constants[(module, name)] = int(value) if value.lstrip("-").isdigit() else float(value)
    rows = []
    for category, name, rgba, source in inputs(args):
        row = {"path": name, "category": category,
               "deployed": run_once(rgba, source, args.tier, None),
               "with": run_once(rgba, source, args.tier, overrides or None, constants)}
        rows.append(row)
        if row["deployed"][:3] != row["with"][:3]:
            d, w = row["deployed"], row["with"]
            print(f"{category[:12]:12s} {Path(name).name[:32]:32s} 1x {w[0]:.4f} -> {d[0]:.4f}  source "
                  f"{w[1]:.4f} -> {d[1]:.4f}  bytes {w[2]:.0f} -> {d[2]:.0f}", flush=True)
    deployed, other = (np.array([r[k] for r in rows], float) for k in ("deployed", "with"))
    print(f"{len(rows)} images at {args.side} px, Tier {args.tier}; "
          f"with {overrides} {[f'{m.__name__}.{n}={v}' for (m, n), v in constants.items()]} -> deployed:")
    for k, name in enumerate(FIELDS):
        digits = 4 if k < 2 else 3 if name == "seconds" else 0
        low, high = np.median(other[:, k]), np.median(deployed[:, k])
        print(f"  {name:12s} median {low:.{digits}f} -> {high:.{digits}f}"
              f"   mean {other[:, k].mean():.{digits + 1}f} -> {deployed[:, k].mean():.{digits + 1}f}"
              f"   total {other[:, k].sum():.{digits}f} -> {deployed[:, k].sum():.{digits}f}"
              + (f"   p95 {np.percentile(other[:, k], 95):.3f} -> {np.percentile(deployed[:, k], 95):.3f}"
                 if name == "seconds" else ""))
    for k in (0, 1):
        fell = int((deployed[:, k] < other[:, k] - 0.001).sum())
        rose = int((deployed[:, k] > other[:, k] + 0.001).sum())
        print(f"  {FIELDS[k]}: {fell} lower and {rose} higher by more than 0.001 "
              f"(worst {float((deployed[:, k] - other[:, k]).min()):+.4f})")
    if args.out:
        command = "python -m bench.paired " + " ".join(shlex.quote(a) for a in sys.argv[1:])
        args.out.write_text(json.dumps({"command": command, "fields": FIELDS, "rows": rows}, indent=1) + "\n")


if __name__ == "__main__":
    main()
