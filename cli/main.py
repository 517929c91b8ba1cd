"""`svgai convert`, `svgai batch` (and, with the service, `svgai serve` / `svgai worker`)."""

import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from shared.errors import SvgaiError
from shared.images import read_limited
from shared.params import loads_bounded

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Raster logos and icons to clean SVG.")
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
STREAM = "-"  # the image or the SVG path that stands for standard input / output
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".ico", ".avif"}

SourceArg = Annotated[Path, typer.Argument(help="PNG, JPEG, WebP, AVIF, GIF or ICO file; - reads stdin")]
OutputOpt = Annotated[Path | None, typer.Option(
    "--output", "-o", help="SVG path (default: IN.svg); - writes stdout, the default for - as the image")]
TierOpt = Annotated[str, typer.Option("--tier", "-t", help="auto, 1, 2 or 3")]
TargetOpt = Annotated[
    float | None, typer.Option("--target-ssim", help="quality goal, SSIM in (0, 1] (default from settings)")
]
ParamOpt = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="fix a parameter, NAME=VALUE (repeatable), e.g. -p mode=spline"),
]
WorkersOpt = Annotated[int | None, typer.Option("--workers", "-w", min=1, help="processes (default: CPUs)")]
BudgetOpt = Annotated[float | None, typer.Option("--budget", help="time budget for Tiers 2/3, seconds")]


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """`NAME=VALUE` strings to a dict; values are read as JSON when they parse, else as strings.
    A palette may be given as comma-separated colours."""
    overrides: dict[str, Any] = {}
    for item in items or []:
        name, sep, raw = item.partition("=")
        if not sep or not name.strip():
            raise SvgaiError(f"--param expects NAME=VALUE, got {item!r}")
        name = name.strip()
        if name == "palette":
            overrides[name] = [c.strip() for c in raw.split(",") if c.strip()]
            continue
        try:
            overrides[name] = loads_bounded(raw, f"--param {name}")
        except json.JSONDecodeError:
            overrides[name] = raw
    return overrides


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=1)


@app.command()
def convert(
    source: SourceArg,
    output: OutputOpt = None,
    tier: TierOpt = "auto",
    target_ssim: TargetOpt = None,
    param: ParamOpt = None,
    budget: BudgetOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object with the figures")] = False,
) -> None:
    """Convert one image to SVG and report how good it is. With `-` for the image it is read from standard
    input, and with `-` for the output (the default then) the SVG goes to standard output and the report
    (`--json` too) to standard error, so that `svgai convert - < logo.png > logo.svg` works in a pipe."""
    from shared.pipeline import convert_bytes, convert_file

    stdin = click.get_binary_stream("stdin")
    from_stdin = str(source) == STREAM
    to_stdout = str(output) == STREAM if output is not None else from_stdin
    if from_stdin and stdin.isatty():
        raise _fail("no image on standard input (it is a terminal): pipe one in, or name a file")
    try:
        # Tiers 2/3 measure candidates in this pool; worker processes start only when first used.
        with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            overrides = parse_overrides(param)
            options: dict[str, Any] = {"tier": tier, "target_ssim": target_ssim, "overrides": overrides,
                                       "budget_s": budget, "executor": pool}
            result = (convert_bytes(read_limited(stdin), **options) if from_stdin
                      else convert_file(source, **options))
    except SvgaiError as exc:
        raise _fail(f"{'standard input' if from_stdin else source}: {exc}") from None
    target = Path(STREAM) if to_stdout else output or source.with_suffix(".svg")
    try:
        if to_stdout:
            click.get_text_stream("stdout").write(result.svg)
        else:
            target.write_text(result.svg, encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {target}: {exc.strerror}") from None
    report = err if to_stdout else out
    if as_json:
        print(json.dumps({"input": str(source), "output": str(target), **result.summary()}), file=report.file)
        return
    f = result.figures
    written = "standard output" if to_stdout else target
    report.print(
        f"{written}: SSIM {f.ssim:.4f}, PSNR {f.psnr:.1f} dB, {f.bytes:,} bytes ({f.gzip_bytes:,} gzip), "
        f"{f.paths} paths, Tier {result.tier} ({result.reason}), {result.logo_type}, {result.seconds:.2f} s",
        highlight=False,
    )


@dataclass(frozen=True)
class BatchRow:
    """One file of a batch: its figures, or the error that stopped it."""

    source: str
    ok: bool
    bytes_in: int
    summary: dict[str, Any] | None = None
    error: str | None = None


def _convert_one(source: Path, target: Path, options: dict[str, Any]) -> BatchRow:
    """Runs in a pool process; never raises for a bad file."""
    from shared.pipeline import convert_file

    size = source.stat().st_size if source.exists() else 0
    try:
        result = convert_file(source, **options)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(result.svg, encoding="utf-8")
    except (SvgaiError, OSError) as exc:
        return BatchRow(str(source), False, size, error=str(exc))
    return BatchRow(str(source), True, size, summary=result.summary())


def find_images(folder: Path) -> list[Path]:
    """Image files under `folder` (recursive, by suffix; the content decides later), sorted."""
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
    )


