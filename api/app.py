"""The HTTP gateway (thin, async): validate uploads, answer cache hits from Redis, run Tier 1 in a
bounded process pool, queue Tiers 2/3 for the Celery workers, and serve job status and SVGs.

    uvicorn api.app:app   (or: svgai serve)
"""

import asyncio
import hashlib
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

import redis.asyncio as aioredis
from fastapi import Depends, FastAPI, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, Counter, generate_latest

from api import errors
from api.auth import current_owner
from api.tier1_pool import Tier1Pool
from api.webhook_urls import check_webhook_url_async
from shared.config import get_settings
from shared.errors import ParameterError
from shared.images import read_image_header
from shared.pipeline import validate_options
from workers.app import convert_job, notify
from workers.jobstore import (
    FINAL_STATES,
    Job,
    cache_key,
    decompress_svg,
    finished_entries,
    image_key,
    job_key,
    new_job_id,
    result_key,
    succeeded,
    svg_key,
)

JOBS = Counter("svgai_jobs_total", "jobs submitted, by tier and how they were answered", ["tier", "outcome"])
Owner = Annotated[str, Depends(current_owner)]
CACHE = Counter("svgai_cache_total", "result cache lookups", ["result"])


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    app.state.redis = aioredis.Redis.from_url(settings.redis_url, socket_timeout=5)
    app.state.pool = Tier1Pool(settings.tier1_workers, settings.tier1_queue_limit)
    try:
        yield
    finally:
        app.state.pool.close()
        await app.state.redis.aclose()


app = FastAPI(title="svgai", version="1", lifespan=lifespan,
              description="Raster logos to clean SVG with a measured quality figure on every result.")
errors.install(app)


