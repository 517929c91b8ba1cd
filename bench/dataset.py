"""The dev set: real icons from the npm registry plus generated logos, rendered to PNG.

    python -m bench.dataset --out data/dev          # builds data/dev/<size>/<category>/... + manifest
    python -m bench.dataset --examples examples     # (re)creates the committed samples for `make run`

Deterministic (fixed seeds, pinned package versions). The split is by source image: every rendering
and JPEG copy of one source lands in the same split, so nothing of a held-out image is ever trained on.
"""

import argparse
import hashlib
import json
import re
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from bench.synthetic import GENERATORS, jpeg_degrade, render

NPM_PACKAGES = ("simple-icons@16.37.0", "@twemoji/svg@15.0.0", "@mdi/svg@7.4.47")
LICENCES = {"simple-icons": "CC0-1.0", "twemoji": "CC-BY-4.0", "mdi": "Apache-2.0", "generated": "generated"}
SIZES = (256, 512)
COUNTS = {"logo": 60, "flag": 25, "emoji": 50, "icon": 40, "text": 30, "gradient": 40, "shapes": 30}
JPEG_COPIES = 30
HOLDOUT_SHARE = 0.25
MDI_COLORS = ("#202124", "#1a73e8", "#d93025", "#188038")
DEFAULT_ROOT = Path("data/dev")


@dataclass(frozen=True)
class DevImage:
    path: Path
    category: str
    source: str
    licence: str
    size: int
    split: str


def split_of(source: str) -> str:
    """'holdout' for ~25 % of sources, by a hash of the source id (stable across runs and sizes)."""
    h = int.from_bytes(hashlib.sha256(source.encode()).digest()[:4], "little")
    return "holdout" if h / 2**32 < HOLDOUT_SHARE else "train"


def load_manifest(root: Path = DEFAULT_ROOT) -> list[DevImage]:
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines() if line]
    return [DevImage(**{**r, "path": (root / r["path"]).resolve()}) for r in rows]


def npm_root(cache: Path) -> Path:
    """Install the pinned icon packages once into `cache` and return its node_modules."""
    modules = cache / "node_modules"
    if not all((modules / p.rsplit("@", 1)[0]).exists() for p in NPM_PACKAGES):
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--silent",
                        *NPM_PACKAGES], check=True)
    return modules


SvgSource = tuple[str, str, str, Callable[[], str]]  # (category, source id, licence key, svg maker)


def real_sources(modules: Path, rng: np.random.Generator) -> list[SvgSource]:
    out: list[SvgSource] = []
    icons = json.loads((modules / "simple-icons/data/simple-icons.json").read_text())
    icons = [i for i in icons if (modules / f"simple-icons/icons/{i.get('slug', '')}.svg").exists()]
    for i in rng.choice(len(icons), COUNTS["logo"], replace=False):
        ic = icons[int(i)]
        path = modules / f"simple-icons/icons/{ic['slug']}.svg"
        out.append(("logo", f"simple-icons:{ic['slug']}", "simple-icons",
                    lambda p=path, c=ic["hex"]: p.read_text().replace("<svg ", f'<svg fill="#{c}" ', 1)))
    emoji = sorted((modules / "@twemoji/svg").glob("*.svg"))
    flags = [p for p in emoji if re.fullmatch(r"1f1[e-f][0-9a-f]-1f1[e-f][0-9a-f]", p.stem)]
    others = [p for p in emoji if p not in set(flags)]
    for cat, pool in (("flag", flags), ("emoji", others)):
        for i in rng.choice(len(pool), COUNTS[cat], replace=False):
            p = pool[int(i)]
            out.append((cat, f"twemoji:{p.stem}", "twemoji", p.read_text))
    mdi = sorted((modules / "@mdi/svg/svg").glob("*.svg"))
    for n, i in enumerate(rng.choice(len(mdi), COUNTS["icon"], replace=False)):
        p, color = mdi[int(i)], MDI_COLORS[n % len(MDI_COLORS)]
        out.append(("icon", f"mdi:{p.stem}", "mdi",
                    lambda p=p, c=color: p.read_text().replace("<svg ", f'<svg fill="{c}" ', 1)))
    return out


