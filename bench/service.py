"""Service benchmark: gateway latency and throughput, worker memory, on this machine.

    python -m bench.service [--requests 2000] [--concurrency 32] [--tier1-seconds 20]

Starts its own redis-server, one gateway (uvicorn, one process) and, for the memory figures, one
worker, all on loopback; a concurrent async client (httpx) drives the gateway. Writes
bench/results/service.json and prints a table.
- submit: POST /v1/jobs with Tier 2 for distinct images (cache misses: validate, hash, store, enqueue);
  no worker consumes the queue during this phase, so only the gateway is measured;
- cache hit: POST /v1/jobs of an image whose result is cached;
- Tier 1: POST /v1/convert of the bundled examples at full pool, conversions per second;
- worker: RSS of a warm worker (main + pool process) and its warm-up (model load) time.
"""

import argparse
import asyncio
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from PIL import Image

from tests.service_fixtures import child_pids, start_gateway, start_redis, start_worker, stop, wait_until

RESULTS = Path("bench/results")
EXAMPLES = sorted(p for p in Path("examples").iterdir() if p.suffix in (".png", ".jpg"))


def distinct_pngs(n: int, side: int = 64) -> list[bytes]:
    """`n` different small PNGs (one pixel encodes the index), so each submission misses the cache."""
    out = []
    for i in range(n):
        rgba = np.zeros((side, side, 4), np.uint8)
        rgba[16:48, 16:48] = (200, 30, 30, 255)
        rgba[0, 0] = (i % 256, (i // 256) % 256, 7, 255)
        buf = io.BytesIO()
        Image.fromarray(rgba).save(buf, "PNG")
        out.append(buf.getvalue())
    return out


def percentiles(latencies_s: list[float]) -> dict[str, float]:
    ms = np.array(latencies_s) * 1000
    return {**{f"p{q}_ms": round(float(np.percentile(ms, q)), 2) for q in (50, 95, 99)},
            "n": len(latencies_s)}


async def drive(base: str, bodies: list[tuple[str, dict[str, Any]]], concurrency: int) -> dict[str, Any]:
    """POST every (path, multipart kwargs) with `concurrency` in flight; latencies and requests/s."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:

        async def one_worker() -> None:
            while not queue.empty():
                path, kwargs = queue.get_nowait()
                t = time.perf_counter()
                res = await client.post(path, **kwargs)
                latencies.append(time.perf_counter() - t)
                statuses[res.status_code] = statuses.get(res.status_code, 0) + 1

        t0 = time.perf_counter()
        await asyncio.gather(*(one_worker() for _ in range(concurrency)))
        wall = time.perf_counter() - t0
    return {**percentiles(latencies), "per_s": round(len(latencies) / wall, 1), "statuses": statuses}


def job_form(data: bytes, tier: str) -> dict[str, Any]:
    return {"files": {"file": ("x.png", data, "image/png")}, "data": {"tier": tier}}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def worker_memory(env: dict[str, str]) -> dict[str, Any]:
    """Start one worker (one pool process), wait until its pool process has warmed up, read RSS."""
    t0 = time.perf_counter()
    worker = start_worker(env, queues="tier2")
    try:
        # the pool process exists once warm-up (worker_process_init: models loaded, one conversion) is done
        wait_until(lambda: bool(child_pids(worker.pid)), 120, "worker pool process")
        pool = child_pids(worker.pid)
        readings: list[float] = []

        def settled() -> bool:  # warm-up done: the pool process' RSS stopped changing
            readings.append(sum(rss_mb(p) for p in pool))
            return len(readings) > 5 and abs(readings[-1] - readings[-5]) < 0.5

        wait_until(settled, 60, "worker warm-up")
        return {"main_rss_mb": round(rss_mb(worker.pid), 1),
                "pool_process_rss_mb": round(sum(rss_mb(p) for p in pool), 1),
                "start_to_pool_s": round(time.perf_counter() - t0, 2)}
    finally:
        stop(worker)


def model_load() -> dict[str, Any]:
    """Model load time and RSS in a fresh interpreter (what a worker pays once)."""
    code = ("import json,time,resource;t=time.perf_counter();"
            "from shared import learned;s=learned.load_models();"
            "print(json.dumps({'load_s':round(time.perf_counter()-t,3),"
            "'rss_mb':round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024,1),'status':s}))")
    try:
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                             check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
    except (subprocess.CalledProcessError, json.JSONDecodeError, IndexError) as exc:
        return {"error": str(exc)[:300]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight for throughput")
    parser.add_argument("--latency-concurrency", type=int, default=1, help="requests in flight for latency")
    parser.add_argument("--gateway-processes", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--tier1-seconds", type=float, default=20.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        redis_proc, url = start_redis(Path(tmp))
        env = {"SVGAI_REDIS_URL": url, "SVGAI_KEY_PREFIX": "svgai-bench",
               "SVGAI_TIER1_WORKERS": str(os.cpu_count() or 1)}
        gateway, base = start_gateway(env, args.gateway_processes)
        gateway_kind = f"uvicorn (uvloop, httptools), {args.gateway_processes} process(es)"
        report: dict[str, Any] = {"machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
                                  "gateway": gateway_kind}
        try:
            warm = distinct_pngs(50)
            asyncio.run(drive(base, [("/v1/jobs", job_form(d, "2")) for d in warm], 8))  # warm up
            misses = iter(distinct_pngs(2 * args.requests + 50)[50:])
            hit = EXAMPLES[0].read_bytes()
            assert httpx.post(f"{base}/v1/jobs", files={"file": ("x.png", hit, "image/png")},
                              data={"tier": "1"}, timeout=60).status_code == 200
            loads = (("latency", args.latency_concurrency), ("throughput", args.concurrency))
            for load, concurrency in loads:
                report[f"submit_tier2_enqueue_{load}"] = {**asyncio.run(drive(
                    base, [("/v1/jobs", job_form(next(misses), "2")) for _ in range(args.requests)],
                    concurrency)), "concurrency": concurrency}
                report[f"cache_hit_{load}"] = {**asyncio.run(drive(
                    base, [("/v1/jobs", job_form(hit, "1"))] * args.requests, concurrency)),
                    "concurrency": concurrency}
            examples = [p.read_bytes() for p in EXAMPLES]
            settings_pool = int(env["SVGAI_TIER1_WORKERS"])
            n = max(1, int(args.tier1_seconds * 8))
            bodies = [("/v1/convert", {"files": {"file": ("x", examples[i % len(examples)], "image/png")}})
                      for i in range(n)]
            report["tier1_convert"] = {**asyncio.run(drive(base, bodies, settings_pool * 2)),
                                       "pool_processes": settings_pool}
        finally:
            stop(gateway)
        report["worker"] = worker_memory(env)
        report["models"] = model_load()
        stop(redis_proc)
    RESULTS.mkdir(parents=True, exist_ok=True)
    suffix = "" if args.gateway_processes == 1 else f"-{args.gateway_processes}proc"
    (RESULTS / f"service{suffix}.json").write_text(json.dumps(report, indent=2) + "\n")
    for name in (*(k for k in report if k.startswith(("submit", "cache"))), "tier1_convert"):
        r = report[name]
        print(f"{name:32s} p50 {r['p50_ms']:7.2f} ms  p95 {r['p95_ms']:7.2f} ms  p99 {r['p99_ms']:7.2f} ms  "
              f"{r['per_s']:7.1f}/s  {r['statuses']}")
    print("worker", report["worker"], "models", report["models"])


if __name__ == "__main__":
    main()
