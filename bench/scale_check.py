"""Scale fidelity of Tier 1's formula with the geometry steps on or off, on the dev set's training split:

    python -m bench.scale_check --images 48 --size 256
    python -m bench.scale_check --images 48 --set fit_curves=true --set primitives=true
    python -m bench.scale_check --images 32 --split holdout --tier2-oracle

Per variant: median SSIM at 1x, median `ssim_4x` (bench.quality.ssim_scaled: the SVG at 4x against the
vector source at 4x), the share of images losing more than 0.01 when scaled, median bytes and the p95
seconds of `evaluate` (trace, steps and measurement). JPEG copies are left out (no clean source).

`--tier2-oracle` asks whether a 4x check on Tier 2's final candidates could pay: each image's Tier 2
candidates are measured at 1x and 4x, and Tier 2's choice (the objective on 1x SSIM) is compared with
the choice of the same objective on min(1x, 4x) SSIM. The 4x reference is the vector source, which a
conversion does not have, so this is an upper bound on what any runtime 4x check could buy.

`--moved PX` scores the vector sources themselves moved by PX input px (right and down) at 1x and 4x
against the unmoved source: how much an edge error that small costs at each scale (docs/geometry.md:
the input locates an axis-parallel edge only to 1/4 px, so Tier 1's crisp icons sit ~1/16 px off).

`--consistency` scores each image's 4x reference area-reduced to 1x against the input: how far the input
lies from exact coverage of its source (1.0: the same drawing), an error a trace fitted to the input
carries to 4x (docs/geometry.md, "Why crisp icons lose at 4x").

`--exact-inputs` converts each vector image with Tier 1 twice: from the dev set's resvg rendering (its
coverage in 1/4 px steps) scored at 4x against the resvg 4x reference, and from the source rendered at
`EXACT_FACTOR` times the size and area-reduced (coverage known to 1/64 px) scored at 4x against the 4x
rendering area-reduced from 4 times that: how much of the 4x - 1x gap the renderer's steps make
(`--out FILE`: the rows as JSON). `--aliased-inputs` does the same from aliased inputs instead (each pixel
the source's colour at its centre, opaque or transparent: an export without anti-aliasing), scored at 4x
against resvg's reference.
"""

import argparse
import json
import re
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.dataset import DEFAULT_ROOT, DevImage, load_manifest, reference_at
from bench.quality import SCALE_LOSS, ssim_scaled
from bench.synthetic import area_reduced, render
from shared.candidate import evaluate
from shared.features import compute_features
from shared.images import load_image
from shared.pipeline import convert
from shared.quality import alpha_aware_ssim
from shared.render import render_svg
from shared.tiers import TierRequest, objective_value, tier1, tier2

VARIANTS: dict[str, dict[str, Any]] = {
    "formula": {},
    "no geometry steps": {"primitives": False, "fit_curves": False},
    "primitives": {"primitives": True},
    "curves": {"fit_curves": True},
    "curves+primitives": {"fit_curves": True, "primitives": True},
}
EXACT_FACTOR = 16  # `--exact-inputs`: the input rendered at this many times its size, then area-reduced
ALIASED_FACTOR = 8  # `--aliased-inputs`: sampled at pixel centres of a rendering this many times the size