def _save(root: Path, rel: str, rgba: np.ndarray | None = None, data: bytes | None = None) -> str:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if data is not None:
        path.write_bytes(data)
    else:
        Image.fromarray(rgba, "RGBA").save(path, "PNG", compress_level=6)
    return rel


def build(root: Path, cache: Path) -> list[dict]:
    rng = np.random.default_rng(2026)
    modules = npm_root(cache)
    rows: list[dict] = []

    def add(rel: str, category: str, source: str, licence: str, size: int) -> None:
        rows.append({"path": rel, "category": category, "source": source, "licence": licence,
                     "size": size, "split": split_of(source)})

    made: dict[tuple[str, int], np.ndarray] = {}
    for category, source, lic, make_svg in real_sources(modules, rng):
        svg = make_svg()
        for size in SIZES:
            rgba = render(svg, size)
            made[(source, size)] = rgba
            name = re.sub(r"[^a-z0-9_-]+", "_", source.split(":", 1)[1].lower())
            add(_save(root, f"{size}/{category}/{name}.png", rgba), category, source, LICENCES[lic], size)
    for category, generator in GENERATORS.items():
        for k in range(COUNTS[category]):
            source = f"generated:{category}:{k}"
            for size in SIZES:
                rgba = generator(np.random.default_rng([hash_seed(source)]), size)
                made[(source, size)] = rgba
                add(_save(root, f"{size}/{category}/{k:03d}.png", rgba), category, source, "generated", size)
    sources = sorted({s for s, _ in made})
    for i in rng.choice(len(sources), JPEG_COPIES, replace=False):
        source = sources[int(i)]
        lic = next(r["licence"] for r in rows if r["source"] == source)
        for size in SIZES:
            data = jpeg_degrade(made[(source, size)], np.random.default_rng([hash_seed(source), size]))
            name = re.sub(r"[^a-z0-9_-]+", "_", source.lower())
            add(_save(root, f"{size}/jpeg/{name}.jpg", data=data), "jpeg", source, lic, size)
    (root / "manifest.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return rows


def hash_seed(source: str) -> int:
    return int.from_bytes(hashlib.sha256(source.encode()).digest()[:8], "little")


EXAMPLE_PICKS = (("logo", 2), ("flag", 1), ("emoji", 2), ("icon", 1), ("text", 1), ("gradient", 1),
                 ("jpeg", 1))


def make_examples(dev_root: Path, out: Path) -> None:
    """Copy a few 256 px dev images (first of each category in manifest order) into `out`."""
    images = [im for im in load_manifest(dev_root) if im.size == 256]
    out.mkdir(parents=True, exist_ok=True)
    lines = ["# Example images", "", "| file | source | licence |", "|---|---|---|"]
    for category, n in EXAMPLE_PICKS:
        for im in [im for im in images if im.category == category][:n]:
            name = f"{category}_{im.path.stem}{im.path.suffix}"
            (out / name).write_bytes(im.path.read_bytes())
            lines.append(f"| {name} | {im.source} | {im.licence} |")
    lines += ["", "simple-icons: CC0-1.0 (brand marks remain trademarks of their owners).",
              "Twemoji: CC-BY 4.0, Copyright Twitter, Inc and other contributors (jdecked/twemoji).",
              "Material Design Icons: Apache-2.0, Pictogrammers.",
              "Generated images: made by bench/synthetic.py, no third-party content.", ""]
    (out / "LICENSE.md").write_text("\n".join(lines))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_ROOT)
    ap.add_argument("--cache", type=Path, default=Path("data/.npm"))
    ap.add_argument("--examples", type=Path, help="write the make-run samples here from an existing dev set")
    args = ap.parse_args()
    if args.examples:
        make_examples(args.out, args.examples)
        return
    rows = build(args.out, args.cache)
    counts = Counter((r["category"], r["split"]) for r in rows)
    for cat in sorted({c for c, _ in counts}):
        print(f"{cat:10} train {counts[(cat, 'train')]:4}  holdout {counts[(cat, 'holdout')]:4}")
    print(f"{len(rows)} images in {args.out}")


if __name__ == "__main__":
    main()
