"""Prometheus metrics of the gateway: submissions, cache lookups, queue depths, the Tier 1 pool, and the
conversions the gateway runs itself (Tier 1; workers/metrics.py defines them once for gateway and
workers). Each worker serves its own conversions and webhook attempts on its metrics port
(SVGAI_WORKER_METRICS_PORT, workers/metrics.py); nothing is handed over through Redis, so every
Prometheus replica reads the same counts. Queue depths (LLEN of the broker lists) and the pool's
saturation are read at scrape time.
"""

from fastapi import FastAPI
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, generate_latest
from prometheus_fastapi_instrumentator import Instrumentator

from shared.config import get_settings
from workers import metrics as conversion_metrics

JOBS = Counter("svgai_jobs_total", "jobs submitted, by tier and how they were answered", ["tier", "outcome"])
CACHE = Counter("svgai_cache_total", "result cache lookups", ["result"])
QUEUE_DEPTH = Gauge("svgai_queue_depth", "messages waiting in a Celery queue (LLEN)", ["queue"])
POOL_SATURATION = Gauge("svgai_tier1_pool_saturation", "Tier 1 pool: in-flight / capacity (0-1)")
POOL_REJECTED = Counter("svgai_tier1_pool_rejected_total", "Tier 1 conversions refused with 503 (pool full)")
POOL_RESTARTS = Counter("svgai_tier1_pool_restarts_total", "Tier 1 pool processes replaced (died or killed)")
POOL_LIMITED = Counter("svgai_tier1_limited_total", "Tier 1 runs stopped by a limit, by kind (time, memory)",
                       ["kind"])


def install(app: FastAPI) -> None:
    """HTTP request metrics (latency, status by handler) for every route, and the conversion metrics."""
    Instrumentator(excluded_handlers=["/metrics"]).instrument(app)
    conversion_metrics.ensure_registered()


async def render(app: FastAPI) -> tuple[bytes, str]:
    """Read queue depths and pool saturation, and render the registry."""
    s = get_settings()
    redis = app.state.redis
    for queue in (s.queue_tier2, s.queue_tier3, s.queue_webhooks):
        QUEUE_DEPTH.labels(queue).set(await redis.llen(queue))
    POOL_SATURATION.set(app.state.pool.saturation)
    return generate_latest(), CONTENT_TYPE_LATEST
