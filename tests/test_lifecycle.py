"""The job lifecycle against a real Redis and a real Celery worker: compare-and-set transitions (a cancel
stays cancelled), `started` and the router's reason kept, recovery of lost jobs by the sweeper, the
cache not revealed across API keys, one time-limit message, Standard Webhooks deliveries (total
deadline, one webhook-id, attempts on record) and Idempotency-Key. Each test names the defect of
issue 14 it covers."""

import json
import os
import socket
import ssl
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
import redis
from fastapi.testclient import TestClient

from tests.conftest import disc
from tests.image_files import jpeg_pixels_logo, png_bytes
from tests.service_fixtures import (  # noqa: F401 - fixtures
    WebhookReceiver,
    celery_worker,
    redis_url,
    service_env,
    wait_until,
)

KEYS = ["key-a", "key-b"]


@pytest.fixture(scope="module")
def client(service_env: dict[str, str], celery_worker: object) -> Iterator[TestClient]:  # noqa: F811
    from api.app import app

    with TestClient(app) as c:
        yield c


@pytest.fixture
def store(redis_url: str) -> redis.Redis:  # noqa: F811
    return redis.Redis.from_url(redis_url)


@pytest.fixture
def env_override(service_env: dict[str, str]) -> Iterator[dict[str, str]]:  # noqa: F811
    """Settings for this test only (this process): set keys in the returned dict, then call apply()."""
    from shared.config import get_settings

    changed: dict[str, str] = {}
    yield changed
    for key in changed:
        os.environ.pop(key, None)
    get_settings.cache_clear()


def apply(changed: dict[str, str], **values: str) -> None:
    from shared.config import get_settings

    changed.update(values)
    os.environ.update(values)
    get_settings.cache_clear()


