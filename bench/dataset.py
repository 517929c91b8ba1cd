"""The dev set: real icons from the npm registry plus generated logos, rendered to PNG.

    python -m bench.dataset --out data/dev          # builds data/dev/<size>/<category>/... + manifest
    python -m bench.dataset --examples examples     # (re)creates the committed samples for `make run`

Deterministic (fixed seeds, pinned package versions). The split is by source image: every rendering
and JPEG copy of one source lands in the same split, so nothing of a held-out image is ever trained on.
Each image keeps its vector source (`reference_at` renders it at any size, for the benchmark's 4x
figure), and every clean 256 px image gets damaged copies (bench/damage.py, data/dev/damaged.jsonl).
Files are written only where their bytes change, so rebuilding never disturbs a reader.
"""

import argparse
import hashlib
import io
import json
import re
import subprocess
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from bench.damage import MANIFEST as DAMAGED_MANIFEST
from bench.damage import damaged_copies
from bench.synthetic import GENERATORS, jpeg_degrade, render

NPM_PACKAGES = ("simple-icons@16.37.0", "@twemoji/svg@15.0.0", "@mdi/svg@7.4.47")
LICENCES = {"simple-icons": "CC0-1.0", "twemoji": "CC-BY-4.0", "mdi": "Apache-2.0", "generated": "generated"}
SIZES = (256, 512)
COUNTS = {"logo": 60, "flag": 25, "emoji": 50, "icon": 40, "text": 30, "gradient": 40, "shapes": 30}
JPEG_COPIES = 30
HOLDOUT_SHARE = 0.25
MDI_COLORS = ("#202124", "#1a73e8", "#d93025", "#188038")
DEFAULT_ROOT = Path("data/dev")
DAMAGED_SIZE = 256  # the clean size damaged copies are made from


@dataclass(frozen=True)
class DevImage:
    path: Path
    category: str
    source: str
    licence: str
    size: int
    split: str
    vector: Path | None = None  # the SVG it was rendered from (npm sources); generated ones: their seed
    gradient: bool = False  # its source paints with a linear or radial gradient


GRADIENT_ELEMENT = re.compile(r"<(?:linearGradient|radialGradient)\b")
GRADIENT_CATEGORIES = ("gradient",)  # generated categories whose images are all shaded


def has_gradient(source: str, svg: str | None) -> bool:
    """Whether an image's source paints with a gradient: its SVG has a gradient element, or it is a
    generated gradient logo (source 'generated:<category>:<k>')."""
    if svg is not None:
        return GRADIENT_ELEMENT.search(svg) is not None
    return source.split(":")[1] in GRADIENT_CATEGORIES


def split_of(source: str) -> str:
    """'holdout' for ~25 % of sources, by a hash of the source id (stable across runs and sizes)."""
    h = int.from_bytes(hashlib.sha256(source.encode()).digest()[:4], "little")
    return "holdout" if h / 2**32 < HOLDOUT_SHARE else "train"


def load_manifest(root: Path = DEFAULT_ROOT) -> list[DevImage]:
    rows = [json.loads(line) for line in (root / "manifest.jsonl").read_text().splitlines() if line]
    for r in rows:  # manifests written before the flag: read it from the source
        if "gradient" not in r:
            vector = (root / r["vector"]).read_text() if r.get("vector") else None
            r["gradient"] = has_gradient(r["source"], vector)
    return [DevImage(**{**r, "path": (root / r["path"]).resolve(),
                        "vector": (root / r["vector"]).resolve() if r.get("vector") else None}) for r in rows]


def reference_at(image: DevImage, side: int) -> np.ndarray:
    """The clean image at side x side pixels, from its vector source (the clean original of a JPEG copy):
    the reference for an SVG rendered at that size."""
    if image.vector is not None:
        return render(image.vector.read_text(), side)
    _, category, _ = image.source.split(":")
    return GENERATORS[category](np.random.default_rng([hash_seed(image.source)]), side)


def npm_root(cache: Path, packages: tuple[str, ...] = NPM_PACKAGES) -> Path:
    """Install the pinned npm `packages` ("name@version") once into `cache`; its node_modules."""
    modules = cache / "node_modules"
    if not all((modules / p.rsplit("@", 1)[0]).exists() for p in packages):
        cache.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(cache), "--no-audit", "--no-fund", "--silent",
                        *packages], check=True)
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


def write_if_changed(path: Path, data: bytes) -> None:
    """Write via a temporary file and a rename, and only if the bytes differ: readers of a dev set being
    rebuilt never see a half-written file."""
    if path.exists() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _save(root: Path, rel: str, rgba: np.ndarray | None = None, data: bytes | None = None) -> str:
    if data is None:
        buf = io.BytesIO()
        Image.fromarray(rgba, "RGBA").save(buf, "PNG", compress_level=6)
        data = buf.getvalue()
    write_if_changed(root / rel, data)
    return rel


def build(root: Path, cache: Path) -> list[dict]:
    rng = np.random.default_rng(2026)
    modules = npm_root(cache)
    rows: list[dict] = []

    def add(rel: str, category: str, source: str, licence: str, size: int, vector: str | None = None) -> None:
        shaded = has_gradient(source, (root / vector).read_text() if vector else None)
        rows.append({"path": rel, "category": category, "source": source, "licence": licence,
                     "size": size, "split": split_of(source), **({"vector": vector} if vector else {}),
                     "gradient": shaded})

    made: dict[tuple[str, int], np.ndarray] = {}
    vectors: dict[str, str] = {}
    for category, source, lic, make_svg in real_sources(modules, rng):
        svg = make_svg()
        name = re.sub(r"[^a-z0-9_-]+", "_", source.split(":", 1)[1].lower())
        vectors[source] = _save(root, f"vector/{category}/{name}.svg", data=svg.encode())
        for size in SIZES:
            rgba = render(svg, size)
            made[(source, size)] = rgba
            add(_save(root, f"{size}/{category}/{name}.png", rgba), category, source, LICENCES[lic], size,
                vectors[source])
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
            add(_save(root, f"{size}/jpeg/{name}.jpg", data=data), "jpeg", source, lic, size,
                vectors.get(source))
    write_if_changed(root / "manifest.jsonl", "".join(json.dumps(r) + "\n" for r in rows).encode())
    clean_rows = [r for r in rows if r["size"] == DAMAGED_SIZE and r["category"] != "jpeg"]
    copies = damaged_copies(clean_rows, {r["source"]: made[(r["source"], DAMAGED_SIZE)] for r in clean_rows})
    for rel, data, _ in copies:
        _save(root, rel, data=data)
    damaged_rows = "".join(json.dumps(row) + "\n" for _, _, row in copies)
    write_if_changed(root / DAMAGED_MANIFEST, damaged_rows.encode())
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
    print(f"{len(rows)} images in {args.out}, and their damaged copies in {args.out / DAMAGED_MANIFEST}")


if __name__ == "__main__":
    main()
