"""API keys and per-key rate limits.

Keys come from settings (`SVGAI_API_KEYS`, a JSON list); only their sha256 is used beyond this check, as
the owner id stored on jobs, so no key is ever written to Redis. With no keys configured the gateway is
in open mode (every caller is "anonymous", not limited). Each key has a token bucket in Redis:
`rate_limit_burst` tokens, refilled at `rate_limit_per_s`; an empty bucket answers 429 with Retry-After.
"""

import hashlib
import hmac
import math
import time

from fastapi import HTTPException, Request

from shared.config import get_settings

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


def authenticate(request: Request) -> str:
    """The caller's owner id from `Authorization: Bearer KEY`; 401 when keys are configured and the
    header is missing or names no configured key."""
    keys = get_settings().api_keys
    if not keys:
        return ANONYMOUS
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(401, "an API key is required: Authorization: Bearer <key>",
                            headers={"WWW-Authenticate": "Bearer"})
    if not any(hmac.compare_digest(token.encode(), k.encode()) for k in keys):
        raise HTTPException(401, "unknown API key", headers={"WWW-Authenticate": "Bearer"})
    return owner_of(token)


async def current_owner(request: Request) -> str:
    """FastAPI dependency: authenticate, then take one token from the key's bucket (429 if empty).
    Open mode (no keys configured, for local use) has no limit."""
    owner = authenticate(request)
    if owner == ANONYMOUS:
        return owner
    s = get_settings()
    allowed, wait = await request.app.state.redis.eval(
        _TOKEN_BUCKET, 1, f"{s.key_prefix}:rate:{owner}", time.time(), s.rate_limit_per_s, s.rate_limit_burst
    )
    if not int(allowed):
        retry = max(1, math.ceil(float(wait)))
        raise HTTPException(429, f"rate limit exceeded; retry in {retry} s",
                            headers={"Retry-After": str(retry)})
    return owner