def speckled(seed: int, side: int = 96) -> bytes:
    """Many small shapes: the search cannot stop early, so a Tier 3 job runs its whole budget."""
    rng = np.random.default_rng(seed)
    rgba = np.zeros((side, side, 4), np.uint8)
    for _ in range(side // 2):
        y, x = rng.integers(0, side - 8, 2)
        rgba[y : y + 6, x : x + 6] = [*rng.integers(0, 255, 3), 255]
    return png_bytes(rgba)


def submit(client: TestClient, data: bytes, headers: dict[str, str] | None = None, **form: object) -> dict:
    res = client.post("/v1/jobs", files={"file": ("x.png", data, "image/png")},
                      data={k: str(v) for k, v in form.items()}, headers=headers or {})
    assert res.status_code in (200, 202), res.text
    return res.json()


def job(client: TestClient, job_id: str) -> dict:
    return client.get(f"/v1/jobs/{job_id}").json()


def worker_idle(store: redis.Redis) -> bool:
    """No message waiting and no task active or reserved on the worker."""
    from workers.broker import celery_app

    if any(store.llen(q) for q in ("tier2", "tier3", "webhooks")):
        return False
    inspect = celery_app().control.inspect(timeout=1)
    active, reserved = inspect.active() or {}, inspect.reserved() or {}
    return bool(active) and not any(active.values()) and not any(reserved.values())


# --- defect 6: cancel is never overwritten ---------------------------------------------------------


def test_cancel_of_a_running_job_stays_cancelled(client: TestClient, store: redis.Redis) -> None:
    from workers import broker, lifecycle

    queued = submit(client, speckled(1), tier=3, target_ssim=0.9999, budget_s=4)
    wait_until(lambda: job(client, queued["id"])["status"] == "running", 60, "job running")
    as_the_worker_saw_it = lifecycle.load(broker.redis_client(), queued["id"])
    assert client.delete(f"/v1/jobs/{queued['id']}").json()["status"] == "cancelled"
    # the worker's writes computed from the record before the cancel change nothing
    assert lifecycle.set_progress(broker.redis_client(), queued["id"], 0.9).status == "cancelled"
    summary = {"tier": 3, "reason": "x", "ssim": 1.0, "seconds": 0.1}
    late = lifecycle.finish(broker.redis_client(), as_the_worker_saw_it, lifecycle.Outcome(summary, "<svg/>"))
    assert late is None
    wait_until(lambda: worker_idle(store), 60, "the worker to notice the cancel")
    final = job(client, queued["id"])
    assert final["status"] == "cancelled" and final["result"] is None and final["progress"] < 0.9


# --- defects 7 and 8: started and the router's decision kept ---------------------------------------


def test_a_worker_finished_job_keeps_started(client: TestClient) -> None:
    done = submit(client, png_bytes(disc(50, 16.0, (0, 120, 90))), tier=2, wait=60)
    assert done["status"] == "succeeded"
    assert done["started"] is not None and done["created"] <= done["started"] <= done["finished"]


def test_auto_keeps_the_routers_reason_and_requested_tier(client: TestClient) -> None:
    queued = submit(client, png_bytes(jpeg_pixels_logo()), tier="auto", target_ssim=0.9999, budget_s=1.5)
    assert queued["status"] == "queued" and queued["tier"] in (2, 3), "the router sends this to a worker"
    reason = queued["reason"]
    assert reason and reason != f"Tier {queued['tier']} was requested"
    wait_until(lambda: job(client, queued["id"])["status"] == "succeeded", 60, "auto job")
    done = job(client, queued["id"])
    assert done["reason"] == reason and done["requested_tier"] == "auto"
    assert done["result"]["reason"] == reason and done["result"]["requested_tier"] == "auto"


# --- defect 14: the cache is shared but not revealed across API keys ------------------------------


@pytest.fixture
def with_keys(env_override: dict[str, str]) -> None:
    apply(env_override, SVGAI_API_KEYS=json.dumps(KEYS), SVGAI_RATE_LIMIT_BURST="100")


@pytest.mark.usefixtures("with_keys")
def test_another_key_is_not_told_of_a_cache_hit(client: TestClient) -> None:
    image = png_bytes(disc(44, 14.0, (200, 200, 0)))
    a, b = ({"Authorization": f"Bearer {key}"} for key in KEYS)
    first = submit(client, image, headers=a, tier=1)
    assert first["status"] == "succeeded" and not first["cache_hit"]
    other = submit(client, image, headers=b, tier=1)
    assert other["status"] == "succeeded" and other["result"] == first["result"]
    assert not other["cache_hit"], "key B learns nothing about what key A converted"
    assert submit(client, image, headers=a, tier=1)["cache_hit"], "the owner's own resubmission is a hit"
    assert submit(client, image, headers=b, tier=1)["cache_hit"], "B has had this result now"


# --- defect 13: one time-limit message ------------------------------------------------------------


def test_a_time_limit_reads_the_same_however_deep_it_struck() -> None:
    """The soft limit's exception (raised by a signal, as Celery does) arriving inside the tracer came
    out as "the tracing engine failed on this image: SoftTimeLimitExceeded()"."""
    import signal

    from celery.exceptions import SoftTimeLimitExceeded

    from shared.engine import EngineError, trace
    from shared.params import EngineParams
    from workers.app import TIME_LIMIT_ERROR, failure_message

    def soft_limit(*_: object) -> None:
        raise SoftTimeLimitExceeded()

    noise = np.random.default_rng(13).integers(0, 255, (300, 300, 4), dtype=np.uint8)
    noise[..., 3] = 255
    previous = signal.signal(signal.SIGALRM, soft_limit)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)  # strikes while the tracer runs (about 1 s here)
        with pytest.raises(EngineError) as struck:
            trace(noise, EngineParams())
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert "SoftTimeLimitExceeded" in str(struck.value), "the engine wraps what the tracer raises"
    assert failure_message(struck.value) == TIME_LIMIT_ERROR
    assert failure_message(SoftTimeLimitExceeded()) == TIME_LIMIT_ERROR
    assert failure_message(EngineError("bad trace")) == "bad trace"


# --- defects 5 and 15: webhooks -------------------------------------------------------------------


class DripReceiver:
    """Answers every POST one byte of its status line every `every_s` seconds (a slow receiver)."""

    def __init__(self, every_s: float, total_bytes: int) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        self.every_s, self.total_bytes, self.done = every_s, total_bytes, threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while not self.done.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            reply = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
            with conn:
                conn.recv(65536)
                for i in range(self.total_bytes):
                    if self.done.wait(self.every_s):
                        return
                    try:
                        conn.sendall(reply[i % len(reply) : i % len(reply) + 1] if i < len(reply) else b" ")
                    except OSError:
                        break

    def close(self) -> None:
        self.done.set()
        self.sock.close()


