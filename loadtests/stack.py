"""A local svgai stack on loopback for load tests: a redis-server, Celery workers and the gateway, each
on a free port, with their logs in files; plus a sampler of their CPU and memory while a test runs.

The first worker is `svgai worker`; further replicas are the same Celery worker with their own node
names (`svgai worker` has no name option, and two workers of one name confuse Celery's control
commands). The gateway is `svgai serve` (uvicorn, api.app:app), as in the container images.
"""

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psutil
import redis

QUEUES = "tier2,tier3,webhooks"


def free_port() -> int:
    """A TCP port nobody listens on at the moment (loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: Callable[[], bool], timeout_s: float, what: str) -> None:
    """Poll `check()` until it is true, or raise."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except Exception:  # not up yet
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not become ready within {timeout_s} s")


def svgai_command() -> list[str]:
    """The `svgai` CLI of this interpreter's environment."""
    script = Path(sys.executable).with_name("svgai")
    if script.exists():
        return [str(script)]
    found = shutil.which("svgai")
    if found is None:
        raise RuntimeError("the svgai command is not installed (make install)")
    return [found]


@dataclass
class Stack:
    """Processes of a started stack, by component name (redis, worker0.., gateway)."""

    host: str
    redis_url: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)

    def stop(self) -> None:
        """SIGTERM every process (gateway first, Redis last), SIGKILL what is left after 20 s."""
        for proc in reversed(self.processes.values()):
            if proc.poll() is None:
                proc.terminate()
        for proc in reversed(self.processes.values()):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def start_stack(log_dir: Path, workers: int = 1, concurrency: int = 2, tier1_workers: int = 2,
                webhook_secret: str = "loadtest-webhook-secret") -> Stack:
    """Start redis-server, `workers` Celery workers (`concurrency` processes each) and the gateway
    (`tier1_workers` Tier 1 processes), all on loopback; return once each one answers."""
    server = shutil.which("redis-server")
    if server is None:
        raise RuntimeError("redis-server is not installed (make redis-server)")
    log_dir.mkdir(parents=True, exist_ok=True)
    redis_port, api_port = free_port(), free_port()
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {"SVGAI_REDIS_URL": redis_url, "SVGAI_KEY_PREFIX": "svgai-load", "SVGAI_API_KEYS": "[]",
           "SVGAI_WEBHOOK_ALLOW": '["127.0.0.1/32"]', "SVGAI_WEBHOOK_SECRET": webhook_secret,
           "SVGAI_WEBHOOK_BACKOFF_S": "0.5", "SVGAI_TIER1_WORKERS": str(tier1_workers)}
    stack = Stack(host=f"http://127.0.0.1:{api_port}", redis_url=redis_url, env=env)
    full_env = {**os.environ, **env}
    root = Path(__file__).resolve().parents[1]

    def spawn(name: str, argv: list[str]) -> None:
        log = (log_dir / f"{name}.log").open("wb")
        stack.processes[name] = subprocess.Popen(argv, cwd=root, env=full_env, stdout=log,
                                                 stderr=subprocess.STDOUT)

    try:
        spawn("redis", [server, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "no", "--dir", str(log_dir)])
        wait_until(lambda: bool(redis.Redis.from_url(redis_url).ping()), 10, "redis-server")
        for i in range(workers):
            options = ["--concurrency", str(concurrency)]
            if i == 0:
                spawn("worker0", [*svgai_command(), "worker", "--queues", QUEUES, *options])
            else:
                spawn(f"worker{i}", [sys.executable, "-m", "celery", "-A", "workers.app", "worker",
                                     "-Q", QUEUES, *options, "-n", f"load{i}@%h", "--loglevel", "INFO"])
        spawn("gateway", [*svgai_command(), "serve", "--host", "127.0.0.1", "--port", str(api_port)])
        wait_until(lambda: httpx.get(f"{stack.host}/readyz", timeout=2).status_code == 200, 60, "gateway")
        wait_until(lambda: len(_ping(redis_url)) >= workers, 90, "celery workers")
    except BaseException:
        stack.stop()
        raise
    return stack


def _ping(redis_url: str) -> list[dict[str, Any]]:
    from celery import Celery

    app = Celery(broker=redis_url)
    try:
        return app.control.ping(timeout=1.0) or []
    finally:
        app.close()


class Sampler(threading.Thread):
    """Every `interval_s`: CPU (percent of one core) and RSS of each component, with its children
    (pool processes), and the queue depths from the gateway's /metrics (svgai_queue_depth)."""

    def __init__(self, processes: dict[str, int], host: str | None, interval_s: float = 1.0) -> None:
        super().__init__(daemon=True)
        self.pids, self.host, self.interval_s = processes, host, interval_s
        self.samples: dict[str, list[tuple[float, float]]] = {name: [] for name in processes}
        self.queues: dict[str, list[float]] = {}
        self._stop_event = threading.Event()
        self._known: dict[int, psutil.Process] = {}

    def _tree(self, pid: int) -> list[psutil.Process]:
        try:
            root = psutil.Process(pid)
            tree = [root, *root.children(recursive=True)]
        except psutil.Error:
            return []
        return [self._known.setdefault(p.pid, p) for p in tree]

    def _sample(self) -> None:
        for name, pid in self.pids.items():
            cpu = rss = 0.0
            for proc in self._tree(pid):
                try:
                    cpu += proc.cpu_percent(None)
                    rss += proc.memory_info().rss / 2**20
                except psutil.Error:
                    continue
            self.samples[name].append((cpu, rss))
        if self.host:
            try:
                text = httpx.get(f"{self.host}/metrics", timeout=2).text
            except httpx.HTTPError:
                return
            for line in text.splitlines():
                if line.startswith("svgai_queue_depth{"):
                    queue = line.split('queue="', 1)[1].split('"', 1)[0]
                    self.queues.setdefault(queue, []).append(float(line.rsplit(" ", 1)[1]))

    def run(self) -> None:
        """Sample until `stop()`; the first CPU reading of a process primes its counter and reads 0."""
        while not self._stop_event.wait(self.interval_s):
            self._sample()

    def stop(self) -> None:
        """End sampling and wait for the thread."""
        self._stop_event.set()
        self.join(timeout=10)

    def summary(self) -> dict[str, Any]:
        """Mean and max CPU (100 = one core), max RSS in MB per component; max and last queue depth."""
        resources = {}
        for name, rows in self.samples.items():
            rows = rows[1:] or rows  # the first reading primes cpu_percent
            if rows:
                cpus = [c for c, _ in rows]
                resources[name] = {"cpu_mean_pct": round(sum(cpus) / len(cpus), 1),
                                   "cpu_max_pct": round(max(cpus), 1),
                                   "rss_max_mb": round(max(r for _, r in rows), 1)}
        queues = {q: {"max": int(max(v)), "last": int(v[-1])} for q, v in self.queues.items() if v}
        return {"resources": resources, "queues": queues}
