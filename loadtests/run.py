"""`make loadtest`: run a Locust scenario headless against a gateway on 127.0.0.1 and summarise it.

    python -m loadtests.run --scenario normal [--duration 60] [--host http://127.0.0.1:8000]
                            [--fresh] [--workers 1] [--concurrency 2] [--tier1-workers 2]

Uses the gateway at --host when one answers there (loopback addresses only), else starts a local stack
on free loopback ports (loadtests/stack.py: redis-server, `svgai worker`, `svgai serve`). Logs of the
stack and of Locust go to out/loadtest/<scenario>/. Writes Locust's CSVs
(bench/results/loadtest-<scenario>_*.csv) and a JSON summary (bench/results/loadtest-<scenario>.json:
per endpoint requests, failures, RPS, p50/p95/p99 ms; CPU and memory per component of a started stack;
queue depths; webhook deliveries) and prints the table.
"""

import argparse
import csv
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx

from loadtests.scenarios import SCENARIOS
from loadtests.stack import Sampler, start_stack

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def answers(host: str) -> bool:
    """Whether a ready svgai gateway answers at `host`."""
    try:
        return httpx.get(f"{host}/readyz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def summarise(stats_csv: Path) -> dict[str, dict[str, Any]]:
    """Per endpoint: requests, failures, RPS and latency percentiles (ms) from Locust's stats CSV."""
    rows = {}
    with stats_csv.open() as f:
        for row in csv.DictReader(f):
            http = row["Type"] in ("GET", "POST", "DELETE", "")
            name = row["Name"] if http else f"{row['Type']} {row['Name']}"
            rows[name] = {
                "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "rps": round(float(row["Requests/s"]), 2), "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0), "p99_ms": float(row["99%"] or 0),
            }
    return rows


def failure_messages(failures_csv: Path, limit: int = 10) -> list[dict[str, Any]]:
    """The most frequent failures (endpoint, error, count) from Locust's failures CSV."""
    if not failures_csv.exists():
        return []
    with failures_csv.open() as f:
        rows = [{"name": r["Name"], "error": r["Error"][:200], "count": int(r["Occurrences"])}
                for r in csv.DictReader(f)]
    return sorted(rows, key=lambda r: -r["count"])[:limit]


def run_locust(host: str, scenario: str, duration: int, prefix: Path, extra_file: Path,
               webhook_secret: str | None, processes: dict[str, int], log: Path) -> dict[str, Any]:
    """Locust headless against `host` while sampling `processes` (name -> pid); returns the samples.
    Locust's own output goes to `log`."""
    env = {**os.environ, "LOADTEST_SCENARIO": scenario, "LOADTEST_DURATION": str(duration),
           "LOADTEST_EXTRA_FILE": str(extra_file)}
    if webhook_secret:
        env["LOADTEST_WEBHOOK_SECRET"] = webhook_secret
    locust = subprocess.Popen(
        [sys.executable, "-m", "locust", "-f", str(ROOT / "loadtests" / "locustfile.py"), "--headless",
         "--host", host, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING",
         "--exit-code-on-error", "0"], cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    sampler = Sampler({**processes, "locust": locust.pid}, host)
    sampler.start()
    try:
        code = locust.wait(timeout=duration + 120)
    finally:
        sampler.stop()
        if locust.poll() is None:
            locust.kill()
    if code != 0:
        raise RuntimeError(f"locust exited with {code}; see {log}")
    return sampler.summary()


def run(scenario: str, duration: int | None, host: str, fresh: bool, workers: int, concurrency: int,
        tier1_workers: int, out_dir: Path) -> dict[str, Any]:
    """Run one scenario and write its CSVs and JSON summary to `out_dir`; returns the summary."""
    if urlparse(host).hostname not in LOOPBACK:
        raise SystemExit(f"load tests run against loopback only, not {host}")
    spec = SCENARIOS[scenario]
    duration = duration or spec.default_s
    out_dir.mkdir(parents=True, exist_ok=True)
    prefix = out_dir / f"loadtest-{scenario}"
    extra_file = out_dir / f".loadtest-{scenario}-extra.json"
    log_dir = ROOT / "out" / "loadtest" / scenario
    log_dir.mkdir(parents=True, exist_ok=True)
    stack = None
    if fresh or not answers(host):
        stack = start_stack(log_dir, workers, concurrency, tier1_workers)
        host = stack.host
    try:
        load_before = os.getloadavg()[0]
        processes = {name: p.pid for name, p in stack.processes.items()} if stack else {}
        secret = stack.env["SVGAI_WEBHOOK_SECRET"] if stack else os.environ.get("SVGAI_WEBHOOK_SECRET")
        started = time.time()
        sampled = run_locust(host, scenario, duration, prefix, extra_file, secret, processes,
                             log_dir / "locust.log")
    finally:
        if stack:
            stack.stop()
    extra = json.loads(extra_file.read_text()) if extra_file.exists() else {}
    extra_file.unlink(missing_ok=True)
    summary = {
        "scenario": scenario, "about": spec.about, "steps": spec.steps, "duration_s": duration,
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "stack": ({"started_here": True, "workers": workers, "worker_concurrency": concurrency,
                   "tier1_workers": tier1_workers} if stack else {"started_here": False, "host": host}),
        "machine": {"cpus": os.cpu_count(), "load_avg_1m_before": round(load_before, 2)},
        "endpoints": summarise(Path(f"{prefix}_stats.csv")),
        "top_failures": failure_messages(Path(f"{prefix}_failures.csv")),
        **sampled, **extra,
    }
    (out_dir / f"loadtest-{scenario}.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def print_summary(summary: dict[str, Any]) -> None:
    """The per-endpoint table, then resources, queues and webhooks."""
    print(f"\nscenario {summary['scenario']} ({summary['duration_s']} s): {summary['about']}")
    print(f"{'endpoint':42} {'requests':>8} {'fail':>5} {'RPS':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for name, r in summary["endpoints"].items():
        print(f"{name[:42]:42} {r['requests']:>8} {r['failures']:>5} {r['rps']:>7.2f} {r['p50_ms']:>8.0f} "
              f"{r['p95_ms']:>8.0f} {r['p99_ms']:>8.0f}")
    for name, r in summary.get("resources", {}).items():
        print(f"  {name:10} CPU mean {r['cpu_mean_pct']:6.1f} %  max {r['cpu_max_pct']:6.1f} %  "
              f"RSS max {r['rss_max_mb']:7.1f} MB")
    for queue, q in summary.get("queues", {}).items():
        print(f"  queue {queue:9} max {q['max']:5d}  at the end {q['last']:5d}")
    if "webhooks" in summary:
        print(f"  webhooks {summary['webhooks']}")
    for failure in summary.get("top_failures", []):
        print(f"  failure x{failure['count']}: {failure['name']}: {failure['error']}")


def main() -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), default="normal")
    parser.add_argument("--duration", type=int, default=None, help="seconds (default: the scenario's)")
    parser.add_argument("--host", default="http://127.0.0.1:8000",
                        help="a gateway on loopback, used if it answers")
    parser.add_argument("--fresh", action="store_true", help="always start a local stack")
    parser.add_argument("--workers", type=int, default=1, help="Celery workers of a started stack")
    parser.add_argument("--concurrency", type=int, default=2, help="processes per worker of a started stack")
    parser.add_argument("--tier1-workers", type=int, default=2, help="Tier 1 pool of a started gateway")
    parser.add_argument("--out-dir", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    print_summary(run(args.scenario, args.duration, args.host, args.fresh, args.workers, args.concurrency,
                      args.tier1_workers, args.out_dir))


if __name__ == "__main__":
    main()
