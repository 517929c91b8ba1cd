"""Locust scenarios for the svgai gateway (run through `make loadtest` / `python -m loadtests.run`).

User classes follow the real flows:
- `SubmitAndPoll`: a bundled logo made unique (one pixel changed, so it misses the result cache) is
  submitted for Tier 2, polled until final, its SVG downloaded; the end-to-end job time is its own row
  ("JOB tier 2 submit→succeeded").
- `CacheHit`: resubmits a logo whose result is cached; a 200 without `cache_hit` is a failure.
- `SyncTier1`: `POST /v1/convert` (synchronous Tier 1 in the gateway's process pool).
- `WebhookJob`: unique Tier 1 jobs with a `webhook_url` served by this process on loopback; the workers
  deliver the signed completion events ("WEBHOOK delivered" rows: submit → delivery; the signature is
  checked when LOADTEST_WEBHOOK_SECRET is set).
`ScenarioShape` sets the number of users over time from LOADTEST_SCENARIO and LOADTEST_DURATION
(loadtests/scenarios.py). With LOADTEST_EXTRA_FILE set, webhook counts are written there at the end.
"""

import io
import itertools
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
from locust import HttpUser, LoadTestShape, between, events, task
from PIL import Image
from standardwebhooks import Webhook, WebhookVerificationError

from loadtests.scenarios import SCENARIOS, Step

EXAMPLES = sorted(p for p in (Path(__file__).resolve().parents[1] / "examples").iterdir()
                  if p.suffix in (".png", ".jpg"))
FINAL = ("succeeded", "failed", "cancelled")
POLL_DEADLINE_S = 120.0
_counter = itertools.count(1)
_lock = threading.Lock()
WEBHOOKS: dict[str, Any] = {"submitted": 0, "delivered": 0, "bad_signature": 0}
_pending: dict[str, float] = {}  # job id -> submit time, until its webhook arrives
_early: dict[str, tuple[float, bool]] = {}  # job id -> (receipt time, signed): arrived before the 200 did


def example_pixels() -> list[np.ndarray]:
    """The bundled sample logos as RGBA arrays."""
    return [np.asarray(Image.open(p).convert("RGBA")).copy() for p in EXAMPLES]


def unique_png(rgba: np.ndarray) -> bytes:
    """`rgba` with its top-left pixel set from a run-wide counter (and the pid): a cache miss each time."""
    n = next(_counter) + (os.getpid() % 4096) * (1 << 20)
    pixels = rgba.copy()
    pixels[0, 0] = (n & 255, (n >> 8) & 255, (n >> 16) & 255, 255)
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "PNG")
    return buf.getvalue()


def _fire(request_type: str, name: str, started: float, exception: Exception | None = None,
          ended: float | None = None) -> None:
    """Record a measured step that is not one HTTP request (a job's end-to-end time, a webhook's)."""
    elapsed_ms = ((ended or time.time()) - started) * 1000
    events.request.fire(request_type=request_type, name=name, response_time=elapsed_ms, response_length=0,
                        exception=exception, context={})


def _webhook_received(started: float, received: float, signed: bool) -> None:
    _fire("WEBHOOK", "delivered (submit→receipt)", started,
          None if signed else ValueError("bad webhook-signature"), ended=received)


class _Receiver(BaseHTTPRequestHandler):
    """Webhook receiver: counts deliveries, checks signatures, times submit → delivery."""

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        secret = os.environ.get("LOADTEST_WEBHOOK_SECRET")
        signed = True
        if secret:  # as a receiver would: Standard Webhooks' own verifier (workers/webhooks.py signs)
            key = secret if secret.startswith("whsec_") else secret.encode()
            try:
                Webhook(key).verify(body, dict(self.headers.items()), json_parse=False)
            except WebhookVerificationError:
                signed = False
        try:
            job_id = json.loads(body)["job"]["id"]
        except (ValueError, KeyError, TypeError):
            job_id = None
        received = time.time()
        with _lock:
            WEBHOOKS["delivered"] += 1
            WEBHOOKS["bad_signature"] += 0 if signed else 1
            started = _pending.pop(job_id, None) if job_id else None
            if started is None and job_id:
                _early[job_id] = (received, signed)
        if started is not None:
            _webhook_received(started, received, signed)
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        """Quiet."""


RECEIVER = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
threading.Thread(target=RECEIVER.serve_forever, daemon=True).start()
WEBHOOK_URL = f"http://127.0.0.1:{RECEIVER.server_address[1]}/hook"