def _parse_overrides(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ParameterError(f"overrides must be a JSON object: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise ParameterError("overrides must be a JSON object of parameter names to values")
    return value


async def _read_upload(file: UploadFile) -> bytes:
    limit = get_settings().max_upload_bytes
    data = await file.read(limit + 1)
    read_image_header(data)  # size, type by content, pixel limits: before anything is stored or queued
    return data


async def _save_job(request: Request, job: Job) -> None:
    s = get_settings()
    await request.app.state.redis.set(job_key(s.key_prefix, job.id), job.model_dump_json(), ex=s.job_ttl_s)


async def _load_job(request: Request, job_id: str, owner: str) -> Job:
    """The job, if it exists and belongs to `owner`; another key's job is indistinguishable from none."""
    raw = await request.app.state.redis.get(job_key(get_settings().key_prefix, job_id))
    job = Job.model_validate_json(raw) if raw is not None else None
    if job is None or job.owner != owner:
        raise HTTPException(404, f"no job {job_id}")
    return job


def _job_response(job: Job) -> JSONResponse:
    return JSONResponse(job.public(), status_code=200 if job.status in FINAL_STATES else 202)


@app.post("/v1/jobs", summary="Submit an image; 200 with the result if ready (cache hit, Tier 1, or within "
                              "`wait`), else 202 with the job to poll")
async def submit_job(
    request: Request,
    owner: Owner,
    file: Annotated[UploadFile, File(description="PNG, JPEG, WebP or GIF")],
    tier: Annotated[str, Form(description="auto, 1, 2 or 3")] = "auto",
    target_ssim: Annotated[float | None, Form(gt=0, le=1)] = None,
    overrides: Annotated[str | None, Form(description="JSON object of parameter overrides")] = None,
    wait: Annotated[float, Form(ge=0, description="seconds to wait for the result")] = 0.0,
    webhook_url: Annotated[str | None, Form(description="POSTed {event, job} on completion, signed")] = None,
) -> JSONResponse:
    s = get_settings()
    data = await _read_upload(file)
    tier, target, fixed = validate_options(tier, target_ssim, _parse_overrides(overrides), None)
    webhook_url = await check_webhook_url_async(webhook_url)
    digest = hashlib.sha256(data).hexdigest()
    key = cache_key(digest, tier, target, fixed)
    job = Job(id=new_job_id(), owner=owner, requested_tier=tier, target_ssim=target, overrides=fixed,
              image_sha256=digest, cache_key=key, webhook_url=webhook_url)
    redis = request.app.state.redis
    await redis.set(image_key(s.key_prefix, digest), data, ex=s.result_ttl_s)
    cached = await redis.get(result_key(s.key_prefix, key))
    CACHE.labels("hit" if cached else "miss").inc()
    if cached:
        summary = json.loads(cached)
        job = succeeded(job, summary).model_copy(update={"cache_hit": True})
        await _save_job(request, job)
        await asyncio.to_thread(notify, job)
        JOBS.labels(str(job.tier), "cache_hit").inc()
        return _job_response(job)
    if tier in ("auto", "1"):
        planned = await request.app.state.pool.run(data, tier, target, fixed)
        if planned["tier"] == 1:
            job = succeeded(job, planned["summary"])
            pipe = redis.pipeline()
            for key, value, ttl in finished_entries(s.key_prefix, job, planned["svg"], s.result_ttl_s,
                                                    s.job_ttl_s):
                pipe.set(key, value, ex=ttl)
            await pipe.execute()
            await asyncio.to_thread(notify, job)
            JOBS.labels("1", "sync").inc()
            return _job_response(job)
        job = job.model_copy(update={"tier": planned["tier"], "reason": planned["reason"]})
    else:
        job = job.model_copy(update={"tier": int(tier), "reason": f"Tier {tier} was requested"})
    await _save_job(request, job)
    queue = s.queue_tier2 if job.tier == 2 else s.queue_tier3
    await asyncio.to_thread(convert_job.apply_async, args=[job.id], queue=queue)
    JOBS.labels(str(job.tier), "queued").inc()
    deadline = time.monotonic() + min(wait, s.max_wait_s)
    while time.monotonic() < deadline and job.status not in FINAL_STATES:
        await asyncio.sleep(0.1)  # long-poll: re-read the record the worker updates
        job = await _load_job(request, job.id, owner)
    return _job_response(job)


@app.post("/v1/convert", summary="Synchronous Tier 1 conversion: the SVG, with its figures in headers",
          response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
async def convert_now(
    request: Request,
    owner: Owner,
    file: Annotated[UploadFile, File(description="PNG, JPEG, WebP or GIF")],
    target_ssim: Annotated[float | None, Form(gt=0, le=1)] = None,
    overrides: Annotated[str | None, Form(description="JSON object of parameter overrides")] = None,
) -> Response:
    data = await _read_upload(file)
    _, target, fixed = validate_options("1", target_ssim, _parse_overrides(overrides), None)
    planned = await request.app.state.pool.run(data, "1", target, fixed)
    summary = planned["summary"]
    JOBS.labels("1", "convert").inc()
    headers = {f"X-Svgai-{name.replace('_', '-').title()}": str(summary[name])
               for name in ("ssim", "psnr", "bytes", "gzip_bytes", "paths", "tier", "logo_type", "seconds")}
    headers["X-Svgai-Params"] = json.dumps(summary["params"], separators=(",", ":"))
    return Response(planned["svg"], media_type="image/svg+xml", headers=headers)


@app.get("/v1/jobs/{job_id}", summary="Job status, progress, figures and error")
async def get_job(request: Request, job_id: str, owner: Owner) -> JSONResponse:
    return JSONResponse((await _load_job(request, job_id, owner)).public())


@app.get("/v1/jobs/{job_id}/svg", summary="The job's SVG", response_class=Response,
         responses={200: {"content": {"image/svg+xml": {}}}})
async def get_job_svg(request: Request, job_id: str, owner: Owner) -> Response:
    job = await _load_job(request, job_id, owner)
    if job.status != "succeeded":
        raise HTTPException(409, f"job {job_id} is {job.status}; the SVG exists once it has succeeded")
    data = await request.app.state.redis.get(svg_key(get_settings().key_prefix, job.cache_key))
    if data is None:
        raise HTTPException(404, "the SVG has expired from the result cache; submit the image again")
    return Response(decompress_svg(data), media_type="image/svg+xml")


@app.delete("/v1/jobs/{job_id}", summary="Cancel a queued or running job")
async def cancel_job(request: Request, job_id: str, owner: Owner) -> JSONResponse:
    job = await _load_job(request, job_id, owner)
    if job.status not in FINAL_STATES:
        job = job.model_copy(update={"status": "cancelled", "finished": time.time()})
        await _save_job(request, job)
    return JSONResponse(job.public())


@app.get("/healthz", summary="Liveness")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/readyz", summary="Readiness: Redis reachable")
async def readyz(request: Request) -> JSONResponse:
    try:
        await request.app.state.redis.ping()
    except (OSError, aioredis.ConnectionError, aioredis.TimeoutError):
        return JSONResponse({"status": "unavailable", "detail": "Redis is unreachable"}, status_code=503)
    return JSONResponse({"status": "ready"})


@app.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(request: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
