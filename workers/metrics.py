"""Conversion and webhook metrics, counted where the work happens and scraped by Prometheus there.

- The gateway (Tier 1, cache hits) records into its own registry, served at its `/metrics`.
- A worker records in its pool processes, in prometheus_client's multiprocess mode: each process writes
  its samples to files in one directory (a fresh one per worker start, `PROMETHEUS_MULTIPROC_DIR`), and
  the worker's main process serves their sum on `SVGAI_WORKER_METRICS_PORT` (default 9808; one port per
  worker pod). Every sample is read, never consumed, so any number of Prometheus replicas scrape the
  same counts. Prometheus sums over the gateway and worker targets (`sum by (tier)`).

The metrics are made on first use (not at import), so that a worker can switch multiprocess mode on
before any exists.
"""

import functools
import logging
import os
import shutil
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

log = logging.getLogger("svgai.metrics")


@lru_cache(maxsize=1)
def _metrics() -> dict[str, Any]:
    from prometheus_client import Counter, Histogram

    return {
        "finished": Counter("svgai_conversions_finished_total", "finished conversions by tier and status",
                            ["tier", "status"]),
        "seconds": Histogram("svgai_conversion_seconds", "conversion time by tier, seconds", ["tier"],
                             buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40)),
        "ssim": Histogram("svgai_conversion_ssim", "alpha-aware SSIM of finished conversions by tier",
                          ["tier"], buckets=(0.8, 0.9, 0.93, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 1.0)),
        "webhooks": Counter("svgai_webhook_deliveries_total", "webhook delivery attempts by outcome",
                            ["outcome"]),
        "recovered": Counter("svgai_jobs_recovered_total", "lost jobs the sweeper re-queued or failed",
                             ["action"]),
    }


def ensure_registered() -> None:
    """Create the metrics (the gateway calls this so that they appear before the first conversion)."""
    _metrics()


def _never_raises(record: Callable[..., None]) -> Callable[..., None]:
    """A metric that cannot be written (e.g. its sample directory was removed) is logged; it never
    stops a job from finishing."""
    @functools.wraps(record)
    def guarded(*args: Any) -> None:
        try:
            record(*args)
        except Exception as exc:
            log.warning("metric not recorded", extra={"metric": record.__name__, "error": str(exc)})

    return guarded


@_never_raises
def record_conversion(tier: int | None, status: str, result: dict[str, Any] | None) -> None:
    m, label, result = _metrics(), str(tier), result or {}
    m["finished"].labels(label, status).inc()
    if status == "succeeded":
        if result.get("seconds") is not None:
            m["seconds"].labels(label).observe(float(result["seconds"]))
        if result.get("ssim") is not None:
            m["ssim"].labels(label).observe(float(result["ssim"]))


@_never_raises
def record_webhook(outcome: str) -> None:
    _metrics()["webhooks"].labels(outcome).inc()


@_never_raises
def record_recovery(action: str) -> None:
    _metrics()["recovered"].labels(action).inc()


_made_here: list[Path] = []  # the temporary sample directory this worker made (removed at shutdown)


def enable_multiprocess() -> Path:
    """In a worker's main process, before its pool starts: a fresh sample directory (the operator's
    PROMETHEUS_MULTIPROC_DIR emptied, or a new temporary one) and multiprocess mode on."""
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if given:
        path = Path(given)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True, exist_ok=True)
    else:
        path = Path(tempfile.mkdtemp(prefix="svgai-metrics-"))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)
        _made_here.append(path)
    from prometheus_client import values

    values.ValueClass = values.get_value_class()  # in case prometheus_client was imported before
    return path


def serve_worker_metrics(port: int) -> None:
    """Serve the sum of the pool processes' samples on `port` (all interfaces); 0 = off. A port in use
    is logged, not fatal: the worker converts without metrics rather than not at all."""
    if not port:
        return
    from prometheus_client import CollectorRegistry, start_http_server
    from prometheus_client.multiprocess import MultiProcessCollector

    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    try:
        start_http_server(port, registry=registry)
    except OSError as exc:
        log.error("worker metrics port unavailable", extra={"port": port, "error": str(exc)})
        return
    log.info("worker metrics served", extra={"port": port})


def remove_samples() -> None:
    """At worker shutdown: remove the temporary sample directory this worker made, if any."""
    while _made_here:
        shutil.rmtree(_made_here.pop(), ignore_errors=True)
