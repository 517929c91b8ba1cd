"""The Celery application: Redis broker, one task that converts a queued job, late acks so that a job
whose worker dies is delivered again.

    celery -A workers.app worker -Q tier2,tier3 --concurrency 2     (or: svgai worker)
"""

import json
import logging
import time
from typing import Any

import redis
from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded
from celery.signals import worker_process_init

from shared.config import get_settings
from shared.errors import SvgaiError
from shared.logs import configure_json_logging
from shared.pipeline import convert_bytes
from shared.tiers import Cancelled
from shared.tiers.tier3 import DEFAULT_BUDGET_S
from workers.jobstore import (
    EVENTS_CAP,
    FINAL_STATES,
    Job,
    conversion_event,
    events_key,
    finished_entries,
    image_key,
    job_key,
    succeeded,
)

log = logging.getLogger("svgai.worker")
settings = get_settings()
configure_json_logging()
MAX_BUDGET_S = 60.0  # longest search budget a job may ask for, seconds
TIER2_SOFT_LIMIT_S = 30.0
LIMIT_GRACE_S = 30.0  # between the soft limit (SoftTimeLimitExceeded) and the hard kill


def time_limits(tier: int, budget_s: float | None) -> tuple[float, float]:
    """(soft, hard) time limits in seconds for a queued job: the search stops at its own budget, so
    the limits only catch a hung conversion. The visibility timeout must exceed the largest hard limit."""
    soft = TIER2_SOFT_LIMIT_S if tier == 2 else (budget_s or DEFAULT_BUDGET_S) * 1.5 + 15.0
    return soft, soft + LIMIT_GRACE_S


HARD_LIMIT_S = time_limits(3, MAX_BUDGET_S)[1]  # the largest hard limit of any job (k8s grace period > this)

celery_app = Celery("svgai", broker=settings.redis_url)
celery_app.conf.update(
    task_acks_late=True,
    task_reject_on_worker_lost=True,
    worker_prefetch_multiplier=1,
    broker_transport_options={
        "visibility_timeout": max(settings.visibility_timeout_s, int(HARD_LIMIT_S) + 60)},
    task_soft_time_limit=HARD_LIMIT_S - LIMIT_GRACE_S,
    task_time_limit=HARD_LIMIT_S,
    task_default_queue=settings.queue_tier2,
    broker_connection_retry_on_startup=True,
)


@worker_process_init.connect
def _warm(**_: object) -> None:
    """Load the models and exercise the pipeline once per worker process, not per task."""
    import numpy as np

    from shared.learned import load_models
    from shared.pipeline import convert

    log.info("models loaded", extra={"models": load_models()})
    convert(np.zeros((8, 8, 4), np.uint8) + 255, tier=1)


def push_event(client: redis.Redis, event: dict[str, Any]) -> None:
    """Hand a metrics event to the gateway (see api/metrics.py); the list is capped."""
    pipe = client.pipeline()
    pipe.rpush(events_key(settings.key_prefix), json.dumps(event))
    pipe.ltrim(events_key(settings.key_prefix), -EVENTS_CAP, -1)
    pipe.execute()


class JobRunner:
    """Reads and updates one job record in Redis while its conversion runs."""

    def __init__(self, client: redis.Redis, job_id: str) -> None:
        self.client, self.job_id, self.prefix = client, job_id, settings.key_prefix
        self.last_progress_write = 0.0

    def load(self) -> Job | None:
        raw = self.client.get(job_key(self.prefix, self.job_id))
        return Job.model_validate_json(raw) if raw else None

    def save(self, job: Job) -> None:
        self.client.set(job_key(self.prefix, self.job_id), job.model_dump_json(), ex=settings.job_ttl_s)

    def is_cancelled(self) -> bool:
        job = self.load()
        return job is None or job.status == "cancelled"

    def progress(self, fraction: float, _best: object) -> None:
        now = time.monotonic()
        if now - self.last_progress_write < 0.25 and fraction < 1.0:
            return
        self.last_progress_write = now
        job = self.load()
        if job is not None and job.status == "running":
            self.save(job.model_copy(update={"progress": round(fraction, 3)}))


