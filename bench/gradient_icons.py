"""Gradient fills on real gradient icons, outside the dev set: Tier 1's formula with and without the
`gradients` step on icons whose source SVG paints with a gradient.

    python -m bench.gradient_icons --per-package 24 --size 256 [--dev holdout]

Icons come from pinned Iconify sets on the npm registry (MIT; installed once into `--cache`): colour
brand/tool logos (skill-icons) and file-type icons (vscode-icons). A fixed random pick of the icons
whose body has a `<linearGradient>`/`<radialGradient>`; per package: median SSIM off/on, the median of
the paired change, the worst and best change, median bytes and elements (and their sums). `--dev SPLIT`
adds the same figures for the dev set's images of that split whose source paints with a gradient
(`gradient` flag, at `--size`; `make dataset` builds data/dev). `--fit-times` times the gradient step
alone (`fit_gradients`, CPU seconds, on Tier 1's shaped drawing) on the dev images at `--size` of the
holdout and the training split's `gradient` and `jpeg` categories, and prints a digest of which regions
got which gradient (kind, stops, points to 0.1 px): equal digests, same gradients. `--tiers 1 2` runs
the deployed tiers instead (`shared.pipeline.convert`) on the same icons, devicon's colour logos with
gradients added: per package and tier, median SSIM at 1x and at 4x (the SVG at 4x the size against
the icon's source rendered there), median bytes and seconds. `--translucent` runs Tier 1 on every icon of
`TRANSLUCENT_PACKAGES` with translucent plateaus (partial alpha 16-239, flat within 8 levels over 3x3,
over 0.5 % of the image at `--size`) and on a fixed random 25 per package without: per icon 1x SSIM,
4x SSIM and bytes (`--out` writes them as JSON, to compare two versions with `--compare`).
"""

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np

from bench.dataset import GRADIENT_ELEMENT, load_manifest, npm_root
from bench.synthetic import render
from shared.candidate import evaluate, shape_drawing, trace_drawing
from shared.features import compute_features
from shared.gradients import fit_gradients
from shared.images import load_image
from shared.pipeline import convert
from shared.quality import alpha_aware_ssim
from shared.render import render_svg
from shared.tiers.tier1 import formula_params

PACKAGES = ("@iconify-json/skill-icons@1.2.4", "@iconify-json/vscode-icons@1.2.97")
TIER_PACKAGES = (*PACKAGES, "@iconify-json/devicon@1.2.68")
TRANSLUCENT_PACKAGES = ("@iconify-json/devicon@1.2.68", "@iconify-json/vscode-icons@1.2.97",
                        "@iconify-json/skill-icons@1.2.4", "@iconify-json/emojione-v1@1.2.3")
PLATEAU_SHARE = 0.005  # an icon is translucent where more of its pixels are translucent plateau
OPAQUE_SAMPLE = 25  # icons without plateaus per package, as a check that nothing else changed
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


def tier_rows(svg: str, size: int, tiers: list[int]) -> list[tuple[float, float, int, float]]:
    """Per tier: (SSIM, SSIM at 4x against the source, bytes, seconds) of the deployed tier."""
    rgba, reference = render(svg, size), render(svg, 4 * size)
    out = []
    for tier in tiers:
        start = time.perf_counter()
        result = convert(rgba, tier=tier)
        seconds = time.perf_counter() - start
        scaled = alpha_aware_ssim(reference, render_svg(result.svg, 4 * size, 4 * size))[0]
        out.append((result.figures.ssim, scaled, result.figures.bytes, seconds))
    return out


def fit_times(size: int) -> str:
    """CPU time of `fit_gradients` per image (mean, p95, max) and a digest of the gradients it gives."""
    images = [im for im in load_manifest()
              if im.size == size and (im.split == "holdout" or im.category in ("gradient", "jpeg"))]
    seconds, found = [], []
    for im in images:
        rgba = load_image(str(im.path)).rgba
        params = formula_params(compute_features(rgba)).with_overrides({"gradients": False})
        drawing = shape_drawing(trace_drawing(rgba, params), rgba, params)
        start = time.process_time()
        out = fit_gradients(drawing, rgba, params.steps.gradient_stops, params.steps.gradient_merge)
        seconds.append(time.process_time() - start)
        paints = sorted((k, p.kind, len(p.stops), [round(float(v), 1) for v in p.points])
                        for k, p in out.paints.items())
        found.append([im.path.name, len(out.fills), paints])
    digest = hashlib.sha256(json.dumps(found).encode()).hexdigest()[:12]
    return (f"fit_gradients on {len(images)} dev images at {size} px: "
            f"CPU mean {np.mean(seconds) * 1e3:.1f} ms, p95 {np.percentile(seconds, 95) * 1e3:.1f} ms, "
            f"max {max(seconds) * 1e3:.1f} ms; "
            f"{sum(len(f[2]) for f in found)} gradients, digest {digest}")


