"""Job records and the result cache in Redis: key names and (de)serialisation, shared by the async
gateway and the sync workers so that both read and write exactly the same layout. Every change of a
job record goes through workers/lifecycle.py.

Keys (all under the settings' prefix):
  {p}:job:{id}              JSON job record, TTL job_ttl_s
  {p}:image:{sha256}        the uploaded bytes, by their hash, TTL result_ttl_s (the worker's input, and
                            the original beside which the difference map is drawn)
  {p}:result:{key}          JSON summary of a finished conversion, TTL result_ttl_s
  {p}:svg:{key}             the SVG, zlib-compressed, TTL result_ttl_s
  {p}:seen:{key}:{owner}    "this owner has had this result" (so another owner is never told cache_hit)
  {p}:batch:{id}            JSON batch record (its job ids), TTL job_ttl_s
  {p}:active                sorted set: ids of queued/running jobs, scored by when to look at them next
  {p}:webhooks              sorted set: ids of finished jobs whose webhook is not settled yet
  {p}:heartbeat:{id}        "host:pid" of the process converting the job, TTL heartbeat_ttl_s
"""

import hashlib
import json
import time
import uuid
import zlib
from typing import Any, Literal

from pydantic import BaseModel, Field

JobStatus = Literal["queued", "running", "succeeded", "failed", "cancelled"]
FINAL_STATES: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})


class Job(BaseModel):
    """The job record; `public()` is what `GET /v1/jobs/{id}` returns (without the owner)."""

    id: str
    owner: str = "anonymous"  # sha256 of the submitting API key
    status: JobStatus = "queued"
    requested_tier: str
    tier: int | None = None
    reason: str | None = None
    target_ssim: float
    budget_s: float | None = None  # seconds for searching tiers; None = the tier's default
    overrides: dict[str, Any] = Field(default_factory=dict)
    progress: float = 0.0
    created: float = Field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    image_sha256: str
    cache_key: str
    cache_hit: bool = False
    result: dict[str, Any] | None = None
    error: str | None = None
    webhook_url: str | None = None
    webhook_deliveries: list[dict[str, Any]] = Field(default_factory=list)
    batch_id: str | None = None
    filename: str | None = None
    tries: int = 0  # runs started (a run lost with its worker is retried up to max_job_tries)

    def public(self) -> dict[str, Any]:
        return self.model_dump(exclude={"owner"})


def new_job_id() -> str:
    return uuid.uuid4().hex


def cache_key(
    image_sha256: str, tier: str, target_ssim: float, overrides: dict[str, Any], budget_s: float | None = None
) -> str:
    """Result-cache key: the image's hash plus every setting that changes the output."""
    spec = json.dumps({"image": image_sha256, "tier": tier, "target": round(target_ssim, 6),
                       "overrides": overrides, "budget_s": budget_s}, sort_keys=True)
    return hashlib.sha256(spec.encode()).hexdigest()


def job_key(prefix: str, job_id: str) -> str:
    return f"{prefix}:job:{job_id}"


def image_key(prefix: str, image_sha256: str) -> str:
    return f"{prefix}:image:{image_sha256}"


def result_key(prefix: str, key: str) -> str:
    return f"{prefix}:result:{key}"


def svg_key(prefix: str, key: str) -> str:
    return f"{prefix}:svg:{key}"


def batch_key(prefix: str, batch_id: str) -> str:
    return f"{prefix}:batch:{batch_id}"


def seen_key(prefix: str, key: str, owner: str) -> str:
    return f"{prefix}:seen:{key}:{owner}"


def active_key(prefix: str) -> str:
    return f"{prefix}:active"


def webhooks_key(prefix: str) -> str:
    return f"{prefix}:webhooks"


def heartbeat_key(prefix: str, job_id: str) -> str:
    return f"{prefix}:heartbeat:{job_id}"


def compress_svg(svg: str) -> bytes:
    return zlib.compress(svg.encode(), 9)


def decompress_svg(data: bytes) -> str:
    return zlib.decompress(data).decode()
