"""Batch endpoints: many files, one handle. Each file becomes an ordinary job (same cache, tiers and
webhooks); the batch record only lists them. Every file is validated before any job is created, so a
bad file rejects the whole batch and leaves nothing behind."""

import asyncio
import io
import re
import time
import uuid
import zipfile
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, File, HTTPException, UploadFile
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field

from api import idempotency
from api.deps import Owner, PoolDep, RedisDep
from api.jobs import BudgetField, OverridesField, TargetField, TierField, WebhookField, job_svg
from api.submission import check_budget, new_job, parse_overrides, read_upload, submit_image
from api.tier1_process import Tier1LimitError, synchronous_pixels_exceeded
from api.webhook_urls import check_webhook_url_async
from shared.config import get_settings
from shared.errors import InputImageError
from shared.images import decode_image
from shared.pipeline import validate_options
from workers.jobstore import FINAL_STATES, Job, batch_key, job_key

router = APIRouter()
MAX_STEM_CHARS = 100  # of a file name in a batch's zip (a name of 255 bytes or more cannot be created)
_UNSAFE_CHARS = re.compile(r"[\x00-\x1f\x7f:*?\"<>|]")


def safe_basename(filename: str) -> str:
    """The last component of an uploaded file name, whichever slash separated it, without control
    characters or characters Windows refuses, never '.'/'..'; '' when nothing is left."""
    base = _UNSAFE_CHARS.sub("_", re.split(r"[/\\]", filename)[-1]).strip(" .")
    return "" if base in ("", ".", "..") else base


def zip_entry_name(filename: str | None, job_id: str, used: set[str]) -> str:
    """`<stem>.svg` for a job's upload name: a safe basename, its stem capped at MAX_STEM_CHARS
    characters, made unique among `used` with the job id (then a counter)."""
    stem = PurePath(safe_basename(filename or "")).stem.strip(" .")[:MAX_STEM_CHARS] or job_id
    name, n = f"{stem}.svg", 1
    while name in used:
        name = f"{stem}-{job_id[:8]}.svg" if n == 1 else f"{stem}-{job_id[:8]}-{n}.svg"
        n += 1
    return name


def check_batch_image(data: bytes, tier: str, tier1_max_pixels: int) -> None:
    """What every tier will need of a batch file, checked before any job exists: the whole image
    decodes (not only its header), and a tier 1 image is within the synchronous pixel limit."""
    image = decode_image(data)
    if tier == "1" and image.width * image.height > tier1_max_pixels:
        raise Tier1LimitError(synchronous_pixels_exceeded(image.width, image.height, tier1_max_pixels)
                              + "; submit it with tier 2 or 3")


class Batch(BaseModel):
    id: str
    owner: str
    created: float = Field(default_factory=time.time)
    job_ids: list[str]


async def _load_batch(redis: RedisDep, batch_id: str, owner: str) -> tuple[Batch, list[Job]]:
    s = get_settings()
    raw = await redis.get(batch_key(s.key_prefix, batch_id))
    batch = Batch.model_validate_json(raw) if raw is not None else None
    if batch is None or batch.owner != owner:
        raise HTTPException(404, f"no batch {batch_id}")
    records = await redis.mget([job_key(s.key_prefix, i) for i in batch.job_ids]) if batch.job_ids else []
    return batch, [Job.model_validate_json(r) for r in records if r is not None]


