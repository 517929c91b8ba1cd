"""`make train-data`: labelled training data for the learned models, from the quality engine.

    python -m bench.train_data [--generated 30] [--holdout-generated 10] [--configs 16] [--workers 2]

Images: the dev set's training split at 256 px (`make dataset`), plus generated logos of four types
(simple, text, gradient, complex) at 128 and 256 px, some transparent, a quarter JPEG-degraded. The
held-out set is the dev set's holdout split at 256 px plus generated images from a separate seed range
(split by image, never by configuration); nothing held out is trained on.

Labels: per image, its 22 features and the measured figures (SSIM, bytes, seconds) of K configurations:
Tier 1's formula, the Tier 2 portfolio and random points of the search space (seeded per image). Writes
data/train/samples.jsonl (one image per line) and the generated images under data/train/images/.
"""

import argparse
import hashlib
import io
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from bench.dataset import load_manifest
from bench.synthetic import PALETTE, gradient_logo, jpeg_degrade, render, shapes_logo, text_logo
from shared.candidate import evaluate
from shared.features import compute_features
from shared.images import load_image
from shared.params import ConversionParams
from shared.search_space import random_params
from shared.tiers.tier1 import formula_params
from shared.tiers.tier2 import portfolio

OUT = Path("data/train")
LOGO_TYPES = ("simple", "text", "gradient", "complex")
DEV_TYPE = {"logo": "simple", "icon": "simple", "shapes": "simple", "text": "text", "gradient": "gradient",
            "emoji": "complex", "flag": "complex"}
SOURCE_TYPE = {"simple-icons": "simple", "mdi": "simple", "twemoji": "complex", "generated:shapes": "simple",
               "generated:text": "text", "generated:gradient": "gradient"}


def seed_of(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")


def complex_logo(rng: np.random.Generator, size: int) -> np.ndarray:
    """An illustration-like image: 10-24 overlapping shapes in many colours, a gradient, fine texture."""
    from bench.synthetic import _shape, _svg

    colors = [str(c) for c in rng.choice(PALETTE, size=int(rng.integers(6, 12)), replace=False)]
    defs = (f'<linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="{colors[0]}"/>'
            f'<stop offset="1" stop-color="{colors[1]}"/></linearGradient>')
    body = '<rect x="0" y="0" width="100" height="100" fill="url(#g)"/>' if rng.random() < 0.5 else ""
    body += "".join(_shape(rng, colors[i % len(colors)]) for i in range(int(rng.integers(10, 25))))
    rgba = render(_svg(body, defs), size).astype(np.int16)
    if rng.random() < 0.5:  # texture: fine noise on the visible pixels
        rgba[..., :3] += rng.integers(-18, 19, size=rgba[..., :3].shape).astype(np.int16)
    return np.clip(rgba, 0, 255).astype(np.uint8)


MAKERS = {"simple": shapes_logo, "text": text_logo, "gradient": gradient_logo, "complex": complex_logo}


def generated_images(split: str, per_type: int) -> list[dict[str, Any]]:
    """Seeded generated images of every type; ~25 % JPEG-degraded, sizes 128 and 256."""
    OUT.joinpath("images").mkdir(parents=True, exist_ok=True)
    rows = []
    for logo_type in LOGO_TYPES:
        for k in range(per_type):
            name = f"{split}-{logo_type}-{k:03d}"
            rng = np.random.default_rng(seed_of(name))
            size = 128 if k % 3 == 2 else 256
            rgba = MAKERS[logo_type](rng, size)
            if rng.random() < 0.25:
                path = OUT / "images" / f"{name}.jpg"
                path.write_bytes(jpeg_degrade(rgba, rng))
            else:
                path = OUT / "images" / f"{name}.png"
                buffer = io.BytesIO()
                Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
                path.write_bytes(buffer.getvalue())
            rows.append({"id": name, "path": str(path), "split": split, "type": logo_type,
                         "source": "generated"})
    return rows


def dev_images() -> list[dict[str, Any]]:
    rows = []
    for im in load_manifest():
        if im.size != 256:
            continue
        kind = DEV_TYPE.get(im.category) or next(
            (t for prefix, t in SOURCE_TYPE.items() if im.source.startswith(prefix)), "complex")
        rows.append({"id": f"dev:{im.category}:{im.path.stem}", "path": str(im.path), "split": im.split,
                     "type": kind, "source": im.source, "category": im.category})
    return rows


def configs_for(image_id: str, features: Any, k: int) -> list[ConversionParams]:
    """Tier 1's formula, the portfolio, then random points of the space (seeded by the image)."""
    chosen = [formula_params(features), *portfolio()]
    rng = np.random.default_rng(seed_of(image_id))
    while len(chosen) < k:
        chosen.append(random_params(rng))
    return chosen[:k]


def label(row: dict[str, Any], k: int) -> dict[str, Any]:
    rgba = load_image(row["path"]).rgba  # content-sniffed: PNG and JPEG alike
    features = compute_features(rgba)
    samples = []
    for params in configs_for(row["id"], features, k):
        t = time.perf_counter()
        cand = evaluate(rgba, params)
        samples.append({"params": params.flat(), "ssim": cand.figures.ssim, "bytes": cand.figures.bytes,
                        "seconds": round(time.perf_counter() - t, 4)})
    return {**row, "features": features.to_dict(), "samples": samples}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generated", type=int, default=30, help="generated training images per type")
    ap.add_argument("--holdout-generated", type=int, default=10, help="generated held-out images per type")
    ap.add_argument("--configs", type=int, default=16, help="measured configurations per image")
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = ap.parse_args()
    rows = dev_images() + generated_images("train", args.generated) + generated_images(
        "holdout", args.holdout_generated)
    t0 = time.perf_counter()
    OUT.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(args.workers) as pool, (OUT / "samples.jsonl").open("w") as out:
        for done, labelled in enumerate(pool.map(label, rows, [args.configs] * len(rows), chunksize=2)):
            out.write(json.dumps(labelled) + "\n")
            if done % 50 == 0:
                print(f"{done}/{len(rows)} images, {time.perf_counter() - t0:.0f} s", flush=True)
    print(f"{len(rows)} images x {args.configs} configurations in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
