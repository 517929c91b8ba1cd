"""FastAPI dependencies of the gateway, as `Annotated` aliases: endpoints declare what they need
(`settings: SettingsDep`, `redis: RedisDep`, `pool: PoolDep`, `owner: Owner`) instead of reading
`request.app.state`. The objects themselves are made once per process in `api.app.lifespan`; these
functions are the only place that reads them from the application's state."""

import math
import time
from typing import Annotated

import redis.asyncio as aioredis
from fastapi import Depends, HTTPException, Request

from api.auth import ANONYMOUS, authenticate, take_token
from api.tier1_pool import Tier1Pool
from shared.config import Settings, get_settings


async def settings_dependency() -> Settings:
    """The process-wide settings (re-read after `get_settings.cache_clear()`, as tests do)."""
    return get_settings()


async def redis_dependency(request: Request) -> aioredis.Redis:
    """The gateway's one asyncio Redis client (a connection pool)."""
    return request.app.state.redis  # type: ignore[no-any-return]


async def pool_dependency(request: Request) -> Tier1Pool:
    """The gateway's Tier 1 process pool."""
    return request.app.state.pool  # type: ignore[no-any-return]


SettingsDep = Annotated[Settings, Depends(settings_dependency)]
RedisDep = Annotated[aioredis.Redis, Depends(redis_dependency)]
PoolDep = Annotated[Tier1Pool, Depends(pool_dependency)]


async def current_owner(request: Request, redis: RedisDep, settings: SettingsDep) -> str:
    """The caller's owner id (api.auth), after taking one token from its key's bucket (429 if empty).
    Open mode (no keys configured, for local use) has no limit."""
    owner = authenticate(request.headers.get("authorization"), settings.api_keys)
    if owner == ANONYMOUS:
        return owner
    wait_s = await take_token(redis, owner, settings, now=time.time())
    if wait_s is not None:
        retry = max(1, math.ceil(wait_s))
        raise HTTPException(429, f"rate limit exceeded; retry in {retry} s",
                            headers={"Retry-After": str(retry)})
    return owner


Owner = Annotated[str, Depends(current_owner)]