def icon_svg(data: dict, name: str) -> str:
    """The SVG of one Iconify icon (its own viewBox, left/top included)."""
    icon = data["icons"][name]
    width, height = icon.get("width", data.get("width", 16)), icon.get("height", data.get("height", 16))
    return ('<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'viewBox="{icon.get("left", 0)} {icon.get("top", 0)} {width} {height}">{icon["body"]}</svg>')


def plateau_share(rgba: np.ndarray) -> float:
    """Share of pixels of partial alpha (16-239) whose 3x3 neighbourhood's alpha varies by under 8."""
    from scipy import ndimage

    a = rgba[..., 3].astype(int)
    flat = (ndimage.maximum_filter(a, 3) - ndimage.minimum_filter(a, 3)) < 8
    return float(((a > 15) & (a < 240) & flat).mean())


def translucent_rows(modules: Path, size: int) -> list[dict]:
    """Tier 1 on the translucent icons of `TRANSLUCENT_PACKAGES` and a fixed random pick of the others:
    per icon its package, name, plateau share, 1x SSIM, 4x SSIM against the source and bytes."""
    rows = []
    for package in TRANSLUCENT_PACKAGES:
        data = json.loads((modules / package.rsplit("@", 1)[0] / "icons.json").read_text())
        names = sorted(data["icons"])
        found = {}
        for name in names:
            if "opacity" in data["icons"][name]["body"]:
                share = plateau_share(render(icon_svg(data, name), size))
                if share > PLATEAU_SHARE:
                    found[name] = share
        others = [n for n in names if n not in found]
        pick = np.random.default_rng(7).choice(len(others), min(OPAQUE_SAMPLE, len(others)), replace=False)
        for name in [*found, *(others[i] for i in sorted(pick.tolist()))]:
            svg = icon_svg(data, name)
            result = convert(render(svg, size), tier=1)
            scaled = alpha_aware_ssim(render(svg, 4 * size), render_svg(result.svg, 4 * size, 4 * size))[0]
            rows.append({"package": package, "name": name, "share": round(found.get(name, 0.0), 4),
                         "ssim": result.figures.ssim, "ssim4": scaled, "bytes": result.figures.bytes})
    return rows


def compare(before: list[dict], after: list[dict]) -> str:
    """Per group (translucent, others): medians and means before -> after, and the largest drops."""
    old = {(r["package"], r["name"]): r for r in before}
    lines = []
    for label, keep in (("translucent", lambda r: r["share"] > 0), ("others", lambda r: r["share"] == 0)):
        pairs = [(old[(r["package"], r["name"])], r) for r in after
                 if keep(r) and (r["package"], r["name"]) in old]
        if not pairs:
            continue
        figures = []
        for key in ("ssim", "ssim4", "bytes"):
            b, a = np.array([p[0][key] for p in pairs]), np.array([p[1][key] for p in pairs])
            figures.append(f"{key} median {np.median(b):.4f} -> {np.median(a):.4f}, mean {b.mean():.4f} -> "
                           f"{a.mean():.4f}" if key != "bytes" else
                           f"bytes median {np.median(b):.0f} -> {np.median(a):.0f}, "
                           f"sum {b.sum():.0f} -> {a.sum():.0f}")
        worst = min((p[1]["ssim"] - p[0]["ssim"], p[1]["ssim4"] - p[0]["ssim4"], p[1]["name"]) for p in pairs)
        changed = sum(p[0] != p[1] for p in pairs)
        lines.append(f"{label}: {len(pairs)} icons, {changed} changed; " + "; ".join(figures)
                     + f"; worst 1x change {worst[0]:+.4f} (4x {worst[1]:+.4f}, {worst[2]})")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-package", type=int, default=24)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--cache", type=Path, default=Path("data/.npm-gradients"))
    ap.add_argument("--dev", default=None, help="also the dev set's gradient images of this split")
    ap.add_argument("--fit-times", action="store_true", help="only time the gradient step on dev images")
    ap.add_argument("--tiers", type=int, nargs="*", help="run these deployed tiers instead")
    ap.add_argument("--translucent", action="store_true", help="Tier 1 on translucent icons (see above)")
    ap.add_argument("--out", type=Path, default=None, help="--translucent: write the rows as JSON here")
    ap.add_argument("--compare", type=Path, nargs=2, default=None, help="compare two --out files")
    args = ap.parse_args()
    if args.compare:
        print(compare(*(json.loads(p.read_text()) for p in args.compare)))
        return
    if args.translucent:
        rows = translucent_rows(npm_root(args.cache, TRANSLUCENT_PACKAGES), args.size)
        if args.out:
            args.out.write_text(json.dumps(rows, indent=0))
        for package in TRANSLUCENT_PACKAGES:
            mine = [r for r in rows if r["package"] == package and r["share"] > 0]
            medians = [np.median([r[k] for r in mine]) for k in ("ssim", "ssim4", "bytes")] if mine else []
            print(f"{package}: {len(mine)} translucent icons"
                  + (", median 1x {:.4f}, 4x {:.4f}, {:.0f} B".format(*medians) if mine else ""))
        return
    if args.fit_times:
        print(fit_times(args.size))
        return
    if args.tiers:
        modules = npm_root(args.cache, TIER_PACKAGES)
        for package in TIER_PACKAGES:
            rows = np.array([tier_rows(svg, args.size, args.tiers)
                             for _, svg in gradient_icons(modules, package, args.per_package)])
            for k, tier in enumerate(args.tiers):
                ssim, scaled, nbytes, seconds = np.median(rows[:, k], axis=0)
                print(f"{package} Tier {tier}: {len(rows)} icons, median SSIM {ssim:.4f}, "
                      f"at 4x {scaled:.4f}, "
                      f"{nbytes:.0f} B, {seconds:.2f} s")
        return
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
