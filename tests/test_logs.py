"""Structured logs: one JSON object per line with the job id as its own field, and every line of
`svgai serve` and `svgai worker` JSON (uvicorn's access lines, Celery's lines)."""

import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import httpx

from shared.logs import JsonFormatter
from tests.conftest import disc
from tests.image_files import png_bytes
from tests.service_fixtures import ROOT, free_port, start_redis, stop


def test_log_lines_are_json_with_extra_fields() -> None:
    record = logging.LogRecord("svgai.worker", logging.INFO, __file__, 1, "job %s", ("done",), None)
    record.job_id = "abc123"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "job done" and entry["job_id"] == "abc123"
    assert entry["level"] == "info" and entry["logger"] == "svgai.worker" and entry["time"]


def test_exceptions_are_kept_in_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("svgai", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["exception"]



def run_and_stop(command: list[str], env: dict[str, str], ready: str,
                 exercise: Callable[[], None] | None = None) -> tuple[str, str]:
    """Run `svgai COMMAND` until its stderr shows `ready`, then `exercise()`, then SIGTERM: its
    (stdout, stderr)."""
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", *command], cwd=ROOT, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # readiness of a process we started: its own log line
        line = proc.stderr.readline()
        lines.append(line)
        if not line or ready in line:
            break
    if exercise is not None:
        exercise()
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    return out, "".join(lines) + err


def json_lines(text: str) -> list[dict]:
    """Every non-empty line as a JSON object (json.loads raises on any other line)."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_every_line_of_svgai_serve_is_json(tmp_path: Path) -> None:
    redis_proc, url = start_redis(tmp_path)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    image = png_bytes(disc(40, 12.0))

    def exercise() -> None:
        assert httpx.get(f"{base}/healthz").status_code == 200
        ok = httpx.post(f"{base}/v1/convert", files={"file": ("a.png", image)}, timeout=60)
        assert ok.status_code == 200
        assert httpx.post(f"{base}/v1/convert", files={"file": ("a.png", b"nope")}).status_code == 415

    env = {"SVGAI_REDIS_URL": url, "SVGAI_TIER1_WORKERS": "1"}
    try:
        out, err = run_and_stop(["serve", "--port", str(port)], env, "Uvicorn running", exercise)
    finally:
        stop(redis_proc)
    entries = json_lines(out) + json_lines(err)
    access = {(e["method"], e["path"], e["status"]) for e in entries if e["logger"] == "uvicorn.access"}
    assert access >= {("GET", "/healthz", 200), ("POST", "/v1/convert", 200), ("POST", "/v1/convert", 415)}
    assert any(e["logger"] == "uvicorn.error" and "Started server process" in e["message"] for e in entries)


def test_every_log_line_of_svgai_worker_is_json(tmp_path: Path) -> None:
    redis_proc, url = start_redis(tmp_path)
    try:
        out, err = run_and_stop(["worker", "--concurrency", "1"],
                                {"SVGAI_REDIS_URL": url, "SVGAI_WORKER_METRICS_PORT": "0"}, "ready.")
    finally:
        stop(redis_proc)
    assert any(e["logger"].startswith("celery") and "ready" in e["message"] for e in json_lines(err))
    # stdout: only the notice Celery prints from inside its SIGTERM handler, where nothing may log
    assert [line for line in out.splitlines() if line.strip()] == ["worker: Warm shutdown (MainProcess)"]
