"""Webhook delivery on the Standard Webhooks spec (https://www.standardwebhooks.com/): on a job's
completion, POST `{event, job}` to its `webhook_url` with

  webhook-id         `{job id}.{status}`: the same on every attempt and every duplicate delivery, so the
                     receiver de-duplicates on it
  webhook-timestamp  Unix seconds of this attempt
  webhook-signature  `v1,base64(HMAC-SHA256(secret, f"{id}.{timestamp}.{body}"))`

The secret is `SVGAI_WEBHOOK_SECRET`: a `whsec_`-prefixed base64 key is used as the spec says; any other
string is used as its UTF-8 bytes (receivers: `standardwebhooks.Webhook(secret.encode())`).

Each attempt has one TOTAL deadline (`webhook_timeout_s`: connect, send and read together), so a
receiver that answers one byte at a time cannot hold a worker process; attempts are recorded on the job
before the POST and completed after it.
"""

import asyncio
import json
import time
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from shared.config import get_settings
from workers.jobstore import Job


def signer(secret: str) -> Webhook:
    return Webhook(secret if secret.startswith("whsec_") else secret.encode())


def webhook_id(job: Job) -> str:
    return f"{job.id}.{job.status}"


def event_body(job: Job) -> bytes:
    return json.dumps({"event": f"job.{job.status}", "job": job.public()}, separators=(",", ":")).encode()


def headers_for(job: Job, body: bytes, now: float) -> dict[str, str]:
    msg_id = webhook_id(job)
    signature = signer(get_settings().webhook_secret).sign(
        msg_id, datetime.fromtimestamp(int(now), tz=UTC), body.decode())
    return {"Content-Type": "application/json", "User-Agent": "svgai-webhooks", "webhook-id": msg_id,
            "webhook-timestamp": str(int(now)), "webhook-signature": signature}


async def _post(url: str, body: bytes, headers: dict[str, str], deadline_s: float) -> int:
    async with httpx.AsyncClient(timeout=deadline_s, follow_redirects=False) as client:
        response = await asyncio.wait_for(client.post(url, content=body, headers=headers), deadline_s)
        return response.status_code


def post_once(job: Job) -> dict[str, object]:
    """One delivery attempt, bounded by the total deadline; never raises: the outcome is returned for
    the job's record."""
    now = time.time()
    body = event_body(job)
    outcome: dict[str, object] = {"webhook_id": webhook_id(job)}
    try:
        status = asyncio.run(_post(str(job.webhook_url), body, headers_for(job, body, now),
                                   get_settings().webhook_timeout_s))
        outcome.update(status_code=status, ok=200 <= status < 300)
    except (TimeoutError, httpx.TimeoutException):
        outcome.update(status_code=None, ok=False, error="timeout")
    except httpx.HTTPError as exc:
        outcome.update(status_code=None, ok=False, error=type(exc).__name__)
    outcome["seconds"] = round(time.time() - now, 3)
    return outcome