def test_a_slow_drip_receiver_is_cut_at_the_total_deadline(env_override: dict[str, str]) -> None:
    """Defect 5: the timeout was per read, so one byte every 0.3 s held the worker until the reply
    ended (here about 12 s, and then it counted as delivered)."""
    from workers.jobstore import Job
    from workers.webhooks import post_once

    apply(env_override, SVGAI_WEBHOOK_TIMEOUT_S="1")
    receiver = DripReceiver(every_s=0.3, total_bytes=40)
    try:
        hook_job = Job(id="a" * 32, requested_tier="1", target_ssim=0.98, image_sha256="", cache_key="",
                       status="succeeded", webhook_url=receiver.url)
        t0 = time.monotonic()
        attempt = post_once(hook_job)
        elapsed = time.monotonic() - t0
    finally:
        receiver.close()
    assert attempt["ok"] is False and attempt["error"] == "timeout", attempt
    assert elapsed < 3.0, f"the attempt took {elapsed:.1f} s with a 1 s total deadline"


def test_webhook_retry_delays_are_jittered_and_capped_under_the_visibility_timeout(
    env_override: dict[str, str]
) -> None:
    """An ETA message must not outlive the visibility timeout (it would be delivered twice)."""
    from workers.app import retry_delay_s

    apply(env_override, SVGAI_WEBHOOK_BACKOFF_S="2", SVGAI_WEBHOOK_BACKOFF_MAX_S="100000",
          SVGAI_VISIBILITY_TIMEOUT_S="600")
    delays = [retry_delay_s(attempt) for attempt in range(1, 16) for _ in range(10)]
    assert all(1.0 <= delay <= 300.0 for delay in delays), (min(delays), max(delays))
    assert max(delays) > 100, "backoff grows up to the cap"
    assert len({round(retry_delay_s(4), 3) for _ in range(20)}) > 5, "full jitter: retries spread out"


def test_attempts_are_on_record_during_delivery_and_a_duplicate_is_not_resent(
    client: TestClient, store: redis.Redis
) -> None:
    """Defect 15: a worker killed mid-delivery left no attempt on record, and the payload had no id."""
    from workers import broker

    receiver = WebhookReceiver(hold=True)
    try:
        sent = submit(client, png_bytes(disc(40, 12.0, (90, 0, 90))), tier=1, webhook_url=receiver.url)
        assert receiver.arrived.wait(30), "the webhook arrives"
        during = job(client, sent["id"])["webhook_deliveries"]
        assert len(during) == 1 and during[0]["error"] == "in progress"
        assert during[0]["webhook_id"] == receiver.requests[0][0]["webhook-id"] == f"{sent['id']}.succeeded"
        receiver.release.set()
        wait_until(lambda: job(client, sent["id"])["webhook_deliveries"][0]["ok"], 30, "delivery")
        broker.send_webhook(sent["id"], 0.0, 99)  # a duplicate message, as after a lost acknowledgement
        wait_until(lambda: worker_idle(store), 30, "the duplicate handled")
        assert len(receiver.requests) == 1, "delivered once; a duplicate message sends nothing"
        assert len(job(client, sent["id"])["webhook_deliveries"]) == 1
    finally:
        receiver.close()


# --- defects 2 and 3 (deterministic part; the chaos test does it with real faults) -----------------


def lost_job(store: redis.Redis, status: str, tries: int, seed: int) -> str:
    """A job as a lost run or a lost message leaves it: `status`, no heartbeat, no message anywhere."""
    import hashlib

    from shared.config import get_settings
    from workers import lifecycle
    from workers.jobstore import Job, cache_key, image_key, new_job_id

    s = get_settings()
    data = png_bytes(disc(40 + seed, 12.0, (seed * 20 % 255, 60, 60)))
    digest = hashlib.sha256(data).hexdigest()
    store.set(image_key(s.key_prefix, digest), data, ex=600)
    record = Job(id=new_job_id(), requested_tier="2", tier=2, reason="Tier 2 was requested", target_ssim=0.98,
                 image_sha256=digest, cache_key=cache_key(digest, "2", 0.98, {}, None), status=status,
                 tries=tries, started=time.time() - 100 if status == "running" else None)
    lifecycle.transition(store, record.id, lambda cur: record if cur is None else None,
                         lambda _: lifecycle.Write(active="add", score=time.time() - 1))
    return record.id


