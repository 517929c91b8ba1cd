"""Job endpoints: submit, poll, download, cancel, and the synchronous Tier 1 conversion."""

import json
import time
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, HTTPException, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from api import metrics
from api.deps import current_owner
from api.submission import load_job, new_job, parse_overrides, read_upload, save_job, submit_image, wait_for
from api.webhook_urls import check_webhook_url_async
from shared.config import get_settings
from shared.pipeline import validate_options
from workers.app import MAX_BUDGET_S
from workers.jobstore import FINAL_STATES, Job, conversion_event, decompress_svg, svg_key

router = APIRouter()
Owner = Annotated[str, Depends(current_owner)]
ImageFile = Annotated[UploadFile, File(description="PNG, JPEG, WebP or GIF")]
TierField = Annotated[str, Form(description="auto, 1, 2 or 3")]
TargetField = Annotated[float | None, Form(gt=0, le=1, description="SSIM to reach (default from settings)")]
OverridesField = Annotated[str | None, Form(description="JSON object of parameter overrides")]
WebhookField = Annotated[str | None, Form(description="POSTed {event, job} on completion, signed")]
BudgetField = Annotated[float | None, Form(gt=0, le=MAX_BUDGET_S, description="seconds for a searching tier "
                                                                     "(Tier 3; also guides `auto`)")]


def job_response(job: Job) -> JSONResponse:
    return JSONResponse(job.public(), status_code=200 if job.status in FINAL_STATES else 202)


@router.post("/v1/jobs", summary="Submit an image; 200 with the result if ready (cache hit, Tier 1, or "
                                 "within `wait`), else 202 with the job to poll")
async def submit_job(
    request: Request,
    owner: Owner,
    file: ImageFile,
    tier: TierField = "auto",
    target_ssim: TargetField = None,
    overrides: OverridesField = None,
    wait: Annotated[float, Form(ge=0, description="seconds to wait for the result")] = 0.0,
    webhook_url: WebhookField = None,
    budget_s: BudgetField = None,
) -> JSONResponse:
    data = await read_upload(file)
    tier, target, fixed = validate_options(tier, target_ssim, parse_overrides(overrides), budget_s)
    webhook_url = await check_webhook_url_async(webhook_url)
    job = new_job(owner, tier, target, fixed, webhook_url, filename=file.filename, budget_s=budget_s)
    job = await submit_image(request, job, data)
    return job_response(await wait_for(request, job, wait))


@router.post("/v1/convert", summary="Synchronous Tier 1 conversion: the SVG, with its figures in headers",
             response_class=Response, responses={200: {"content": {"image/svg+xml": {}}}})
async def convert_now(
    request: Request,
    owner: Owner,
    file: ImageFile,
    target_ssim: TargetField = None,
    overrides: OverridesField = None,
) -> Response:
    data = await read_upload(file)
    _, target, fixed = validate_options("1", target_ssim, parse_overrides(overrides), None)
    planned = await request.app.state.pool.run(data, "1", target, fixed)
    summary = planned["summary"]
    metrics.JOBS.labels("1", "convert").inc()
    metrics.record(conversion_event(1, "succeeded", summary))
    headers = {f"X-Svgai-{name.replace('_', '-').title()}": str(summary[name])
               for name in ("ssim", "psnr", "bytes", "gzip_bytes", "paths", "tier", "logo_type", "seconds")}
    headers["X-Svgai-Params"] = json.dumps(summary["params"], separators=(",", ":"))
    return Response(planned["svg"], media_type="image/svg+xml", headers=headers)


@router.get("/v1/jobs/{job_id}", summary="Job status, progress, figures and error")
async def get_job(request: Request, job_id: str, owner: Owner) -> JSONResponse:
    return JSONResponse((await load_job(request, job_id, owner)).public())


async def job_svg(request: Request, job: Job) -> str:
    """The SVG of a succeeded job (409 before that, 404 once expired from the cache)."""
    if job.status != "succeeded":
        raise HTTPException(409, f"job {job.id} is {job.status}; the SVG exists once it has succeeded")
    data = await request.app.state.redis.get(svg_key(get_settings().key_prefix, job.cache_key))
    if data is None:
        raise HTTPException(404, "the SVG has expired from the result cache; submit the image again")
    return decompress_svg(data)


@router.get("/v1/jobs/{job_id}/svg", summary="The job's SVG", response_class=Response,
            responses={200: {"content": {"image/svg+xml": {}}}})
async def get_job_svg(request: Request, job_id: str, owner: Owner) -> Response:
    job = await load_job(request, job_id, owner)
    return Response(await job_svg(request, job), media_type="image/svg+xml")


@router.delete("/v1/jobs/{job_id}", summary="Cancel a queued or running job")
async def cancel_job(request: Request, job_id: str, owner: Owner) -> JSONResponse:
    job = await load_job(request, job_id, owner)
    if job.status not in FINAL_STATES:
        job = job.model_copy(update={"status": "cancelled", "finished": time.time()})
        await save_job(request, job)
    return JSONResponse(job.public())
