"""Prometheus metrics of the gateway.

Conversions finish in two places: Tier 1 in the gateway's pool, Tiers 2/3 in the workers. Workers have
no HTTP port to scrape, so each pushes one small JSON event per finished conversion or webhook attempt
onto a capped Redis list (`workers.jobstore.events_key`); the gateway drains that list when `/metrics`
is scraped and records the events in its own histograms. Every event is popped by exactly one gateway
replica, so Prometheus' sum over replicas counts each conversion once, and nothing is lost while no one
scrapes (up to the cap). Queue depths (LLEN of the broker lists) and the Tier 1 pool's saturation are
read at scrape time.
"""

import json
from typing import Any

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator

from shared.config import get_settings
from workers.jobstore import events_key

JOBS = Counter("svgai_jobs_total", "jobs submitted, by tier and how they were answered", ["tier", "outcome"])
CACHE = Counter("svgai_cache_total", "result cache lookups", ["result"])
FINISHED = Counter("svgai_conversions_finished_total", "finished conversions by tier and status",
                   ["tier", "status"])
SECONDS = Histogram("svgai_conversion_seconds", "conversion time by tier, seconds", ["tier"],
                    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40))
SSIM = Histogram("svgai_conversion_ssim", "alpha-aware SSIM of finished conversions by tier", ["tier"],
                 buckets=(0.8, 0.9, 0.93, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 1.0))
WEBHOOKS = Counter("svgai_webhook_deliveries_total", "webhook delivery attempts by outcome", ["outcome"])
QUEUE_DEPTH = Gauge("svgai_queue_depth", "messages waiting in a Celery queue (LLEN)", ["queue"])
POOL_SATURATION = Gauge("svgai_tier1_pool_saturation", "Tier 1 pool: in-flight / capacity (0-1)")
POOL_REJECTED = Counter("svgai_tier1_pool_rejected_total", "Tier 1 conversions refused with 503 (pool full)")
EVENTS_PER_SCRAPE = 10_000


def install(app: FastAPI) -> None:
    """HTTP request metrics (latency, status by handler) for every route."""
    Instrumentator(excluded_handlers=["/metrics"]).instrument(app)


def record(event: dict[str, Any]) -> None:
    """Count one event (workers.jobstore.conversion_event, or a webhook attempt's outcome)."""
    if event.get("kind") == "webhook":
        WEBHOOKS.labels(str(event.get("outcome"))).inc()
        return
    tier = str(event.get("tier"))
    FINISHED.labels(tier, str(event.get("status"))).inc()
    if event.get("status") == "succeeded":
        if event.get("seconds") is not None:
            SECONDS.labels(tier).observe(float(event["seconds"]))
        if event.get("ssim") is not None:
            SSIM.labels(tier).observe(float(event["ssim"]))


async def render(app: FastAPI) -> tuple[bytes, str]:
    """Drain the workers' events, read queue depths and pool saturation, and render the registry."""
    s = get_settings()
    redis = app.state.redis
    raw = await redis.lpop(events_key(s.key_prefix), EVENTS_PER_SCRAPE) or []
    for item in raw:
        try:
            record(json.loads(item))
        except (ValueError, TypeError):
            continue  # a malformed event is dropped, never breaks the scrape
    for queue in (s.queue_tier2, s.queue_tier3, s.queue_webhooks):
        QUEUE_DEPTH.labels(queue).set(await redis.llen(queue))
    POOL_SATURATION.set(app.state.pool.saturation)
    return generate_latest(), CONTENT_TYPE_LATEST