def test_the_sweeper_requeues_lost_jobs_and_fails_them_after_max_tries(
    client: TestClient, store: redis.Redis
) -> None:
    from shared.config import get_settings
    from workers import lifecycle, sweeper

    lost_run = lost_job(store, "running", tries=1, seed=1)  # its worker was SIGKILLed
    lost_message = lost_job(store, "queued", tries=0, seed=2)  # its message died with Redis
    given_up = lost_job(store, "running", tries=get_settings().max_job_tries, seed=3)
    first_started = lifecycle.load(store, lost_run).started
    store.delete(f"{get_settings().key_prefix}:sweeper-lock")  # the gateway's own sweeps run too
    report = sweeper.sweep_once(store)
    assert report is not None
    assert {lost_run, lost_message} <= set(report.requeued) and given_up in report.failed
    wait_until(lambda: all(job(client, i)["status"] == "succeeded" for i in (lost_run, lost_message)), 60,
               "re-queued jobs converted")
    assert job(client, lost_run)["tries"] == 2 and job(client, lost_run)["started"] == first_started
    failed = job(client, given_up)
    assert failed["status"] == "failed" and "interrupted" in failed["error"]
    assert store.zscore(f"{get_settings().key_prefix}:active", lost_run) is None


# --- Idempotency-Key -------------------------------------------------------------------------------


def test_idempotency_key_returns_the_same_job_and_refuses_another_payload(client: TestClient) -> None:
    image = png_bytes(disc(52, 18.0, (10, 10, 160)))
    key = {"Idempotency-Key": "order-1234"}
    first = submit(client, image, headers=key, tier=1)
    again = submit(client, image, headers=key, tier=1)
    assert again["id"] == first["id"] and again["status"] == "succeeded"
    other = client.post("/v1/jobs", files={"file": ("x.png", image, "image/png")}, data={"tier": "2"},
                        headers=key)
    assert other.status_code == 422 and "Idempotency-Key" in other.json()["detail"]
    assert submit(client, image, tier=1)["id"] != first["id"], "no key: a new job each time"


def test_idempotency_key_in_flight_is_409_and_batches_replay(client: TestClient) -> None:
    files = [("files", (f"f{i}.png", png_bytes(disc(90, 10.0 + i, (i * 9, 80, 80))), "image/png"))
             for i in range(12)]
    key = {"Idempotency-Key": "batch-77"}
    answers: list[int] = []
    first = threading.Thread(target=lambda: answers.append(
        client.post("/v1/batches", files=files, data={"tier": "1"}, headers=key).status_code))
    first.start()
    from shared.config import get_settings

    probe = redis.Redis.from_url(get_settings().redis_url)

    def claimed() -> bool:  # the first request holds the key, its batch not made yet
        keys = list(probe.scan_iter(f"{get_settings().key_prefix}:idempotency:*"))
        return any(json.loads(raw)["id"] is None for raw in probe.mget(keys) if raw) if keys else False

    wait_until(claimed, 10, "the first request's claim")
    concurrent = client.post("/v1/batches", files=files, data={"tier": "1"}, headers=key)
    first.join(60)
    assert concurrent.status_code == 409 and concurrent.headers["retry-after"], concurrent.text
    assert answers == [200]
    replay = client.post("/v1/batches", files=files, data={"tier": "1"}, headers=key)
    assert replay.status_code == 200 and replay.json()["total"] == 12


# --- TLS to Redis -----------------------------------------------------------------------------------


def test_a_rediss_broker_verifies_certificates() -> None:
    from shared.config import Settings
    from workers.broker import make_celery

    secure = make_celery(Settings(redis_url="rediss://cache.example:6380/0", redis_ca_file="/etc/ca.pem"))
    assert secure.conf.broker_use_ssl == {"ssl_cert_reqs": ssl.CERT_REQUIRED, "ssl_ca_certs": "/etc/ca.pem"}
    system_ca = make_celery(Settings(redis_url="rediss://cache.example:6380/0"))
    assert system_ca.conf.broker_use_ssl == {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    assert make_celery(Settings(redis_url="redis://127.0.0.1:6379/0")).conf.broker_use_ssl is None