def _value(text: str) -> Any:
    return json.loads(text) if text not in ("",) else text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", type=int, default=48)
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--split", default="train")
    parser.add_argument("--set", action="append", default=[], help="name=json value, on every variant")
    parser.add_argument("--variants", nargs="*", default=list(VARIANTS))
    parser.add_argument("--tier2-oracle", action="store_true")
    parser.add_argument("--categories", nargs="+", default=None, help="only these categories")
    parser.add_argument("--few-colours", action="store_true", help="only images Tier 1 counts as few-colour")
    parser.add_argument("--target", type=float, default=0.98)
    parser.add_argument("--moved", type=float, default=None, help="score the sources moved by this many px")
    parser.add_argument("--consistency", action="store_true",
                        help="score the 4x references area-reduced to 1x against the inputs")
    parser.add_argument("--exact-inputs", action="store_true",
                        help="Tier 1 from resvg's inputs and from inputs with exact coverage, at 1x and 4x")
    parser.add_argument("--aliased-inputs", action="store_true",
                        help="Tier 1 from resvg's inputs and from aliased ones, at 1x and 4x")
    parser.add_argument("--out", type=Path, default=None, help="--exact/aliased-inputs: write the rows here")
    args = parser.parse_args()
    extra = {k: _value(v) for k, v in (s.split("=", 1) for s in args.set)}
    images = [i for i in load_manifest(DEFAULT_ROOT)
              if i.size == args.size and i.split == args.split and i.category != "jpeg"
              and (args.categories is None or i.category in args.categories)]
    if args.few_colours:
        images = [i for i in images
                  if compute_features(load_image(str(i.path)).rgba).n_colors <= tier1.FEW_COLORS]
    images = images[:: max(1, len(images) // args.images)][: args.images]
    if args.moved is not None:
        moved_sources([i for i in images if i.vector is not None], args.moved)
        return
    if args.consistency:
        consistency(images)
        return
    if args.exact_inputs or args.aliased_inputs:
        other_inputs([i for i in images if i.vector is not None], "exact" if args.exact_inputs else "aliased",
                     args.out)
        return
    if args.tier2_oracle:
        tier2_oracle(images, args.target)
        return
    rows: dict[str, list[tuple[float, float, int, float]]] = {v: [] for v in args.variants}
    categories = [image.category for image in images]
    for image in images:
        rgba = load_image(str(image.path)).rgba
        base = tier1.formula_params(compute_features(rgba))
        for name in args.variants:
            polygon = base.engine.mode == "polygon"
            params = base.with_overrides({**VARIANTS[name], **extra}) if polygon else base
            t0 = time.perf_counter()
            cand = evaluate(rgba, params)
            seconds = time.perf_counter() - t0
            four = ssim_scaled(cand.svg, image, 4)
            rows[name].append((cand.figures.ssim, four, cand.figures.bytes, seconds))
    print(f"{len(images)} {args.split} images at {args.size} px, extra {extra}")
    for name, found in rows.items():
        one, four, size, seconds = (np.array(c) for c in zip(*found, strict=True))
        print(f"{name:18s} 1x {np.median(one):.4f}  4x {np.median(four):.4f}"
              f"  4x-1x {np.median(four - one):+.4f}"
              f"  losing {np.mean(one - four > SCALE_LOSS):.0%}  bytes {np.median(size):.0f}"
              f"  mean 1x {one.mean():.4f} 4x {four.mean():.4f}  p95 {np.percentile(seconds, 95):.3f} s")
        by_category = {c: np.median([f - o for f, o, k in zip(four, one, categories, strict=True) if k == c])
                       for c in sorted(set(categories))}
        print(" " * 19 + "median 4x-1x by category: "
              + "  ".join(f"{c} {v:+.4f}" for c, v in by_category.items()))


def moved(svg: str, px: float, side: int) -> str:
    """`svg` with its content moved right and down by `px` px of a `side` px rendering."""
    view = re.search(r'viewBox="([^"]+)"', svg)
    if view is None:
        raise ValueError("the source has no viewBox")
    unit = float(view.group(1).replace(",", " ").split()[2]) / side
    root_end = svg.index(">", svg.index("<svg")) + 1
    body_end = svg.rindex("</svg>")
    return (svg[:root_end] + f'<g transform="translate({px * unit} {px * unit})">'
            + svg[root_end:body_end] + "</g></svg>")


def moved_sources(images: list[DevImage], px: float) -> None:
    """Medians of the moved sources' 1x and 4x SSIM against the unmoved ones, overall and by category."""
    found = []
    for image in images:
        shifted = moved(image.vector.read_text(), px, image.size)  # type: ignore[union-attr]
        one, four = (alpha_aware_ssim(reference_at(image, side), render(shifted, side))[0]
                     for side in (image.size, 4 * image.size))
        found.append((image.category, one, four))
    print(f"{len(found)} sources moved by {px} px")
    for category in ["all", *sorted({c for c, _, _ in found})]:
        rows = [(o, f) for c, o, f in found if category in ("all", c)]
        one, four = np.array(rows).T
        print(f"{category:10s} 1x {np.median(one):.4f}  4x {np.median(four):.4f}"
              f"  4x-1x {np.median(four - one):+.4f}  ({len(rows)})")


def consistency(images: list[DevImage]) -> None:
    """Medians, overall and by category, of each image's 4x reference area-reduced to its size against
    the image itself (both alpha-aware SSIM as everywhere)."""
    found = []
    for image in images:
        reference = Image.fromarray(reference_at(image, 4 * image.size), "RGBA")
        found.append((image.category, alpha_aware_ssim(reference_at(image, image.size),
                                                       area_reduced(reference, image.size))[0]))
    print(f"{len(found)} images: 4x reference area-reduced against the input")
    for category in ["all", *sorted({c for c, _ in found})]:
        values = [v for c, v in found if category in ("all", c)]
        print(f"{category:10s} median {np.median(values):.4f}  min {min(values):.4f}  ({len(values)})")


def exact_coverage(svg: str, side: int, factor: int) -> np.ndarray:
    """`svg` rendered at `factor` times `side` and area-reduced to `side`: coverage to 1/(4 x factor) px."""
    return area_reduced(Image.fromarray(render(svg, side * factor), "RGBA"), side)


def aliased(svg: str, side: int, factor: int) -> np.ndarray:
    """`svg` at `side` px without anti-aliasing: each pixel the colour at its centre of a rendering
    `factor` (even) times the size, opaque where that is at least half opaque, else transparent."""
    picked = np.array(render(svg, side * factor)[factor // 2 :: factor, factor // 2 :: factor])
    picked[..., 3] = np.where(picked[..., 3] >= 128, 255, 0)
    return picked


def other_inputs(images: list[DevImage], kind: str, out: Path | None) -> None:
    """Tier 1's 1x and 4x figures from resvg's inputs and from `kind` ones ("exact": exact coverage,
    "aliased"; module docstring): medians, 4x - 1x, means, overall and by category, and the images moving
    by over 0.001 at 4x."""
    rows = []
    for image in images:
        svg = image.vector.read_text()  # type: ignore[union-attr]
        row: dict[str, Any] = {"path": str(image.path), "category": image.category}
        reference = reference_at(image, 4 * image.size)
        if kind == "exact":
            other = (exact_coverage(svg, image.size, EXACT_FACTOR),
                     exact_coverage(svg, 4 * image.size, EXACT_FACTOR // 4))
        else:
            other = (aliased(svg, image.size, ALIASED_FACTOR), reference)
        for name, rgba, four_x in (("resvg", reference_at(image, image.size), reference), (kind, *other)):
            result = convert(rgba, tier=1)
            four = render_svg(result.svg, four_x.shape[1], four_x.shape[0])
            row[name] = [result.figures.ssim, alpha_aware_ssim(four_x, four)[0], result.figures.bytes]
        rows.append(row)
    if out is not None:
        out.write_text(json.dumps({"fields": ["ssim", "ssim_4x", "bytes"], "rows": rows}, indent=1) + "\n")
    print(f"{len(rows)} vector images, Tier 1: inputs rendered by resvg -> {kind} inputs")
    for category in ["all", *sorted({r["category"] for r in rows})]:
        found = [r for r in rows if category in ("all", r["category"])]
        text = []
        for name in ("resvg", kind):
            one, four, size = np.array([r[name] for r in found]).T
            gap = np.median(four) - np.median(one)
            text.append(f"1x {np.median(one):.4f} 4x {np.median(four):.4f} 4x-1x {gap:+.4f}"
                        f" (means {one.mean():.5f} / {four.mean():.5f}, {size.sum():.0f} B)")
        print(f"{category:7s} ({len(found):2d}) " + "  ->  ".join(text))
    for r in sorted(rows, key=lambda r: r[kind][1] - r["resvg"][1]):
        if abs(r[kind][1] - r["resvg"][1]) > 0.001:
            print(f"  {Path(r['path']).name:40s} 4x {r['resvg'][1]:.4f} -> {r[kind][1]:.4f}"
                  f"  1x {r['resvg'][0]:.4f} -> {r[kind][0]:.4f}  bytes {r['resvg'][2]} -> {r[kind][2]}")


def tier2_oracle(images: list[Any], target: float) -> None:
    picked: dict[str, list[tuple[float, float, int]]] = {"tier 2 (1x objective)": [], "4x-checked": []}
    for image in images:
        rgba = load_image(str(image.path)).rgba
        request = TierRequest(rgba, compute_features(rgba), target)
        found = []
        for params in tier2.candidates(request):
            cand = evaluate(rgba, params, compare_unrefined=False)
            found.append((cand.figures.ssim, ssim_scaled(cand.svg, image, 4), cand.figures.bytes))
        one, four, size = (np.array(c) for c in zip(*found, strict=True))
        plain = int(np.argmax(objective_value(one, size, target)))  # first best, as Tier 2 keeps it
        checked = int(np.argmax(objective_value(np.minimum(one, four), size, target)))
        picked["tier 2 (1x objective)"].append(found[plain])
        picked["4x-checked"].append(found[checked])
    print(f"{len(images)} images, target {target}")
    for name, rows in picked.items():
        one, four, size = (np.array(c) for c in zip(*rows, strict=True))
        print(f"{name:22s} 1x {np.median(one):.4f}  4x {np.median(four):.4f}"
              f"  4x-1x {np.median(four - one):+.4f}"
              f"  losing {np.mean(one - four > SCALE_LOSS):.0%}  bytes {np.median(size):.0f}")


if __name__ == "__main__":
    main()
