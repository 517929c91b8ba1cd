"""The Celery tasks: convert a queued job, deliver a webhook. The configuration (late acks, time limits,
TLS) is workers/broker.py's; every job-record change goes through workers/lifecycle.py.

    celery -A workers.app worker -Q tier2,tier3 --concurrency 2     (or: svgai worker)

A worker always consumes the webhooks queue as well, whatever -Q says.
"""

import logging
import threading
import time
from typing import Any

import redis
from celery import Task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from celery.signals import (
    celeryd_after_setup,
    setup_logging,
    worker_init,
    worker_process_init,
    worker_shutdown,
)
from celery.utils.time import get_exponential_backoff_interval

from shared.config import get_settings
from shared.errors import SvgaiError
from shared.tiers import Cancelled
from workers import broker, lifecycle, metrics
from workers.jobstore import Job, image_key, job_key

log = logging.getLogger("svgai.worker")
celery_app = broker.celery_app()
HARD_LIMIT_S = broker.hard_limit_s()  # the largest hard limit of any job (k8s grace period > this)
TIME_LIMIT_ERROR = "the conversion exceeded its time limit"


@setup_logging.connect
def _logging(loglevel: int | str | None = None, **_: object) -> None:
    """Celery's own loggers go through the project's JSON formatter, at the worker's --loglevel."""
    from shared.logs import configure_json_logging

    level = logging.getLevelName(loglevel.upper()) if isinstance(loglevel, str) else loglevel
    configure_json_logging(level if isinstance(level, int) else logging.INFO)


@celeryd_after_setup.connect
def _always_consume_webhooks(sender: str, instance: Any, **_: object) -> None:
    """Webhooks are delivered by every worker, whatever queues it was started with."""
    instance.app.amqp.queues.select_add(get_settings().queue_webhooks)


@worker_init.connect
def _metrics_endpoint(**_: object) -> None:
    """In the main process, before the pool forks: multiprocess metrics and their HTTP port."""
    metrics.enable_multiprocess()
    metrics.serve_worker_metrics(get_settings().worker_metrics_port)


@worker_shutdown.connect
def _metrics_files(**_: object) -> None:
    metrics.remove_samples()


@worker_process_init.connect
def _warm(**_: object) -> None:
    """Load the models and exercise the pipeline once per worker process, not per task."""
    import numpy as np

    from shared.learned import load_models
    from shared.pipeline import convert

    log.info("models loaded", extra={"models": load_models()})
    convert(np.zeros((8, 8, 4), np.uint8) + 255, tier=1)


class Heartbeat:
    """While a job converts: a thread renews its heartbeat, and progress is written (at most every
    0.25 s, only while the job is running); `cancelled` reads the record."""

    def __init__(self, job_id: str) -> None:
        self.job_id, self.client = job_id, broker.redis_client()
        self.stop = threading.Event()
        self.last_progress_write = 0.0
        self.thread = threading.Thread(target=self._run, daemon=True, name=f"heartbeat-{job_id[:8]}")

    def _run(self) -> None:
        interval = get_settings().heartbeat_interval_s
        while not self.stop.wait(interval):
            try:
                lifecycle.beat(self.client, self.job_id)
            except Exception as exc:  # Redis away for a moment: the next beat tries again
                log.warning("heartbeat not written", extra={"job_id": self.job_id, "error": str(exc)})

    def __enter__(self) -> "Heartbeat":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()

    def progress(self, fraction: float, _best: object) -> None:
        now = time.monotonic()
        if now - self.last_progress_write < 0.25 and fraction < 1.0:
            return
        self.last_progress_write = now
        try:
            lifecycle.set_progress(self.client, self.job_id, round(fraction, 3))
        except Exception as exc:  # progress is advisory; the conversion goes on
            log.warning("progress not written", extra={"job_id": self.job_id, "error": str(exc)})

    def cancelled(self) -> bool:
        try:
            job = lifecycle.load(self.client, self.job_id)
        except Exception:
            return False
        return job is not None and job.status == "cancelled"


