"""Gradient fills on real gradient icons, outside the dev set: Tier 1's formula with and without the
`gradients` step on icons whose source SVG paints with a gradient.

    python -m bench.gradient_icons --per-package 24 --size 256 [--dev holdout]

Icons come from pinned Iconify sets on the npm registry (MIT; installed once into `--cache`): colour
brand/tool logos (skill-icons) and file-type icons (vscode-icons). A fixed random pick of the icons
whose body has a `<linearGradient>`/`<radialGradient>`; per package: median SSIM off/on, the median of
the paired change, the worst and best change, median bytes and elements (and their sums). `--dev SPLIT`
adds the same figures for the dev set's images of that split whose source paints with a gradient
(`gradient` flag, at `--size`; `make dataset` builds data/dev).
"""

import argparse
import json
from pathlib import Path

import numpy as np

from bench.dataset import GRADIENT_ELEMENT, load_manifest, npm_root
from bench.synthetic import render
from shared.candidate import evaluate
from shared.features import compute_features
from shared.images import load_image
from shared.tiers.tier1 import formula_params

PACKAGES = ("@iconify-json/skill-icons@1.2.4", "@iconify-json/vscode-icons@1.2.97")
ELEMENT = ("<path", "<circle", "<ellipse", "<rect")


def gradient_icons(modules: Path, package: str, count: int) -> list[tuple[str, str]]:
    """(name, SVG) of a fixed random pick of `count` icons of `package` that paint with a gradient."""
    data = json.loads((modules / package.rsplit("@", 1)[0] / "icons.json").read_text())
    names = sorted(k for k, v in data["icons"].items() if GRADIENT_ELEMENT.search(v["body"]))
    picked = np.random.default_rng(5).choice(len(names), min(count, len(names)), replace=False)
    out = []
    for i in picked.tolist():
        icon = data["icons"][names[i]]
        width, height = icon.get("width", data.get("width", 16)), icon.get("height", data.get("height", 16))
        out.append((names[i], '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
                               f' viewBox="0 0 {width} {height}">{icon["body"]}</svg>'))
    return out


def measure(rgba: np.ndarray) -> list[tuple[float, int, int]]:
    """(SSIM, bytes, elements) of Tier 1's formula without and with gradient fills."""
    params = formula_params(compute_features(rgba))
    out = []
    for on in (False, True):
        result = evaluate(rgba, params.with_overrides({"gradients": on}), compare_unrefined=False)
        out.append((result.figures.ssim, len(result.svg.encode()), sum(result.svg.count(e) for e in ELEMENT)))
    return out


def summary(name: str, rows: np.ndarray) -> str:
    """One line: SSIM off/on, paired change, bytes and elements off/on (medians; sums in brackets)."""
    change = rows[:, 1, 0] - rows[:, 0, 0]
    return (f"{name}: {len(rows)} images, SSIM off/on {np.median(rows[:, 0, 0]):.4f} / "
            f"{np.median(rows[:, 1, 0]):.4f}, paired change median {np.median(change):+.4f} "
            f"(worst {change.min():+.4f}, best {change.max():+.4f}), bytes {np.median(rows[:, 0, 1]):.0f} / "
            f"{np.median(rows[:, 1, 1]):.0f} (sums {rows[:, 0, 1].sum():.0f} / {rows[:, 1, 1].sum():.0f}), "
            f"elements {np.median(rows[:, 0, 2]):.0f} / {np.median(rows[:, 1, 2]):.0f} "
            f"(sums {rows[:, 0, 2].sum():.0f} / {rows[:, 1, 2].sum():.0f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-package", type=int, default=24)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--cache", type=Path, default=Path("data/.npm-gradients"))
    ap.add_argument("--dev", default=None, help="also the dev set's gradient images of this split")
    args = ap.parse_args()
    modules = npm_root(args.cache, PACKAGES)
    for package in PACKAGES:
        icons = gradient_icons(modules, package, args.per_package)
        print(summary(package, np.array([measure(render(svg, args.size)) for _, svg in icons])))
    if args.dev:
        images = [im for im in load_manifest()
                  if im.split == args.dev and im.size == args.size and im.gradient]
        print(summary(f"dev {args.dev} (gradient flag)",
                      np.array([measure(load_image(str(im.path)).rgba) for im in images])))


if __name__ == "__main__":
    main()
