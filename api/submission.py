"""What every submission path shares (single jobs, batches): reading and validating the upload, the
job record in Redis, the cache lookup, Tier 1 in the pool, and queueing Tiers 2/3."""

import asyncio
import hashlib
import json
import logging
import time
from typing import Any

from fastapi import HTTPException, Request, UploadFile

from api import metrics
from shared.config import get_settings
from shared.errors import ParameterError
from shared.images import read_image_header
from workers.app import convert_job, notify, time_limits
from workers.jobstore import (
    FINAL_STATES,
    Job,
    cache_key,
    conversion_event,
    finished_entries,
    image_key,
    job_key,
    new_job_id,
    result_key,
    succeeded,
)

log = logging.getLogger("svgai.gateway")


def parse_overrides(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ParameterError(f"overrides must be a JSON object: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise ParameterError("overrides must be a JSON object of parameter names to values")
    return value


async def read_upload(file: UploadFile) -> bytes:
    """The upload's bytes, checked (size, type by content, pixel limits) before anything is stored."""
    data = await file.read(get_settings().max_upload_bytes + 1)
    read_image_header(data)
    return data


async def save_job(request: Request, job: Job) -> None:
    s = get_settings()
    await request.app.state.redis.set(job_key(s.key_prefix, job.id), job.model_dump_json(), ex=s.job_ttl_s)


async def load_job(request: Request, job_id: str, owner: str) -> Job:
    """The job, if it exists and belongs to `owner`; another key's job is indistinguishable from none."""
    raw = await request.app.state.redis.get(job_key(get_settings().key_prefix, job_id))
    job = Job.model_validate_json(raw) if raw is not None else None
    if job is None or job.owner != owner:
        raise HTTPException(404, f"no job {job_id}")
    return job


async def submit_image(request: Request, job: Job, data: bytes) -> Job:
    """Answer `job` from the result cache, or run Tier 1 now, or queue Tier 2/3; returns the record as
    saved. `job` carries the validated settings; its cache key is set here from the bytes."""
    s = get_settings()
    redis = request.app.state.redis
    digest = hashlib.sha256(data).hexdigest()
    job = job.model_copy(update={"image_sha256": digest, "cache_key": cache_key(
        digest, job.requested_tier, job.target_ssim, job.overrides, job.budget_s)})
    pipe = redis.pipeline(transaction=False)
    pipe.get(result_key(s.key_prefix, job.cache_key))
    pipe.expire(image_key(s.key_prefix, digest), s.result_ttl_s)  # keep the original as long as the result
    cached, have_original = await pipe.execute()
    if not have_original:
        await redis.set(image_key(s.key_prefix, digest), data, ex=s.result_ttl_s)
    metrics.CACHE.labels("hit" if cached else "miss").inc()
    if cached:  # one round trip, one write; nothing queued, no worker
        job = succeeded(job, json.loads(cached)).model_copy(update={"cache_hit": True})
        await save_job(request, job)
        await notify_async(job)
        metrics.JOBS.labels(str(job.tier), "cache_hit").inc()
        log.info("job answered from cache", extra={"job_id": job.id, "tier": job.tier})
        return job
    tier = job.requested_tier
    if tier in ("auto", "1"):
        planned = await request.app.state.pool.run(data, tier, job.target_ssim, job.overrides, job.budget_s)
        if planned["tier"] == 1:
            job = succeeded(job, planned["summary"])
            pipe = redis.pipeline()
            for key, value, ttl in finished_entries(s.key_prefix, job, planned["svg"], s.result_ttl_s,
                                                    s.job_ttl_s):
                pipe.set(key, value, ex=ttl)
            await pipe.execute()
            await notify_async(job)
            metrics.record(conversion_event(job.tier, job.status, job.result))
            metrics.JOBS.labels("1", "sync").inc()
            log.info("job converted by the gateway", extra={"job_id": job.id, "tier": 1,
                                                            "ssim": planned["summary"]["ssim"]})
            return job
        job = job.model_copy(update={"tier": planned["tier"], "reason": planned["reason"]})
    else:
        job = job.model_copy(update={"tier": int(tier), "reason": f"Tier {tier} was requested"})
    await save_job(request, job)
    queue = s.queue_tier2 if job.tier == 2 else s.queue_tier3
    soft, hard = time_limits(job.tier or 3, job.budget_s)
    await asyncio.to_thread(convert_job.apply_async, args=[job.id], queue=queue, soft_time_limit=soft,
                            time_limit=hard)
    metrics.JOBS.labels(str(job.tier), "queued").inc()
    log.info("job queued", extra={"job_id": job.id, "tier": job.tier, "queue": queue})
    return job


async def notify_async(job: Job) -> None:
    """Queue the job's webhook (a blocking broker call, so off the event loop) if it asked for one."""
    if job.webhook_url:
        await asyncio.to_thread(notify, job)


async def wait_for(request: Request, job: Job, wait_s: float) -> Job:
    """Long-poll: re-read the record the worker updates until it is final or `wait_s` has passed."""
    deadline = time.monotonic() + min(wait_s, get_settings().max_wait_s)
    while time.monotonic() < deadline and job.status not in FINAL_STATES:
        await asyncio.sleep(0.1)
        job = await load_job(request, job.id, job.owner)
    return job


def new_job(owner: str, tier: str, target: float, overrides: dict[str, Any], webhook_url: str | None,
            **extra: Any) -> Job:
    """A queued job record before submission (hash and cache key are filled in by `submit_image`)."""
    return Job(id=new_job_id(), owner=owner, requested_tier=tier, target_ssim=target, overrides=overrides,
               image_sha256="", cache_key="", webhook_url=webhook_url, **extra)
