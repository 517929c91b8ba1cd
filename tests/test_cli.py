"""The CLI as users run it: in-process for the bad-input matrix, through a real subprocess end to end."""

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from shared.images import load_image
from shared.quality import measure
from tests import image_files as files
from tests.conftest import disc

runner = CliRunner()


GOOD = {
    "one_pixel.png": lambda: files.png_bytes(np.array([[[10, 200, 30, 255]]], np.uint8)),
    "transparent.png": lambda: files.png_bytes(np.zeros((32, 32, 4), np.uint8)),
    "single_colour.png": lambda: files.png_bytes(np.full((32, 32, 4), (40, 80, 160, 255), np.uint8)),
    "animated.gif": lambda: files.animated("GIF"),
    "animated.webp": lambda: files.animated("WEBP"),
    "gray16.png": files.gray16,
    "cmyk.jpg": files.cmyk_jpeg,
    "favicon.ico": lambda: files.favicon_ico(disc(48)),
    "logo.avif": lambda: files.avif_bytes(disc(96, 30.0)),
}
BAD = {
    "empty.png": (lambda: b"", "empty"),
    "text.png": (lambda: b"just some text, not an image\n", "not a supported image"),
    "truncated.png": (lambda: files.png_bytes(disc())[:300], "corrupt"),
    "huge.png": (files.huge_header_png, "10,000,000,000 pixels"),
    "bomb.ico": (lambda: files.ico_bytes([files.huge_header_png(5_000, 5_000)]), "the limit is"),
}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_unusual_but_valid_images_convert(tmp_path: Path, name: str) -> None:
    src = tmp_path / name
    src.write_bytes(GOOD[name]())
    out = tmp_path / "out.svg"
    res = runner.invoke(app, ["convert", str(src), "-o", str(out), "--tier", "1", "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert out.read_text().startswith("<svg") and summary["ssim"] > 0.5


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_files_give_a_message_and_exit_1(tmp_path: Path, name: str) -> None:
    make, fragment = BAD[name]
    src = tmp_path / name
    src.write_bytes(make())
    res = runner.invoke(app, ["convert", str(src), "-o", str(tmp_path / "x.svg")])
    assert res.exit_code == 1
    assert fragment in res.stderr and "Traceback" not in res.output
    assert not (tmp_path / "x.svg").exists()


def test_parameter_out_of_range_is_a_cli_error(tmp_path: Path) -> None:
    src = tmp_path / "a.png"
    src.write_bytes(files.png_bytes(disc()))
    res = runner.invoke(app, ["convert", str(src), "-p", "filter_speckle=500"])
    assert res.exit_code == 1 and "filter_speckle" in res.stderr and "0 to 128" in res.stderr
    res = runner.invoke(app, ["convert", str(src), "-p", "nonsense"])
    assert res.exit_code == 1 and "NAME=VALUE" in res.stderr


def test_convert_json_matches_a_recomputation(tmp_path: Path) -> None:
    src, out = tmp_path / "logo.png", tmp_path / "logo.svg"
    src.write_bytes(files.png_bytes(disc(80, 30.0, (10, 120, 60))))
    proc = subprocess.run([sys.executable, "-m", "cli.main", "convert", str(src), "-o", str(out), "--json"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    recomputed = measure(out.read_text(), load_image(src).rgba)
    assert summary["ssim"] == pytest.approx(recomputed.ssim, abs=1e-9)
    assert summary["bytes"] == recomputed.bytes and summary["paths"] == recomputed.paths
    assert {"psnr", "tier", "logo_type", "params", "seconds"} <= summary.keys()


def test_batch_skips_a_bad_file_and_exits_1(tmp_path: Path) -> None:
    src, out = tmp_path / "in", tmp_path / "out"
    (src / "sub").mkdir(parents=True)
    (src / "a.png").write_bytes(files.png_bytes(disc()))
    (src / "sub" / "b.png").write_bytes(files.png_bytes(disc(48, 12.0, (0, 0, 0))))
    (src / "favicon.ico").write_bytes(files.favicon_ico(disc(32, 10.0)))
    (src / "broken.png").write_bytes(b"not an image")
    (src / "notes.txt").write_text("ignored: not an image suffix")
    proc = subprocess.run([sys.executable, "-m", "cli.main", "batch", str(src), "-o", str(out), "-w", "2"],
                          capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 1
    assert (out / "a.svg").exists() and (out / "sub" / "b.svg").exists() and (out / "favicon.svg").exists()
    assert not (out / "broken.svg").exists()
    assert "3 converted, 1 failed" in proc.stdout and "broken.png" in proc.stderr


def test_batch_on_a_missing_folder(tmp_path: Path) -> None:
    res = runner.invoke(app, ["batch", str(tmp_path / "nope"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 1 and "not a folder" in res.stderr