def failure_message(exc: BaseException) -> str:
    """The job's error for an exception out of the conversion: a time limit reads the same however
    deep it struck (the tracing engine wraps what it catches)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, SoftTimeLimitExceeded):
            return TIME_LIMIT_ERROR
        cause = cause.__cause__ or cause.__context__
    if isinstance(exc, SvgaiError):
        return str(exc)
    return "internal error while converting; the failure was logged"


class ConvertTask(Task):
    """On a hard time limit (the pool process killed, e.g. inside C code that never let the soft limit
    through), the worker's main process fails the job with the same message as the soft limit, instead
    of leaving it "running" for the sweeper to re-run."""

    def on_failure(self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any) -> None:
        if isinstance(exc, TimeLimitExceeded) and args:
            client = broker.redis_client()
            job = lifecycle.load(client, str(args[0]))
            if job is not None:
                lifecycle.finish(client, job, lifecycle.Outcome(error=TIME_LIMIT_ERROR))


@celery_app.task(name=broker.CONVERT_TASK, base=ConvertTask, acks_late=True)
def convert_job(job_id: str) -> str:
    """Convert the job's stored image with its settings. Idempotent: a job that is final, or running in
    a live process, is left alone; the result is cached under the job's cache key."""
    from shared.pipeline import convert_bytes

    client = broker.redis_client()
    job = lifecycle.start(client, job_id)
    if job is None:
        return "skipped"
    data = client.get(image_key(get_settings().key_prefix, job.image_sha256))
    if data is None:
        lifecycle.finish(client, job, lifecycle.Outcome(error="the uploaded image has expired"))
        return "failed"
    log.info("job started", extra={"job_id": job_id, "tier": job.tier, "try": job.tries})
    with Heartbeat(job_id) as heartbeat:
        try:
            result = convert_bytes(data, tier=str(job.tier or job.requested_tier),
                                   target_ssim=job.target_ssim, overrides=job.overrides,
                                   budget_s=job.budget_s, progress=heartbeat.progress,
                                   is_cancelled=heartbeat.cancelled)
            outcome = lifecycle.Outcome(summary=result.summary(), svg=result.svg)
        except Cancelled:
            return "cancelled"
        except Exception as exc:  # a bug must fail the job visibly, not leave it "running" forever
            message = failure_message(exc)
            if not isinstance(exc, SvgaiError | SoftTimeLimitExceeded):
                log.exception("conversion crashed", extra={"job_id": job_id})
            outcome = lifecycle.Outcome(error=message)
        done = finish_despite_outage(client, job, outcome)  # heartbeat still on: no re-run meanwhile
    return done.status if done else "already final"


def finish_despite_outage(client: redis.Redis, job: Job, outcome: lifecycle.Outcome) -> Job | None:
    """`lifecycle.finish`, retried once a second while Redis is unreachable (a restart), for up to
    heartbeat_ttl_s: a finished conversion is not thrown away for a short outage."""
    deadline = time.monotonic() + get_settings().heartbeat_ttl_s
    while True:
        try:
            return lifecycle.finish(client, job, outcome)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            if time.monotonic() > deadline:
                raise
            log.warning("Redis unreachable; finishing again in 1 s",
                        extra={"job_id": job.id, "error": str(exc)})
            time.sleep(1.0)


def retry_delay_s(attempts: int) -> float:
    """Seconds before the next delivery attempt: exponential from webhook_backoff_s with full jitter,
    capped by webhook_backoff_max_s and kept well under the visibility timeout (an ETA message must
    not outlive it, or it is delivered twice)."""
    s = get_settings()
    cap = min(s.webhook_backoff_max_s, broker.visibility_timeout_s(s) / 2)
    # Celery's helper counts in whole seconds; scaled by 1000 to keep sub-second backoffs (tests)
    ms = get_exponential_backoff_interval(factor=int(s.webhook_backoff_s * 1000), retries=attempts - 1,
                                          maximum=int(cap * 1000), full_jitter=True)
    return max(ms / 1000, s.webhook_backoff_s / 2)


@celery_app.task(name=broker.WEBHOOK_TASK, acks_late=True)
def deliver_webhook(job_id: str) -> str:
    """One delivery attempt of a finished job's event; the next one is queued with backoff, up to
    webhook_max_attempts. A duplicate message after a successful delivery sends nothing."""
    from workers.webhooks import post_once, webhook_id

    s = get_settings()
    client = broker.redis_client()
    raw = client.get(job_key(s.key_prefix, job_id))
    job = Job.model_validate_json(raw) if raw else None
    if job is None or not job.webhook_url:
        lifecycle.settle_webhook(client, job_id)
        return "missing"
    done = [d for d in job.webhook_deliveries if d.get("ok")]
    if done or len(job.webhook_deliveries) >= s.webhook_max_attempts:
        lifecycle.settle_webhook(client, job_id)
        return "delivered" if done else "gave_up"
    lifecycle.record_delivery(client, job_id, {"at": time.time(), "webhook_id": webhook_id(job),
                                               "ok": False, "status_code": None, "error": "in progress"})
    attempt = post_once(job)
    attempt.setdefault("error", None)
    job = lifecycle.record_delivery(client, job_id, attempt, replace_last=True) or job
    attempts = len(job.webhook_deliveries)
    ok = bool(attempt["ok"])
    outcome = "delivered" if ok else "gave_up" if attempts >= s.webhook_max_attempts else "failed"
    metrics.record_webhook(outcome)
    log.info("webhook attempt", extra={"job_id": job_id, "outcome": outcome, "attempt": attempts})
    if outcome != "failed":
        lifecycle.settle_webhook(client, job_id)
        return outcome
    delay = retry_delay_s(attempts)
    lifecycle.webhook_due(client, job_id, time.time() + delay)
    broker.send_webhook(job_id, delay, attempts + 1)
    return outcome
