"""Job endpoints: submit, poll, download, cancel, and the synchronous Tier 1 conversion."""

import asyncio
import json
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, UploadFile
from fastapi.responses import JSONResponse, Response

from api import idempotency, metrics
from api.deps import Owner, PoolDep, RedisDep
from api.submission import (
    check_budget,
    load_job,
    new_job,
    parse_overrides,
    read_upload,
    submit_image,
    wait_for,
)
from api.webhook_urls import check_webhook_url_async
from shared.config import get_settings
from shared.pipeline import validate_options
from workers import broker, lifecycle
from workers import metrics as conversion_metrics
from workers.jobstore import FINAL_STATES, Job, decompress_svg, svg_key

router = APIRouter()
ImageFile = Annotated[UploadFile, File(description="PNG, JPEG, WebP, AVIF, GIF or ICO")]
TierField = Annotated[str, Form(description="auto, 1, 2 or 3")]
TargetField = Annotated[float | None, Form(gt=0, le=1, description="SSIM to reach (default from settings)")]
OverridesField = Annotated[str | None, Form(description="JSON object of parameter overrides")]
WebhookField = Annotated[str | None, Form(description="POSTed {event, job} on completion (Standard "
                                                      "Webhooks headers and signature)")]
BudgetField = Annotated[float | None, Form(gt=0, description="seconds for a searching tier (Tier 3; also "
                                                             "guides `auto`); at most SVGAI_MAX_BUDGET_S")]


def job_response(job: Job) -> JSONResponse:
    return JSONResponse(job.public(), status_code=200 if job.status in FINAL_STATES else 202)


@router.post("/v1/jobs", summary="Submit an image; 200 with the result if ready (cache hit, Tier 1, or "
                                 "within `wait`), else 202 with the job to poll")
async def submit_job(
    owner: Owner,
    redis: RedisDep,
    pool: PoolDep,
    file: ImageFile,
    tier: TierField = "auto",
    target_ssim: TargetField = None,
    overrides: OverridesField = None,
    wait: Annotated[float, Form(ge=0, description="seconds to wait for the result")] = 0.0,
    webhook_url: WebhookField = None,
    budget_s: BudgetField = None,
    idempotency_key: idempotency.IdempotencyKey = None,
) -> JSONResponse:
    data = await read_upload(file)
    check_budget(budget_s)
    tier, target, fixed = validate_options(tier, target_ssim, parse_overrides(overrides), budget_s)
    fields = {"tier": tier, "target": target, "overrides": fixed, "webhook_url": webhook_url,
              "budget_s": budget_s}
    async with idempotency.claim(redis, owner, "jobs", idempotency_key,
                                 idempotency.fingerprint([(file.filename or "", data)], fields)) as claim:
        if claim.replay is not None:
            job = await load_job(redis, claim.replay, owner)
        else:
            webhook_url = await check_webhook_url_async(webhook_url)
            job = new_job(owner, tier, target, fixed, webhook_url, filename=file.filename, budget_s=budget_s)
            job = await submit_image(redis, pool, job, data)
            await claim.done(job.id)
    return job_response(await wait_for(redis, job, wait))


@router.post("/v1/convert", summary="Synchronous Tier 1 conversion: the SVG, with its figures in headers",
             response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
async def convert_now(
    owner: Owner,
    pool: PoolDep,
    file: ImageFile,
    target_ssim: TargetField = None,
    overrides: OverridesField = None,
) -> Response:
    data = await read_upload(file)
    _, target, fixed = validate_options("1", target_ssim, parse_overrides(overrides), None)
    planned = await pool.run(data, "1", target, fixed)
    summary = planned["summary"]
    metrics.JOBS.labels("1", "convert").inc()
    conversion_metrics.record_conversion(1, "succeeded", summary)
    headers = {f"X-Svgai-{name.replace('_', '-').title()}": str(summary[name])
               for name in ("ssim", "psnr", "bytes", "gzip_bytes", "paths", "tier", "logo_type", "seconds")}
    headers["X-Svgai-Params"] = json.dumps(summary["params"], separators=(",", ":"))
    return Response(planned["svg"], media_type="image/svg+xml", headers=headers)


@router.get("/v1/jobs/{job_id}", summary="Job status, progress, figures and error")
async def get_job(job_id: str, owner: Owner, redis: RedisDep) -> JSONResponse:
    return JSONResponse((await load_job(redis, job_id, owner)).public())


async def job_svg(redis: RedisDep, job: Job) -> str:
    """The SVG of a succeeded job (409 before that, 404 once expired from the cache)."""
    if job.status != "succeeded":
        raise HTTPException(409, f"job {job.id} is {job.status}; the SVG exists once it has succeeded")
    data = await redis.get(svg_key(get_settings().key_prefix, job.cache_key))
    if data is None:
        raise HTTPException(404, "the SVG has expired from the result cache; submit the image again")
    return decompress_svg(data)


@router.get("/v1/jobs/{job_id}/svg", summary="The job's SVG", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}})
async def get_job_svg(job_id: str, owner: Owner, redis: RedisDep) -> Response:
    job = await load_job(redis, job_id, owner)
    return Response(await job_svg(redis, job), media_type="image/svg+xml")


@router.delete("/v1/jobs/{job_id}", summary="Cancel a queued or running job (a finished job is left as "
                                            "it is; the answer is the job's final state)")
async def cancel_job(job_id: str, owner: Owner, redis: RedisDep) -> JSONResponse:
    job = await load_job(redis, job_id, owner)
    if job.status not in FINAL_STATES:
        job = await asyncio.to_thread(lifecycle.cancel, broker.redis_client(), job_id) or job
    return JSONResponse(job.public())
