"""The CLI as users run it: in-process for the bad-input matrix, through a real subprocess end to end."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from cli.main import app
from shared.images import decode_image, load_image
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


def test_convert_reads_stdin_and_writes_stdout_in_a_pipe(tmp_path: Path) -> None:
    """`svgai convert - < logo.png > logo.svg`: the SVG alone on standard output, the report on standard
    error; `-o -` sends a named file's SVG there too, its JSON report to standard error."""
    png = files.png_bytes(disc(80, 30.0, (10, 120, 60)))
    proc = subprocess.run([sys.executable, "-m", "cli.main", "convert", "-", "--tier", "1"], input=png,
                          capture_output=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    svg = proc.stdout.decode()
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert measure(svg, decode_image(png).rgba).ssim > 0.99
    assert b"standard output: SSIM" in proc.stderr
    src = tmp_path / "logo.png"
    src.write_bytes(png)
    res = runner.invoke(app, ["convert", str(src), "-o", "-", "--tier", "1", "--json"])
    assert res.exit_code == 0, res.output
    assert res.stdout == svg  # the same image, the same SVG
    assert json.loads(res.stderr)["output"] == "-" and not (tmp_path / "logo.svg").exists()


def test_convert_from_stdin_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "logo.svg"
    res = runner.invoke(app, ["convert", "-", "-o", str(out), "--tier", "1", "--json"],
                        input=files.png_bytes(disc()))
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["input"] == "-" and out.read_text().startswith("<svg")


@pytest.mark.parametrize(("data", "fragment"), [(b"", "the file is empty"),
                                                (b"just some text\n", "not a supported image")])
def test_bad_stdin_gives_a_message_and_exit_1(data: bytes, fragment: str) -> None:
    res = runner.invoke(app, ["convert", "-"], input=data)
    assert res.exit_code == 1 and f"standard input: {fragment}" in res.stderr
    assert res.stdout == "" and "Traceback" not in res.output


def test_stdin_over_the_upload_limit_is_refused() -> None:
    """An input over the upload limit on standard input is refused as a named file over it is."""
    proc = subprocess.run([sys.executable, "-m", "cli.main", "convert", "-"], input=b"\0" * 5000,
                          capture_output=True, timeout=60, check=False,
                          env={**os.environ, "SVGAI_MAX_UPLOAD_BYTES": "1000"})
    assert proc.returncode == 1 and b"larger than" in proc.stderr and proc.stdout == b""