@celery_app.task(name="svgai.deliver_webhook", bind=True, acks_late=True, max_retries=None)
def deliver_webhook(self: Task, job_id: str) -> str:
    """POST the job's completion event; retried with exponential backoff up to the settings' limit."""
    from workers.webhooks import post_once, record_attempt

    client = redis.Redis.from_url(settings.redis_url)
    raw = client.get(job_key(settings.key_prefix, job_id))
    if raw is None:
        return "missing"
    job = record_attempt(client, job_id, post_once(Job.model_validate_json(raw)))
    if job is None:
        return "missing"
    ok = bool(job.webhook_deliveries[-1]["ok"])
    gave_up = not ok and len(job.webhook_deliveries) >= settings.webhook_max_attempts
    outcome = "delivered" if ok else "gave_up" if gave_up else "failed"
    push_event(client, {"kind": "webhook", "outcome": outcome})
    log.info("webhook attempt", extra={"job_id": job_id, "outcome": outcome,
                                       "attempt": len(job.webhook_deliveries)})
    if ok or gave_up:
        return outcome
    raise self.retry(countdown=settings.webhook_backoff_s * 2 ** (len(job.webhook_deliveries) - 1))


def notify(job: Job) -> None:
    """Queue the completion webhook of a finished job that asked for one."""
    if job.webhook_url:
        deliver_webhook.apply_async(args=[job.id], queue=settings.queue_webhooks)


def fail(client: redis.Redis, job: Job, error: str) -> str:
    """Record a failed conversion (job record, metrics event, webhook)."""
    failed = job.model_copy(update={"status": "failed", "error": error, "finished": time.time()})
    JobRunner(client, job.id).save(failed)
    push_event(client, conversion_event(failed.tier, failed.status, failed.result))
    log.info("job failed", extra={"job_id": job.id, "error": error})
    notify(failed)
    return "failed"


@celery_app.task(name="svgai.convert_job", bind=True, acks_late=True, max_retries=3)
def convert_job(self: object, job_id: str) -> str:
    """Convert the job's stored image with its settings; idempotent (a finished job is left alone)."""
    client = redis.Redis.from_url(settings.redis_url)
    runner = JobRunner(client, job_id)
    job = runner.load()
    if job is None or job.status in FINAL_STATES:
        return job.status if job else "missing"
    data = client.get(image_key(settings.key_prefix, job.image_sha256))
    if data is None:
        runner.save(job.model_copy(update={"status": "failed", "error": "the uploaded image has expired",
                                           "finished": time.time()}))
        return "failed"
    runner.save(job.model_copy(update={"status": "running", "started": time.time()}))
    log.info("job started", extra={"job_id": job_id, "tier": job.requested_tier})
    try:
        result = convert_bytes(data, tier=str(job.tier or job.requested_tier), target_ssim=job.target_ssim,
                               overrides=job.overrides, budget_s=job.budget_s, progress=runner.progress,
                               is_cancelled=runner.is_cancelled)
    except Cancelled:
        return "cancelled"
    except SvgaiError as exc:
        return fail(client, job, str(exc))
    except SoftTimeLimitExceeded:
        return fail(client, job, "the conversion exceeded its time limit")
    except Exception:  # a bug must fail the job visibly, not leave it "running" forever
        log.exception("conversion crashed", extra={"job_id": job_id})
        return fail(client, job, "internal error while converting; the failure was logged")
    done = succeeded(job, result.summary())
    pipe = client.pipeline()
    for key, value, ttl in finished_entries(settings.key_prefix, done, result.svg, settings.result_ttl_s,
                                            settings.job_ttl_s):
        pipe.set(key, value, ex=ttl)
    pipe.execute()
    push_event(client, conversion_event(done.tier, done.status, done.result))
    notify(done)
    log.info("job succeeded", extra={"job_id": job_id, "ssim": done.result["ssim"] if done.result else None})
    return "succeeded"