def _print_batch(rows: list[BatchRow], wall_s: float) -> None:
    table = Table(title="svgai batch")
    for col in ("file", "tier", "type", "SSIM", "bytes", "paths", "seconds"):
        table.add_column(col, justify="left" if col in ("file", "type") else "right")
    for row in rows:
        name = Path(row.source).name
        if row.ok and row.summary is not None:
            s = row.summary
            table.add_row(name, str(s["tier"]), s["logo_type"], f"{s['ssim']:.4f}", f"{s['bytes']:,}",
                          str(s["paths"]), f"{s['seconds']:.2f}")
        else:
            table.add_row(name, "-", "-", "[red]failed[/]", "-", "-", "-")
    out.print(table)
    done = [r.summary for r in rows if r.ok and r.summary is not None]
    failed = [r for r in rows if not r.ok]
    ssim = statistics.median(s["ssim"] for s in done) if done else float("nan")
    out.print(
        f"{len(done)} converted, {len(failed)} failed; median SSIM {ssim:.4f}; "
        f"bytes in {sum(r.bytes_in for r in rows):,} → out {sum(s['bytes'] for s in done):,}; "
        f"{wall_s:.1f} s",
        highlight=False,
    )
    for row in failed:
        err.print(f"[red]failed:[/] {row.source}: {row.error}", highlight=False)


@app.command()
def batch(
    folder: Annotated[Path, typer.Argument(help="folder of images (searched recursively)")],
    output: Annotated[Path, typer.Option("--output", "-o", help="folder for the SVGs")],
    tier: TierOpt = "auto",
    target_ssim: TargetOpt = None,
    param: ParamOpt = None,
    budget: BudgetOpt = None,
    workers: WorkersOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="print one JSON object per file")] = False,
) -> None:
    """Convert every image in a folder with a process pool; bad files are reported, not fatal."""
    if not folder.is_dir():
        raise _fail(f"{folder} is not a folder")
    try:
        from shared.pipeline import validate_options

        overrides = parse_overrides(param)
        validate_options(tier, target_ssim, overrides, budget)  # once, before the pool starts
        options = {"tier": tier, "target_ssim": target_ssim, "overrides": overrides, "budget_s": budget}
    except SvgaiError as exc:
        raise _fail(str(exc)) from None
    sources = find_images(folder)
    if not sources:
        raise _fail(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) found in {folder}")
    t0 = time.perf_counter()
    rows: list[BatchRow] = []
    n_workers = min(workers or os.cpu_count() or 1, len(sources))
    progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=err, transient=not err.is_terminal)
    with progress, ProcessPoolExecutor(max_workers=n_workers) as pool:
        task = progress.add_task("converting", total=len(sources))
        futures = [
            pool.submit(_convert_one, src, output / src.relative_to(folder).with_suffix(".svg"), options)
            for src in sources
        ]
        for future in as_completed(futures):
            rows.append(future.result())
            progress.advance(task)
    rows.sort(key=lambda r: r.source)
    if as_json:
        for row in rows:
            print(json.dumps({"input": row.source, "ok": row.ok, "error": row.error, **(row.summary or {})}))
    else:
        _print_batch(rows, time.perf_counter() - t0)
    if any(not r.ok for r in rows):
        raise typer.Exit(code=1)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
) -> None:
    """Start the HTTP gateway (needs Redis at SVGAI_REDIS_URL and a worker for Tiers 2/3). Logs are JSON
    lines on stderr, uvicorn's access lines included. On SIGTERM, requests in flight get up to a Tier 1
    run's hard limit to finish; then the pool's processes are ended."""
    import uvicorn

    from api.tier1_pool import HARD_LIMIT_GRACE_S
    from shared.config import get_settings
    from shared.logs import configure_json_logging

    configure_json_logging()
    uvicorn.run("api.app:app", host=host, port=port, log_config=None, log_level="info",
                timeout_graceful_shutdown=round(get_settings().tier1_timeout_s + HARD_LIMIT_GRACE_S))


@app.command()
def worker(
    queues: Annotated[str, typer.Option(help="comma-separated queues")] = "tier2,tier3,webhooks",
    concurrency: Annotated[int, typer.Option(min=1, help="worker processes")] = os.cpu_count() or 1,
) -> None:
    """Start a Celery worker for the Tier 2/3 queues. Logs are JSON lines on stderr (Celery's banner is
    left out: --quiet)."""
    from shared.logs import configure_json_logging
    from workers.app import celery_app

    configure_json_logging()  # before Celery starts: its own warnings (e.g. running as root) too
    celery_app.start(["--quiet", "worker", "-Q", queues, "--concurrency", str(concurrency),
                      "--loglevel", "INFO"])


def main() -> None:  # pragma: no cover - console entry
    app()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
