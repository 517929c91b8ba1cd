"""Locust scenarios for the svgai gateway (run through `make loadtest` / `python -m loadtests.run`).

User classes follow the real flows: submit-and-poll (Tier 2, distinct images, so every submit misses
the cache and goes to a worker), cache-hit resubmission, synchronous Tier 1 (`POST /v1/convert`), and
jobs with a webhook to a receiver this process serves on loopback. `ScenarioShape` sets the number of
users over time from LOADTEST_SCENARIO (normal, peak, spike, endurance, smoke) and LOADTEST_DURATION.
"""

import io
import itertools
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
from locust import HttpUser, LoadTestShape, between, events, task
from PIL import Image

from loadtests.scenarios import SCENARIOS

EXAMPLES = sorted(p for p in Path("examples").iterdir() if p.suffix in (".png", ".jpg"))
_counter = itertools.count()
WEBHOOK_HITS = {"received": 0}


def distinct_png(side: int = 64) -> bytes:
    """A small logo that no other request of this run has sent (a counter is drawn into it)."""
    n = next(_counter) + os.getpid() * 1_000_000
    rgba = np.zeros((side, side, 4), np.uint8)
    rgba[12:52, 12:52] = (30, 90, 200, 255)
    rgba[0, :8] = [((n >> (8 * i)) & 255, 7, 7, 255) for i in range(8)]
    buf = io.BytesIO()
    Image.fromarray(rgba).save(buf, "PNG")
    return buf.getvalue()


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        WEBHOOK_HITS["received"] += 1
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


RECEIVER = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
threading.Thread(target=RECEIVER.serve_forever, daemon=True).start()
WEBHOOK_URL = f"http://127.0.0.1:{RECEIVER.server_address[1]}/hook"


@events.quitting.add_listener
def _report_webhooks(environment: object, **_: object) -> None:
    print(f"webhook deliveries received: {WEBHOOK_HITS['received']}")


class SubmitAndPoll(HttpUser):
    """Submit a new image for Tier 2, poll until it is final, download the SVG."""

    weight = 3
    wait_time = between(0.5, 1.5)

    @task
    def submit_and_poll(self) -> None:
        res = self.client.post("/v1/jobs", files={"file": ("l.png", distinct_png(), "image/png")},
                               data={"tier": "2"}, name="POST /v1/jobs (tier 2)")
        if res.status_code not in (200, 202):
            return
        job = res.json()
        deadline = time.monotonic() + 60
        while job["status"] not in ("succeeded", "failed", "cancelled") and time.monotonic() < deadline:
            time.sleep(0.5)
            job = self.client.get(f"/v1/jobs/{job['id']}", name="GET /v1/jobs/{id}").json()
        if job["status"] == "succeeded":
            self.client.get(f"/v1/jobs/{job['id']}/svg", name="GET /v1/jobs/{id}/svg")


class CacheHit(HttpUser):
    """Resubmit an image whose result is cached."""

    weight = 3
    wait_time = between(0.1, 0.3)

    def on_start(self) -> None:
        with open(EXAMPLES[0], "rb") as f:
            self.image = f.read()

    @task
    def resubmit(self) -> None:
        self.client.post("/v1/jobs", files={"file": ("l.png", self.image, "image/png")},
                         data={"tier": "1"}, name="POST /v1/jobs (cache hit)")


class SyncTier1(HttpUser):
    """Synchronous Tier 1 conversions of the bundled examples."""

    weight = 2
    wait_time = between(0.5, 1.0)

    def on_start(self) -> None:
        self.images = []
        for entry in EXAMPLES:
            with open(entry, "rb") as f:
                self.images.append(f.read())

    @task
    def convert(self) -> None:
        image = self.images[next(_counter) % len(self.images)]
        self.client.post("/v1/convert", files={"file": ("x", image, "application/octet-stream")},
                         name="POST /v1/convert")


class WebhookJob(HttpUser):
    """Tier 1 jobs that ask for a completion webhook (delivered by the workers to our receiver)."""

    weight = 1
    wait_time = between(1.0, 2.0)

    @task
    def submit_with_webhook(self) -> None:
        self.client.post("/v1/jobs", files={"file": ("l.png", distinct_png(48), "image/png")},
                         data={"tier": "1", "webhook_url": WEBHOOK_URL}, name="POST /v1/jobs (webhook)")


class ScenarioShape(LoadTestShape):
    def __init__(self) -> None:
        super().__init__()
        self.steps = SCENARIOS[os.environ.get("LOADTEST_SCENARIO", "normal")]
        self.duration = float(os.environ.get("LOADTEST_DURATION", "60"))

    def tick(self) -> tuple[int, float] | None:
        elapsed = self.get_run_time()
        if elapsed >= self.duration:
            return None
        edge = 0.0
        for share, users in self.steps:
            edge += share * self.duration
            if elapsed < edge:
                return users, float(users)
        return None
