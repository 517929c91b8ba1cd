"""`make loadtest`: run a Locust scenario headless against a gateway on 127.0.0.1 and summarise it.

    python -m loadtests.run --scenario normal --duration 60 [--host http://127.0.0.1:8000] [--workers 1]

Without --host (or when nothing answers there) it starts a local stack on free loopback ports: a
redis-server, `--workers` Celery workers and one gateway. Only loopback hosts are accepted. Writes
Locust's CSVs and a JSON summary (RPS, p50/p95/p99 ms, failures per endpoint) to --out-dir
(bench/results/ by default) and prints the table.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from loadtests.scenarios import SCENARIOS
from tests.service_fixtures import start_gateway, start_redis, start_worker, stop

ROOT = Path(__file__).resolve().parents[1]


def answers(host: str) -> bool:
    try:
        return httpx.get(f"{host}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def summarise(stats_csv: Path) -> dict[str, Any]:
    """Per endpoint: requests, failures, RPS and latency percentiles (ms) from Locust's stats CSV."""
    rows = {}
    with stats_csv.open() as f:
        for row in csv.DictReader(f):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 2), "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0), "p99_ms": float(row["99%"] or 0),
            }
    return rows


def run(scenario: str, duration: int, host: str | None, workers: int, out_dir: Path) -> dict[str, Any]:
    started = []
    tmp = tempfile.TemporaryDirectory()
    try:
        if host is None or not answers(host):
            redis_proc, url = start_redis(Path(tmp.name))
            env = {"SVGAI_REDIS_URL": url, "SVGAI_KEY_PREFIX": "svgai-load",
                   "SVGAI_WEBHOOK_ALLOW": '["127.0.0.1/32"]', "SVGAI_WEBHOOK_BACKOFF_S": "0.2"}
            started = [redis_proc, *(start_worker(env) for _ in range(workers))]
            gateway, host = start_gateway(env)
            started.append(gateway)
        if urlparse(host).hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit(f"load tests run against loopback only, not {host}")
        out_dir.mkdir(parents=True, exist_ok=True)
        prefix = out_dir / f"loadtest-{scenario}"
        env = {**os.environ, "LOADTEST_SCENARIO": scenario, "LOADTEST_DURATION": str(duration)}
        subprocess.run([sys.executable, "-m", "locust", "-f", str(ROOT / "loadtests" / "locustfile.py"),
                        "--headless", "--host", host, "--csv", str(prefix), "--only-summary",
                        "--loglevel", "WARNING", "--exit-code-on-error", "0"],
                       cwd=ROOT, env=env, check=True, timeout=duration + 120)
        summary = {"scenario": scenario, "duration_s": duration, "workers": workers, "host": host,
                   "cpus": os.cpu_count(), "endpoints": summarise(Path(f"{prefix}_stats.csv"))}
        (out_dir / f"loadtest-{scenario}.json").write_text(json.dumps(summary, indent=2) + "\n")
        return summary
    finally:
        for proc in reversed(started):
            stop(proc)
        tmp.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="normal")
    parser.add_argument("--duration", type=int, default=60, help="seconds")
    parser.add_argument("--host", default=None, help="a running gateway on loopback (default: start one)")
    parser.add_argument("--workers", type=int, default=1, help="Celery workers of a started stack")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    summary = run(args.scenario, args.duration, args.host, args.workers, args.out_dir)
    print(f"{'endpoint':32} {'requests':>8} {'fail':>5} {'RPS':>7} {'p50':>7} {'p95':>7} {'p99':>7}")
    for name, r in summary["endpoints"].items():
        print(f"{name:32} {r['requests']:>8} {r['failures']:>5} {r['rps']:>7.2f} {r['p50_ms']:>7.0f} "
              f"{r['p95_ms']:>7.0f} {r['p99_ms']:>7.0f}")


if __name__ == "__main__":
    main()
