"""Other vectorizers run beside svgai for the benchmark: ImageTracer.js with its defaults (npm)."""

import json
import subprocess
import tempfile
from pathlib import Path

import numpy as np

NODE_DIR = Path(__file__).resolve().parent / "node"


def ensure_imagetracer() -> None:
    """Install ImageTracer.js from the npm registry into bench/node/node_modules once."""
    if not (NODE_DIR / "node_modules" / "imagetracerjs").exists():
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=NODE_DIR, check=True)


def imagetracer_svgs(images: list[np.ndarray]) -> list[tuple[str, float]]:
    """(SVG, seconds spent tracing) for each RGBA image, with ImageTracer.js's default options."""
    ensure_imagetracer()
    with tempfile.TemporaryDirectory() as tmp:
        jobs = []
        for i, rgba in enumerate(images):
            raw = Path(tmp) / f"{i}.rgba"
            raw.write_bytes(np.ascontiguousarray(rgba).tobytes())
            jobs.append({"rgba": str(raw), "width": rgba.shape[1], "height": rgba.shape[0],
                         "svg": str(Path(tmp) / f"{i}.svg")})
        proc = subprocess.run(["node", str(NODE_DIR / "imagetracer.cjs")], input=json.dumps(jobs),
                              capture_output=True, text=True, check=True, cwd=NODE_DIR)
        times_ms = json.loads(proc.stdout)
        return [(Path(j["svg"]).read_text(), t / 1000.0) for j, t in zip(jobs, times_ms, strict=True)]
