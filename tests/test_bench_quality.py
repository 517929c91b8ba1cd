"""The benchmark's own figures: ssim_4x against the vector source, ssim_clean against the clean logo."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from bench.damage import DAMAGE_KINDS, MANIFEST, DamagedImage, damage, damaged_copies
from bench.dataset import DevImage, hash_seed, reference_at
from bench.quality import ssim_clean, ssim_scaled, summarize_scale
from bench.quality_damaged import main as damaged_main
from bench.quality_damaged import pick_damaged
from bench.synthetic import GENERATORS, render

CIRCLE = ('<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
          '<circle cx="32" cy="32" r="24" fill="#1d3557"/></svg>')


def polygon_circle(sides: int, background: str = "") -> str:
    """The circle above as a regular polygon: right at 1x for many sides, faceted when zoomed in."""
    angles = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    points = " ".join(f"{32 + 24 * np.cos(a):.3f},{32 + 24 * np.sin(a):.3f}" for a in angles)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">{background}'
            f'<polygon points="{points}" fill="#1d3557"/></svg>')


def vector_image(tmp_path: Path, svg: str = CIRCLE, size: int = 64) -> DevImage:
    vector = tmp_path / "circle.svg"
    vector.write_text(svg)
    png = tmp_path / "circle.png"
    Image.fromarray(render(svg, size), "RGBA").save(png)
    return DevImage(png, "logo", "test:circle", "CC0-1.0", size, "holdout", vector)


def test_reference_at_renders_the_vector_source_at_any_size(tmp_path: Path) -> None:
    image = vector_image(tmp_path)
    assert np.array_equal(reference_at(image, 64), np.asarray(Image.open(image.path)))
    assert reference_at(image, 256).shape == (256, 256, 4)


def test_reference_at_remakes_generated_images_from_their_seed() -> None:
    image = DevImage(Path("unused.png"), "shapes", "generated:shapes:3", "generated", 64, "train")
    expected = GENERATORS["shapes"](np.random.default_rng([hash_seed("generated:shapes:3")]), 96)
    assert np.array_equal(reference_at(image, 96), expected)


def test_ssim_4x_of_the_vector_itself_is_one(tmp_path: Path) -> None:
    assert ssim_scaled(CIRCLE, vector_image(tmp_path), 4) > 0.9999


def test_ssim_4x_ranks_facets_below_a_smooth_outline(tmp_path: Path) -> None:
    image = vector_image(tmp_path)
    faceted, smooth = ssim_scaled(polygon_circle(12), image, 4), ssim_scaled(polygon_circle(256), image, 4)
    assert smooth > 0.999 and faceted < smooth - 0.02


def test_summarize_scale_counts_images_losing_when_scaled() -> None:
    rows = [{"ssim": 0.99, "ssim_4x": 0.995, "bytes": 900}, {"ssim": 0.99, "ssim_4x": 0.97, "bytes": 1000},
            {"ssim": 0.98, "ssim_4x": 0.975, "bytes": 1100}, {"ssim": 0.90, "ssim_4x": None, "bytes": 50_000}]
    s = summarize_scale(rows)
    assert s["n_4x"] == 3 and s["share_losing_scaled"] == round(1 / 3, 3)
    assert s["median_bytes_4x"] == 1000, "bytes of the images measured at 4x only"
    assert s["median_4x_minus_1x"] == -0.005 and s["median_ssim_1x"] == 0.99
    assert summarize_scale([{"ssim": 0.9, "ssim_4x": None, "bytes": 1}]) == {}


def damaged_of(tmp_path: Path, kind: str, clean_svg: str = CIRCLE) -> DamagedImage:
    clean = render(clean_svg, 64)
    clean_path = tmp_path / "clean.png"
    Image.fromarray(clean, "RGBA").save(clean_path)
    made = damage(kind, clean, np.random.default_rng(0))
    path = tmp_path / f"{kind}.{made.ext}"
    path.write_bytes(made.data)
    return DamagedImage(path, kind, "logo", "test:circle", clean_path, 64, made.side, made.opaque, "holdout",
                        made.settings)


def test_ssim_clean_of_the_clean_vector_is_one_for_a_favicon(tmp_path: Path) -> None:
    image = damaged_of(tmp_path, "favicon")
    assert image.size < 64
    assert ssim_clean(CIRCLE, image) > 0.9999, "rendered at the clean size, against the clean source"


def test_ssim_clean_of_an_opaque_copy_is_against_the_logo_on_white(tmp_path: Path) -> None:
    image = damaged_of(tmp_path, "jpeg")
    on_white = polygon_circle(512, '<rect width="64" height="64" fill="#ffffff"/>')
    transparent = polygon_circle(512)
    assert ssim_clean(on_white, image) > 0.999
    assert ssim_clean(on_white, image) > ssim_clean(transparent, image) + 0.1


def test_ssim_clean_of_a_favicon_keeps_transparency(tmp_path: Path) -> None:
    image = damaged_of(tmp_path, "favicon")
    on_white = polygon_circle(512, '<rect width="64" height="64" fill="#ffffff"/>')
    assert ssim_clean(polygon_circle(512), image) > ssim_clean(on_white, image) + 0.1


def test_pick_damaged_spreads_each_kind_over_categories(tmp_path: Path) -> None:
    images = [DamagedImage(tmp_path / f"{k}-{c}-{i}", k, c, f"{c}:{i}", tmp_path / "x.png", 256, 256, True,
                           "holdout" if i < 4 else "train", {})
              for k in ("jpeg", "scan") for c in ("emoji", "logo", "text") for i in range(6)]
    chosen = pick_damaged(images, ["jpeg", "scan"], 5, "holdout", None)
    assert [im.kind for im in chosen] == ["jpeg"] * 5 + ["scan"] * 5
    assert {im.split for im in chosen} == {"holdout"}
    assert sorted(im.category for im in chosen[:5]) == ["emoji", "emoji", "logo", "logo", "text"]
    assert chosen == pick_damaged(images, ["jpeg", "scan"], 5, "holdout", None)
    assert {im.category for im in pick_damaged(images, ["jpeg"], 0, "holdout", ["logo"])} == {"logo"}


def test_damaged_bench_scores_every_kind_against_the_raster(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:

    clean = render(CIRCLE.replace('width="64" height="64" ', ""), 96)
    Image.fromarray(clean, "RGBA").save(tmp_path / "clean.png")
    row = {"path": "clean.png", "category": "logo", "source": "test:circle", "size": 96, "split": "holdout"}
    copies = damaged_copies([row], {"test:circle": clean})
    for rel, data, _ in copies:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    (tmp_path / MANIFEST).write_text("".join(json.dumps(r) + "\n" for _, _, r in copies))
    out = tmp_path / "damaged.json"
    argv = ["bench.quality_damaged", "--root", str(tmp_path), "--methods", "defaults", "tier1",
            "--workers", "1", "--out", str(out)]
    monkeypatch.setattr(sys, "argv", argv)
    damaged_main()
    report = json.loads(out.read_text())
    assert set(report["raster"]) == {"all", *DAMAGE_KINDS} and report["raster"]["all"]["n"] == 4
    for method in ("defaults", "tier1"):
        entry = report["methods"][method]
        assert entry["all"]["n"] == 4 and 0 <= entry["all"]["share_better_than_raster"] <= 1
        assert entry["jpeg"]["median_ssim_clean"] > 0.9, "a plain circle survives JPEG"
    assert len(report["rows"]["tier1"]) == 4