@events.quitting.add_listener
def _report(environment: object, **_: object) -> None:
    counts = {**WEBHOOKS, "undelivered_at_end": len(_pending)}
    print(f"webhooks: {counts}")
    if os.environ.get("LOADTEST_EXTRA_FILE"):
        Path(os.environ["LOADTEST_EXTRA_FILE"]).write_text(json.dumps({"webhooks": counts}))


class SubmitAndPoll(HttpUser):
    """Submit a new logo for Tier 2, poll until it is final, download the SVG."""

    weight = 3
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.images = example_pixels()

    @task
    def submit_and_poll(self) -> None:
        started = time.time()
        image = self.images[next(_counter) % len(self.images)]
        with self.client.post("/v1/jobs", files={"file": ("logo.png", unique_png(image), "image/png")},
                              data={"tier": "2"}, name="POST /v1/jobs (tier 2)", catch_response=True) as res:
            if res.status_code not in (200, 202):
                res.failure(f"status {res.status_code}")
                return
            job = res.json()
            if job.get("cache_hit"):
                res.failure("a unique image was answered from the cache")
        deadline = time.monotonic() + POLL_DEADLINE_S
        while job["status"] not in FINAL and time.monotonic() < deadline:
            time.sleep(0.5)
            job = self.client.get(f"/v1/jobs/{job['id']}", name="GET /v1/jobs/{id}").json()
        if job["status"] != "succeeded":
            _fire("JOB", "tier 2 submit→succeeded", started, RuntimeError(f"job ended {job['status']}"))
            return
        _fire("JOB", "tier 2 submit→succeeded", started)
        self.client.get(f"/v1/jobs/{job['id']}/svg", name="GET /v1/jobs/{id}/svg")


class CacheHit(HttpUser):
    """Resubmit a logo whose result is cached (warmed once per user)."""

    weight = 3
    wait_time = between(0.1, 0.3)

    def on_start(self) -> None:
        self.image = EXAMPLES[0].read_bytes()
        self.client.post("/v1/jobs", files={"file": ("logo.png", self.image, "image/png")},
                         data={"tier": "1"}, name="POST /v1/jobs (cache warm-up)")

    @task
    def resubmit(self) -> None:
        with self.client.post("/v1/jobs", files={"file": ("logo.png", self.image, "image/png")},
                              data={"tier": "1"}, name="POST /v1/jobs (cache hit)",
                              catch_response=True) as res:
            if res.status_code != 200 or not res.json().get("cache_hit"):
                res.failure(f"not a cache hit (status {res.status_code})")


class SyncTier1(HttpUser):
    """Synchronous Tier 1 conversions of the bundled logos."""

    weight = 2
    wait_time = between(0.5, 1.0)

    def on_start(self) -> None:
        self.images = [p.read_bytes() for p in EXAMPLES]

    @task
    def convert(self) -> None:
        image = self.images[next(_counter) % len(self.images)]
        self.client.post("/v1/convert", files={"file": ("logo", image, "application/octet-stream")},
                         name="POST /v1/convert")


class WebhookJob(HttpUser):
    """Unique Tier 1 jobs that ask for a completion webhook (delivered by the workers to our receiver)."""

    weight = 1
    wait_time = between(1.0, 2.0)

    def on_start(self) -> None:
        self.images = example_pixels()

    @task
    def submit_with_webhook(self) -> None:
        started = time.time()
        image = self.images[next(_counter) % len(self.images)]
        with self.client.post("/v1/jobs", files={"file": ("logo.png", unique_png(image), "image/png")},
                              data={"tier": "1", "webhook_url": WEBHOOK_URL}, name="POST /v1/jobs (webhook)",
                              catch_response=True) as res:
            if res.status_code not in (200, 202):
                res.failure(f"status {res.status_code}")
                return
            job_id = res.json()["id"]
            with _lock:
                WEBHOOKS["submitted"] += 1
                early = _early.pop(job_id, None)
                if early is None:
                    _pending[job_id] = started
        if early is not None:
            _webhook_received(started, *early)


class ScenarioShape(LoadTestShape):
    """Users over the run: LOADTEST_SCENARIO's steps, stretched over LOADTEST_DURATION seconds."""

    def __init__(self) -> None:
        super().__init__()
        self.steps: list[Step] = SCENARIOS[os.environ.get("LOADTEST_SCENARIO", "normal")].steps
        self.duration = float(os.environ.get("LOADTEST_DURATION", "60"))

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        edge = 0.0
        for share, users in self.steps:
            edge += share * self.duration
            if elapsed < edge:
                return users, float(users)  # all users of a step start within a second
        return None
