"""Chaos run (issue 14's done-when): Tier 2/3 jobs with webhooks on a real stack on loopback (redis-server
on its append-only file, the gateway under uvicorn, a Celery worker with two pool processes), while
pool processes are SIGKILLed, the whole worker is SIGKILLed and restarted, and Redis is restarted on
its AOF. Afterwards every job must reach succeeded/failed/cancelled within 2 minutes (0 stuck, 0 lost)
and every succeeded job's webhook must have arrived, each job's deliveries under one webhook-id.

Bounded: the recovery settings are short here (heartbeat 1 s / 4 s, sweep every 1 s), so the whole run
takes about a minute of wall time; the figures are printed (pytest -s) and quoted in the README."""

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import pytest

from tests.conftest import disc
from tests.image_files import png_bytes
from tests.service_fixtures import (
    WebhookReceiver,
    child_pids,
    free_port,
    start_gateway,
    start_redis,
    start_worker,
    stop,
    wait_until,
)

JOBS_TIER2, JOBS_TIER3 = 16, 8
RECOVERY_S = 120.0  # the goal: every job terminal within 2 minutes of the last fault
FINAL = {"succeeded", "failed", "cancelled"}


@dataclass
class Stack:
    base: str
    env: dict[str, str]
    data_dir: Path
    redis_port: int
    redis: subprocess.Popen
    worker: subprocess.Popen
    faults: list[str] = field(default_factory=list)


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    port = free_port()
    redis_proc, url = start_redis(tmp_path, port, aof=True)
    env = {"SVGAI_REDIS_URL": url, "SVGAI_KEY_PREFIX": "svgai-chaos", "SVGAI_TIER1_WORKERS": "1",
           "SVGAI_WEBHOOK_ALLOW": '["127.0.0.1/32"]', "SVGAI_WEBHOOK_BACKOFF_S": "0.2",
           "SVGAI_WEBHOOK_BACKOFF_MAX_S": "2", "SVGAI_WEBHOOK_MAX_ATTEMPTS": "20",
           "SVGAI_HEARTBEAT_INTERVAL_S": "1", "SVGAI_HEARTBEAT_TTL_S": "4", "SVGAI_SWEEP_INTERVAL_S": "1",
           "SVGAI_QUEUED_GRACE_S": "5", "SVGAI_MAX_JOB_TRIES": "6"}
    worker = start_worker(env, concurrency=2, name="chaos@%h")
    gateway, base = start_gateway(env)
    s = Stack(base, env, tmp_path, port, redis_proc, worker)
    try:
        yield s
    finally:
        for proc in (gateway, s.worker, s.redis):
            stop(proc)


def job_images() -> list[tuple[dict[str, str], bytes]]:
    rng = np.random.default_rng(14)
    out = [({"tier": "2"}, png_bytes(disc(48 + i, 14.0 + i % 5, (i * 15 % 255, 60, 200))))
           for i in range(JOBS_TIER2)]
    for _ in range(JOBS_TIER3):
        rgba = np.zeros((72, 72, 4), np.uint8)
        for _ in range(25):
            y, x = rng.integers(0, 64, 2)
            rgba[y : y + 6, x : x + 6] = [*rng.integers(0, 255, 3), 255]
        out.append(({"tier": "3", "budget_s": "1.5", "target_ssim": "0.9999"}, png_bytes(rgba)))
    return out


def statuses(base: str, ids: list[str]) -> dict[str, str]:
    """Each job's status ('lost' when the gateway does not know it; 'unknown' while it cannot answer)."""
    out = {}
    for job_id in ids:
        try:
            res = httpx.get(f"{base}/v1/jobs/{job_id}", timeout=5)
        except httpx.HTTPError:
            out[job_id] = "unknown"
            continue
        out[job_id] = res.json()["status"] if res.status_code == 200 else "lost" if res.status_code == 404 \
            else "unknown"
    return out


def running_soon(stack: Stack, ids: list[str]) -> None:
    wait_until(lambda: "running" in statuses(stack.base, ids).values(), 60, "a running job")


def kill_pool_processes(stack: Stack) -> None:
    victims = child_pids(stack.worker.pid)
    assert victims
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    stack.faults.append(f"SIGKILL {len(victims)} pool processes")


def kill_and_restart_worker(stack: Stack) -> None:
    family = [stack.worker.pid, *child_pids(stack.worker.pid)]
    for pid in family:
        os.kill(pid, signal.SIGKILL)
    stack.worker.wait(10)
    stack.worker = start_worker(stack.env, concurrency=2, name="chaos@%h")
    stack.faults.append("SIGKILL the whole worker, restart it")


def restart_redis(stack: Stack, down_s: float = 3.0) -> None:
    stop(stack.redis)  # SIGTERM: Redis flushes its AOF (everysec) and exits
    time.sleep(down_s)  # the outage itself (not a wait for a result)
    stack.redis, _ = start_redis(stack.data_dir, stack.redis_port, aof=True)
    stack.faults.append(f"Redis down {down_s:g} s, restarted on its AOF")


def test_every_job_ends_and_every_webhook_arrives_under_faults(stack: Stack) -> None:
    receiver = WebhookReceiver()
    try:
        ids = []
        for form, data in job_images():
            res = httpx.post(f"{stack.base}/v1/jobs", files={"file": ("c.png", data, "image/png")},
                             data={**form, "webhook_url": receiver.url}, timeout=30)
            assert res.status_code == 202, res.text
            ids.append(res.json()["id"])
        running_soon(stack, ids)
        kill_pool_processes(stack)
        running_soon(stack, ids)
        kill_pool_processes(stack)
        running_soon(stack, ids)
        kill_and_restart_worker(stack)
        running_soon(stack, ids)
        restart_redis(stack)
        last_fault = time.monotonic()

        def all_final() -> bool:
            return set(statuses(stack.base, ids).values()) <= FINAL

        wait_until(all_final, RECOVERY_S, "every job terminal")
        recovered_s = time.monotonic() - last_fault
        final = statuses(stack.base, ids)
        succeeded = [i for i, status in final.items() if status == "succeeded"]
        wait_until(lambda: all(receiver.ids_by_job().get(i) for i in succeeded), 60,
                   "every webhook delivered")
        figures = {"submitted": len(ids), "succeeded": len(succeeded),
                   "failed": sum(s == "failed" for s in final.values()),
                   "cancelled": sum(s == "cancelled" for s in final.values()),
                   "stuck": sum(s not in FINAL | {"lost"} for s in final.values()),
                   "lost": sum(s == "lost" for s in final.values()),
                   "webhooks_delivered": sum(bool(receiver.ids_by_job().get(i)) for i in succeeded),
                   "duplicate_deliveries": sum(len(receiver.ids_by_job()[i]) - 1 for i in succeeded),
                   "recovered_within_s": round(recovered_s, 1), "faults": stack.faults}
        print("chaos:", json.dumps(figures))
        assert figures["stuck"] == 0 and figures["lost"] == 0
        assert figures["succeeded"] == len(ids), final
        for job_id in succeeded:
            assert set(receiver.ids_by_job()[job_id]) == {f"{job_id}.succeeded"}, "one webhook-id per job"
    finally:
        receiver.close()
