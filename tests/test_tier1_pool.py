"""The gateway's Tier 1 pool against the real `svgai serve` process (its own Redis, no worker needed):
a pool process killed with SIGKILL, idle or mid-run, costs at most a 503 with Retry-After, never a 500;
/readyz reports the pool; SIGTERM ends the gateway and every pool process promptly."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import disc
from tests.image_files import png_bytes
from tests.service_fixtures import ROOT, child_pids, free_port, start_redis, stop, wait_until

SMALL = png_bytes(disc(64, 20.0, (30, 90, 200)))
SLOW = png_bytes(disc(2048, 700.0, (200, 60, 30)))  # seconds of Tier 1 work: long enough to be killed in


def pool_processes(gateway_pid: int) -> list[int]:
    """The gateway's pool processes: its children but multiprocessing's resource tracker."""
    found = []
    for pid in child_pids(gateway_pid):
        try:
            if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                found.append(pid)
        except OSError:
            continue
    return found


def running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class Gateway:
    def __init__(self, redis_url: str, workers: int = 2) -> None:
        self.port = free_port()
        env = {**os.environ, "SVGAI_REDIS_URL": redis_url, "SVGAI_KEY_PREFIX": "svgai-pool",
               "SVGAI_TIER1_WORKERS": str(workers)}
        self.proc = subprocess.Popen([sys.executable, "-m", "cli.main", "serve", "--port", str(self.port)],
                                     cwd=ROOT, env=env)
        self.base = f"http://127.0.0.1:{self.port}"
        wait_until(lambda: httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200, 60, "gateway")

    def convert(self, image: bytes = SMALL, timeout: float = 120) -> httpx.Response:
        return httpx.post(f"{self.base}/v1/convert", files={"file": ("a.png", image, "image/png")},
                          timeout=timeout)

    def ready(self) -> dict:
        res = httpx.get(f"{self.base}/readyz", timeout=10)
        assert res.status_code == 200, res.text
        return res.json()


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    proc, url = start_redis(tmp_path)
    yield url
    stop(proc)


@pytest.fixture
def gateway(redis_url: str) -> Iterator[Gateway]:
    gw = Gateway(redis_url)
    yield gw
    if gw.proc.poll() is None:
        stop(gw.proc)


def assert_ok_or_retry(res: httpx.Response) -> None:
    """Either the SVG or a 503 that says when to come back: never a 500."""
    assert res.status_code in (200, 503), (res.status_code, res.text[:300])
    if res.status_code == 503:
        assert int(res.headers["retry-after"]) >= 1 and res.json()["detail"]


def test_an_idle_pool_process_killed_is_replaced(gateway: Gateway) -> None:
    assert gateway.convert().status_code == 200
    victim = pool_processes(gateway.proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    answers = [gateway.convert() for _ in range(4)]
    for res in answers:
        assert_ok_or_retry(res)
    assert answers[-1].status_code == 200
    pool = gateway.ready()["tier1_pool"]
    assert pool["alive"] == pool["processes"] == 2 and pool["restarts"] >= 1
    assert victim not in pool_processes(gateway.proc.pid)


def test_a_pool_process_killed_mid_run_gives_503_then_recovers(gateway: Gateway) -> None:
    assert gateway.convert().status_code == 200
    answers: list[httpx.Response] = []
    slow = threading.Thread(target=lambda: answers.append(gateway.convert(SLOW)))
    slow.start()
    wait_until(lambda: gateway.ready()["tier1_pool"]["busy"] == 1, 30, "a run in progress")
    for pid in pool_processes(gateway.proc.pid):
        os.kill(pid, signal.SIGKILL)
    slow.join(60)
    assert answers and answers[0].status_code == 503, answers and answers[0].text
    assert int(answers[0].headers["retry-after"]) >= 1 and "replaced" in answers[0].json()["detail"]
    for _ in range(3):
        assert_ok_or_retry(gateway.convert())
    assert gateway.convert().status_code == 200
    job = httpx.post(f"{gateway.base}/v1/jobs", files={"file": ("a.png", SMALL, "image/png")},
                     data={"tier": "1"}, timeout=60)
    assert job.status_code == 200 and job.json()["status"] == "succeeded"


def test_sigterm_ends_the_gateway_and_its_pool_promptly(gateway: Gateway) -> None:
    assert gateway.convert().status_code == 200
    children = child_pids(gateway.proc.pid)
    assert pool_processes(gateway.proc.pid)
    os.kill(pool_processes(gateway.proc.pid)[0], signal.SIGKILL)  # a dead one must not hang shutdown
    assert_ok_or_retry(gateway.convert())
    started = time.monotonic()
    gateway.proc.send_signal(signal.SIGTERM)
    assert gateway.proc.wait(timeout=20) in (0, -signal.SIGTERM)  # uvicorn re-raises the signal it got
    assert time.monotonic() - started < 15
    wait_until(lambda: not any(running(pid) for pid in children), 10, "pool processes gone")
    with socket.socket() as s:  # nothing left holds the listening socket
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", gateway.port))
        s.listen()
