"""A real Redis server and a real Celery worker, started for the service tests on free local ports."""

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import redis

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    """Poll `check()` until it is true (readiness of a process we started), or fail the test."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:
            pass
        time.sleep(0.05)
    raise AssertionError(f"{what} did not become ready within {timeout_s} s")


def start_redis(data_dir: Path, port: int | None = None, aof: bool = False) -> tuple[subprocess.Popen, str]:
    """A redis-server on loopback (a free port unless given), ready to answer; no persistence unless
    `aof` (append-only file in `data_dir`, fsync every second, as deployed)."""
    server = shutil.which("redis-server")
    if server is None:
        pytest.fail("redis-server is not installed (make test installs it with apt-get)")
    port = port or free_port()
    persistence = ["--appendonly", "yes", "--appendfsync", "everysec"] if aof else ["--appendonly", "no"]
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", *persistence,
                             "--dir", str(data_dir)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    wait_until(lambda: redis.Redis.from_url(url).ping(), 10, "redis-server")
    return proc, url


def start_worker(env: dict[str, str], queues: str = "tier2,tier3,webhooks", concurrency: int = 1,
                 name: str | None = None) -> subprocess.Popen:
    """A real Celery worker (`concurrency` pool processes) with `env` on top of this process'
    environment; its metrics port is a free one unless `env` names it."""
    env = {"SVGAI_WORKER_METRICS_PORT": str(free_port()), **env}
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "workers.app", "worker", "-Q", queues, "--concurrency",
         str(concurrency), "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
         *(["--hostname", name] if name else [])],
        cwd=ROOT, env={**os.environ, **env})


def start_gateway(env: dict[str, str], processes: int = 1) -> tuple[subprocess.Popen, str]:
    """The gateway under uvicorn (`processes` workers) on a free loopback port, ready (`/healthz`)."""
    import httpx

    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--port",
                             str(port), "--log-level", "warning", "--workers", str(processes)],
                            cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: httpx.get(f"{base}/healthz", timeout=1).status_code == 200, 30, "gateway")
    return proc, base


def child_pids(pid: int) -> list[int]:
    """Process ids whose parent is `pid` (a Celery worker's pool processes), read from /proc."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
    return children


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextmanager
def settings_env(env: dict[str, str]) -> Iterator[None]:
    """These environment variables (and the settings read from them) in this process, then the old ones."""
    from shared.config import get_settings

    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    proc, url = start_redis(tmp_path_factory.mktemp("redis"))
    yield url
    stop(proc)


@pytest.fixture(scope="session")
def service_env(redis_url: str) -> Iterator[dict[str, str]]:
    """Point settings at the test Redis for this process and for the worker subprocess."""
    env = {"SVGAI_REDIS_URL": redis_url, "SVGAI_KEY_PREFIX": "svgai-test", "SVGAI_TIER1_WORKERS": "1",
           "SVGAI_WEBHOOK_ALLOW": '["127.0.0.1/32"]', "SVGAI_WEBHOOK_SECRET": "test-secret",
           "SVGAI_WEBHOOK_BACKOFF_S": "0.05", "SVGAI_WORKER_METRICS_PORT": str(free_port())}
    with settings_env(env):
        yield env


@pytest.fixture(scope="session")
def celery_worker(service_env: dict[str, str]) -> Iterator[subprocess.Popen]:
    proc = start_worker(service_env)
    from workers.broker import celery_app

    wait_until(lambda: bool(celery_app().control.ping(timeout=0.5)), 60, "celery worker")
    yield proc
    stop(proc)


class WebhookReceiver:
    """A webhook receiver on loopback: records every POST as (headers, body), answers 500 to its first
    `failures` requests and 200 after; with `hold`, each answer waits until `release` is set."""

    def __init__(self, failures: int = 0, hold: bool = False) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.arrived, self.release = threading.Event(), threading.Event()
        if not hold:
            self.release.set()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.requests.append((dict(self.headers), body))
                outer.arrived.set()
                outer.release.wait(30)
                self.send_response(500 if len(outer.requests) <= failures else 200)
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def ids_by_job(self) -> dict[str, list[str]]:
        """Every delivery's webhook-id, by the job id in its payload."""
        ids: dict[str, list[str]] = {}
        for headers, body in list(self.requests):
            ids.setdefault(json.loads(body)["job"]["id"], []).append(headers["webhook-id"])
        return ids

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