def _batch_view(batch: Batch, jobs: list[Job]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for job in jobs:
        counts[job.status] = counts.get(job.status, 0) + 1
    done = all(job.status in FINAL_STATES for job in jobs)
    return {"id": batch.id, "created": batch.created, "status": "finished" if done else "running",
            "total": len(batch.job_ids), "counts": counts, "jobs": [job.public() for job in jobs]}


@router.post("/v1/batches", summary="Submit many images under one handle; 200 when every job is already "
                                    "finished (cache hits, Tier 1), else 202 to poll")
async def submit_batch(
    owner: Owner,
    redis: RedisDep,
    pool: PoolDep,
    files: Annotated[list[UploadFile], File(description="PNG, JPEG, WebP, AVIF, GIF or ICO files")],
    tier: TierField = "auto",
    target_ssim: TargetField = None,
    overrides: OverridesField = None,
    webhook_url: WebhookField = None,
    budget_s: BudgetField = None,
    idempotency_key: idempotency.IdempotencyKey = None,
) -> JSONResponse:
    s = get_settings()
    check_budget(budget_s)
    if not 1 <= len(files) <= s.max_batch_files:
        raise HTTPException(422, f"a batch holds 1 to {s.max_batch_files} files, got {len(files)}")
    tier, target, fixed = validate_options(tier, target_ssim, parse_overrides(overrides), budget_s)
    webhook_url = await check_webhook_url_async(webhook_url)
    uploads: list[tuple[str, bytes]] = []
    for index, file in enumerate(files):
        name = safe_basename(file.filename or "") or f"image-{index + 1}"
        try:
            data = await read_upload(file)
            await asyncio.to_thread(check_batch_image, data, tier, s.tier1_max_pixels)
        except InputImageError as exc:
            raise type(exc)(f"{name}: {exc}", too_large=exc.too_large, unsupported=exc.unsupported) from exc
        except Tier1LimitError as exc:
            raise Tier1LimitError(f"{name}: {exc}") from exc
        uploads.append((name, data))
    fields = {"tier": tier, "target": target, "overrides": fixed, "webhook_url": webhook_url,
              "budget_s": budget_s}
    async with idempotency.claim(redis, owner, "batches", idempotency_key,
                                 idempotency.fingerprint(uploads, fields)) as claim:
        if claim.replay is not None:
            view = _batch_view(*await _load_batch(redis, claim.replay, owner))
            return JSONResponse(view, status_code=200 if view["status"] == "finished" else 202)
        batch_id = uuid.uuid4().hex
        slots = asyncio.Semaphore(s.tier1_workers)  # Tier 1 runs in the gateway's pool: never flood it

        async def one(name: str, data: bytes) -> Job:
            async with slots:
                job = new_job(owner, tier, target, fixed, webhook_url, batch_id=batch_id, filename=name,
                              budget_s=budget_s)
                return await submit_image(redis, pool, job, data)

        jobs = list(await asyncio.gather(*(one(name, data) for name, data in uploads)))
        batch = Batch(id=batch_id, owner=owner, job_ids=[job.id for job in jobs])
        await redis.set(batch_key(s.key_prefix, batch_id), batch.model_dump_json(), ex=s.job_ttl_s)
        await claim.done(batch_id)
    view = _batch_view(batch, jobs)
    return JSONResponse(view, status_code=200 if view["status"] == "finished" else 202)


@router.get("/v1/batches/{batch_id}", summary="The batch: status, counts by job status, and its jobs")
async def get_batch(batch_id: str, owner: Owner, redis: RedisDep) -> JSONResponse:
    return JSONResponse(_batch_view(*await _load_batch(redis, batch_id, owner)))


@router.get("/v1/batches/{batch_id}/svgs.zip", summary="A zip of the batch's finished SVGs",
            response_class=Response, responses={200: {"content": {"application/zip": {}}}})
async def get_batch_zip(batch_id: str, owner: Owner, redis: RedisDep) -> Response:
    _, jobs = await _load_batch(redis, batch_id, owner)
    buffer, used = io.BytesIO(), set()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for job in jobs:
            if job.status != "succeeded":
                continue
            name = zip_entry_name(job.filename, job.id, used)
            used.add(name)
            try:
                archive.writestr(name, await job_svg(redis, job))
            except HTTPException:
                continue  # expired from the cache: left out rather than failing the whole download
    if not used:
        raise HTTPException(409, f"batch {batch_id} has no finished SVG yet")
    return Response(buffer.getvalue(), media_type="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="svgai-{batch_id[:8]}.zip"'})
