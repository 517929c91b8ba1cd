"""Webhook delivery: on a job's completion, POST `{event, job}` to its `webhook_url`, signed, retried
with exponential backoff from the `webhooks` queue; every attempt is recorded on the job.

Signature: `X-Svgai-Signature: sha256=HMAC_SHA256(secret, f"{timestamp}.{body}")` with
`X-Svgai-Timestamp: timestamp` (Unix seconds), so receivers can reject replays.
"""

import hashlib
import hmac
import json
import time

import httpx
import redis

from shared.config import get_settings
from workers.jobstore import Job, job_key


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def event_body(job: Job) -> bytes:
    event = "job.succeeded" if job.status == "succeeded" else f"job.{job.status}"
    return json.dumps({"event": event, "job": job.public()}, separators=(",", ":")).encode()


def post_once(job: Job) -> dict[str, object]:
    """One delivery attempt; never raises: the outcome is returned for the job's record."""
    s = get_settings()
    body, ts = event_body(job), str(int(time.time()))
    headers = {"Content-Type": "application/json", "X-Svgai-Timestamp": ts,
               "X-Svgai-Signature": sign(s.webhook_secret, ts, body), "User-Agent": "svgai-webhooks"}
    attempt: dict[str, object] = {"at": time.time()}
    try:
        res = httpx.post(str(job.webhook_url), content=body, headers=headers, timeout=s.webhook_timeout_s,
                         follow_redirects=False)
        attempt.update(status_code=res.status_code, ok=200 <= res.status_code < 300)
    except httpx.HTTPError as exc:
        attempt.update(status_code=None, ok=False, error=type(exc).__name__)
    return attempt


def record_attempt(client: redis.Redis, job_id: str, attempt: dict[str, object]) -> Job | None:
    """Append the attempt to the job atomically (WATCH/MULTI), so progress writes are not lost."""
    s = get_settings()
    key = job_key(s.key_prefix, job_id)
    with client.pipeline() as pipe:
        while True:
            try:
                pipe.watch(key)
                raw = pipe.get(key)
                if raw is None:
                    return None
                job = Job.model_validate_json(raw)
                job.webhook_deliveries.append({**attempt, "attempt": len(job.webhook_deliveries) + 1})
                pipe.multi()
                pipe.set(key, job.model_dump_json(), keepttl=True)
                pipe.execute()
                return job
            except redis.WatchError:
                continue
