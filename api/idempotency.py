"""`Idempotency-Key` on the POSTs that create work (IETF draft-ietf-httpapi-idempotency-key-header):
the same key with the same request answers with the resource the first request made (the same job or
batch, in its current state); the same key with a different request is 422; a second request while the
first is still in flight is 409. Keys are scoped per API key (owner) and per endpoint, and kept
idempotency_ttl_s; a request that fails releases its key, so the client may retry it."""

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any

import redis.asyncio as aioredis
from fastapi import Header, HTTPException

from shared.config import get_settings

IdempotencyKey = Annotated[str | None, Header(
    alias="Idempotency-Key", min_length=1, max_length=255,
    description="any unique string; a retry with the same key and request returns the same job/batch")]
IN_FLIGHT_TTL_S = 300  # a gateway that died mid-request frees the key after this long


def fingerprint(uploads: list[tuple[str, bytes]], fields: dict[str, Any]) -> str:
    """The request's identity: every file (name and bytes) and every field that changes the work."""
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True, default=str).encode())
    for name, data in uploads:
        digest.update(b"\0" + name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


@dataclass
class Claim:
    """What the request should do: `replay` is the id made by the first request with this key (answer
    with it), or None (do the work, then `done(id)`)."""

    redis: aioredis.Redis
    key: str | None
    request_fingerprint: str
    replay: str | None = None
    finished: bool = False

    async def done(self, resource_id: str) -> None:
        self.finished = True
        if self.key is not None:
            record = {"fingerprint": self.request_fingerprint, "id": resource_id}
            await self.redis.set(self.key, json.dumps(record), ex=get_settings().idempotency_ttl_s)


@asynccontextmanager
async def claim(redis: aioredis.Redis, owner: str, endpoint: str, key: str | None,
                request_fingerprint: str) -> AsyncIterator[Claim]:
    """Claim `key` for this request (no key: no claim, nothing stored)."""
    if key is None:
        yield Claim(redis, None, request_fingerprint)
        return
    scoped = hashlib.sha256(f"{owner}\0{endpoint}\0{key}".encode()).hexdigest()
    redis_key = f"{get_settings().key_prefix}:idempotency:{scoped}"
    in_flight = json.dumps({"fingerprint": request_fingerprint, "id": None})
    if not await redis.set(redis_key, in_flight, nx=True, ex=IN_FLIGHT_TTL_S):
        raw = await redis.get(redis_key)
        stored = json.loads(raw) if raw else {"fingerprint": request_fingerprint, "id": None}
        if stored["fingerprint"] != request_fingerprint:
            raise HTTPException(422, "this Idempotency-Key was already used with a different request")
        if stored["id"] is None:
            raise HTTPException(409, "a request with this Idempotency-Key is still being processed",
                                headers={"Retry-After": "1"})
        yield Claim(redis, None, request_fingerprint, replay=stored["id"])
        return
    result = Claim(redis, redis_key, request_fingerprint)
    try:
        yield result
    finally:
        if not result.finished:  # failed (or answered without a resource): the key is free again
            await redis.delete(redis_key)
