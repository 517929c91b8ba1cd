"""API keys and per-key rate limits.

Keys come from settings (`SVGAI_API_KEYS`, a JSON list); only their sha256 is used beyond this check, as
the owner id stored on jobs, so no key is ever written to Redis. With no keys configured the gateway is
in open mode (every caller is "anonymous", not limited). Each key has a token bucket in Redis:
`rate_limit_burst` tokens, refilled at `rate_limit_per_s`; an empty bucket answers 429 with Retry-After.
"""

import hashlib
import hmac

import redis.asyncio as aioredis
from fastapi import HTTPException

from shared.config import Settings

ANONYMOUS = "anonymous"

# KEYS[1] bucket; ARGV: now (s), rate (tokens/s), burst. Returns {allowed (0/1), seconds until a token}.
_TOKEN_BUCKET = """
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local now, rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens = tonumber(state[1]) or burst
local ts = tonumber(state[2]) or now
tokens = math.min(burst, tokens + (now - ts) * rate)
local allowed = 0
if tokens >= 1 then tokens = tokens - 1; allowed = 1 end
redis.call('HSET', KEYS[1], 'tokens', tokens, 'ts', now)
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
if allowed == 1 then return {1, '0'} end
return {0, tostring((1 - tokens) / rate)}
"""


def owner_of(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def authenticate(authorization: str | None, keys: list[str]) -> str:
    """The caller's owner id from an `Authorization: Bearer KEY` header value; 401 when keys are
    configured and the header is missing or names no configured key. `ANONYMOUS` with no keys."""
    if not keys:
        return ANONYMOUS
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "an API key is required: Authorization: Bearer <key>",
                            headers={"WWW-Authenticate": "Bearer"})
    if not any(hmac.compare_digest(token.encode(), k.encode()) for k in keys):
        raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
    return owner_of(token)


async def take_token(redis: aioredis.Redis, owner: str, settings: Settings, now: float) -> float | None:
    """Take one token from `owner`'s bucket: None when allowed, else the seconds until a token."""
    allowed, wait = await redis.eval(_TOKEN_BUCKET, 1, f"{settings.key_prefix}:rate:{owner}", now,
                                     settings.rate_limit_per_s, settings.rate_limit_burst)
    return None if int(allowed) else float(wait)
