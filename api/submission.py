"""What every submission path shares (single jobs, batches): reading and validating the upload, the
cache lookup, Tier 1 in the pool, and queueing Tiers 2/3. Every job-record change goes through
workers/lifecycle.py (blocking Redis, so in a thread); reads use the gateway's asyncio client."""

import asyncio
import hashlib
import json
import logging
import time
from typing import Any

import redis.asyncio as aioredis
from fastapi import HTTPException, UploadFile

from api import metrics
from api.tier1_pool import Tier1Pool
from shared.config import get_settings
from shared.errors import ParameterError
from shared.images import read_image_header
from shared.params import overrides_from_json as parse_overrides  # noqa: F401 - the API's overrides field
from workers import broker, lifecycle
from workers.jobstore import (
    FINAL_STATES,
    Job,
    cache_key,
    image_key,
    job_key,
    new_job_id,
    result_key,
    seen_key,
)

log = logging.getLogger("svgai.gateway")


def check_budget(budget_s: float | None) -> None:
    """`budget_s` within the settings' maximum (422 otherwise)."""
    limit = get_settings().max_budget_s
    if budget_s is not None and budget_s > limit:
        raise ParameterError(f"budget_s must be at most {limit:g} seconds")


async def read_upload(file: UploadFile) -> bytes:
    """The upload's bytes, checked (size, type by content, pixel limits) before anything is stored."""
    data = await file.read(get_settings().max_upload_bytes + 1)
    read_image_header(data)
    return data


async def load_job(redis: aioredis.Redis, job_id: str, owner: str) -> Job:
    """The job, if it exists and belongs to `owner`; another key's job is indistinguishable from none."""
    raw = await redis.get(job_key(get_settings().key_prefix, job_id))
    job = Job.model_validate_json(raw) if raw is not None else None
    if job is None or job.owner != owner:
        raise HTTPException(404, f"no job {job_id}")
    return job


async def finish_now(redis: aioredis.Redis, job: Job, outcome: lifecycle.Outcome) -> Job:
    """End a job the gateway answered itself (cache hit, Tier 1) through the one finish path."""
    done = await lifecycle.finish_new_async(redis, job, outcome)
    if done is None:  # cannot happen for a fresh id; kept explicit rather than assumed
        raise HTTPException(409, f"job {job.id} already exists")
    return done


async def submit_image(redis: aioredis.Redis, pool: Tier1Pool, job: Job, data: bytes) -> Job:
    """Answer `job` from the result cache, or run Tier 1 now, or queue Tier 2/3; returns the record as
    saved. `job` carries the validated settings; its cache key is set here from the bytes.

    The cache is shared by all API keys, but `cache_hit` is true only for an owner who has had this
    result before: another owner is never told that someone else converted the same image."""
    s = get_settings()
    digest = hashlib.sha256(data).hexdigest()
    job = job.model_copy(update={"image_sha256": digest, "cache_key": cache_key(
        digest, job.requested_tier, job.target_ssim, job.overrides, job.budget_s)})
    pipe = redis.pipeline(transaction=False)
    pipe.get(result_key(s.key_prefix, job.cache_key))
    pipe.exists(seen_key(s.key_prefix, job.cache_key, job.owner))
    pipe.expire(image_key(s.key_prefix, digest), s.result_ttl_s)  # keep the original as long as the result
    cached, seen, have_original = await pipe.execute()
    if not have_original:
        await redis.set(image_key(s.key_prefix, digest), data, ex=s.result_ttl_s)
    metrics.CACHE.labels("hit" if cached else "miss").inc()
    if cached:  # no conversion, nothing queued
        outcome = lifecycle.Outcome(summary=json.loads(cached), cache_hit=bool(seen))
        job = await finish_now(redis, job, outcome)
        metrics.JOBS.labels(str(job.tier), "cache_hit").inc()
        return job
    tier = job.requested_tier
    if tier in ("auto", "1"):
        planned = await pool.run(data, tier, job.target_ssim, job.overrides, job.budget_s)
        if planned["tier"] == 1:
            outcome = lifecycle.Outcome(summary=planned["summary"], svg=planned["svg"])
            job = await finish_now(redis, job, outcome)
            metrics.JOBS.labels("1", "sync").inc()
            return job
        job = job.model_copy(update={"tier": planned["tier"], "reason": planned["reason"]})
    else:
        job = job.model_copy(update={"tier": int(tier), "reason": f"Tier {tier} was requested"})
    job = await asyncio.to_thread(lifecycle.enqueue, broker.redis_client(), job)
    metrics.JOBS.labels(str(job.tier), "queued").inc()
    log.info("job queued", extra={"job_id": job.id, "tier": job.tier})
    return job


async def wait_for(redis: aioredis.Redis, job: Job, wait_s: float) -> Job:
    """Long-poll: re-read the record the worker updates until it is final or `wait_s` has passed."""
    deadline = time.monotonic() + min(wait_s, get_settings().max_wait_s)
    while time.monotonic() < deadline and job.status not in FINAL_STATES:
        await asyncio.sleep(0.1)
        job = await load_job(redis, job.id, job.owner)
    return job


def new_job(owner: str, tier: str, target: float, overrides: dict[str, Any], webhook_url: str | None,
            **extra: Any) -> Job:
    """A queued job record before submission (hash and cache key are filled in by `submit_image`)."""
    return Job(id=new_job_id(), owner=owner, requested_tier=tier, target_ssim=target, overrides=overrides,
               image_sha256="", cache_key="", webhook_url=webhook_url, **extra)
