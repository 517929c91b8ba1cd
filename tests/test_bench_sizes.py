"""bench.sizes: which images it measures, one conversion's figures, and a table that marks timeouts."""

from pathlib import Path

import pytest

from bench.dataset import DevImage
from bench.sizes import measure_one, pick, print_report

CIRCLE = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">'
          '<circle cx="32" cy="32" r="24" fill="#1d3557"/></svg>')


def dev_image(tmp_path: Path, category: str, split: str = "holdout", vector: bool = True) -> DevImage:
    svg = tmp_path / f"{category}-{split}-{vector}.svg"
    svg.write_text(CIRCLE)
    return DevImage(tmp_path / f"{category}.png", category, f"test:{category}", "CC0-1.0", 256, split,
                    svg if vector else None)


def test_pick_takes_one_held_out_vector_image_per_category_in_order(tmp_path: Path) -> None:
    images = [dev_image(tmp_path, "emoji"), dev_image(tmp_path, "logo", split="train"),
              dev_image(tmp_path, "logo", vector=False), dev_image(tmp_path, "logo"),
              dev_image(tmp_path, "icon")]
    assert [im.category for im in pick(images, 2)] == ["logo", "emoji"]
    assert pick(images, 2)[0] is images[3]


def test_measure_one_converts_the_vector_source_at_the_side(tmp_path: Path) -> None:
    row = measure_one(dev_image(tmp_path, "logo"), 128, "1")
    assert row["seconds"] > 0 and row["peak_rss_mb"] >= row["rss_before_mb"] > 0
    assert row["ssim"] > 0.98 and row["bytes"] > 0


def test_report_marks_timeouts(capsys: pytest.CaptureFixture[str]) -> None:
    print_report({"tier": "1", "machine": "test",
                  "rows": [{"image": "a", "side": 256, "seconds": 0.1, "peak_rss_mb": 180,
                            "rss_before_mb": 170, "ssim": 0.99, "bytes": 900},
                           {"image": "a", "side": 2048, "timed_out": True, "seconds": None}]})
    out = capsys.readouterr().out
    assert "timed out" in out and "0.9900" in out
