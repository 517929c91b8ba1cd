"""The HTTP gateway (thin, async): validate uploads, answer cache hits from Redis, run Tier 1 in a
bounded process pool, queue Tiers 2/3 for the Celery workers, and serve job status and SVGs.

    uvicorn api.app:app   (or: svgai serve)
"""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import redis.asyncio as aioredis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response

from api import batches, docs, errors, jobs, metrics, web
from api.deps import PoolDep, RedisDep
from api.limits import BodyLimitMiddleware
from api.tier1_pool import Tier1Pool
from shared.config import get_settings
from shared.learned import MODEL_FILES, load_models, model_status
from shared.logs import configure_json_logging
from workers.sweeper import sweep_forever


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    configure_json_logging()
    load_models()  # the gateway reports their status; its pool processes load them as they start
    # rediss://: the same certificate checks as the workers' client (workers/broker.py)
    use_ca = settings.redis_ca_file and settings.redis_url.startswith("rediss://")
    tls = {"ssl_ca_certs": settings.redis_ca_file} if use_ca else {}
    app.state.redis = aioredis.Redis.from_url(settings.redis_url, socket_timeout=5, socket_connect_timeout=2,
                                              **tls)
    app.state.pool = Tier1Pool(settings.tier1_workers, settings.tier1_queue_limit, settings.tier1_timeout_s,
                               settings.tier1_memory_mb, settings.tier1_max_pixels)
    sweeper = asyncio.create_task(sweep_forever())  # re-queues lost jobs (workers/sweeper.py)
    try:
        yield
    finally:
        sweeper.cancel()
        app.state.pool.close()
        await app.state.redis.aclose()


app = FastAPI(title="svgai", version="1", lifespan=lifespan, docs_url=None, redoc_url=None,
              description="Raster logos to clean SVG with a measured quality figure on every result.")
docs.install(app)  # /docs and /redoc with their assets served here, no CDN
errors.install(app)
app.add_middleware(BodyLimitMiddleware)  # inside the HTTP metrics, so they count its 413s
metrics.install(app)
app.include_router(jobs.router, tags=["jobs"])
app.include_router(batches.router, tags=["batches"])
app.include_router(web.router, tags=["web"])


@app.get("/healthz", summary="Liveness", tags=["health"])
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/readyz", tags=["health"], summary="Readiness: Redis reachable and the Tier 1 pool's processes "
         "alive (dead ones are replaced here too); the models' status (a missing model degrades to the "
         "non-learned path, it does not make the gateway unready)")
async def readyz(redis: RedisDep, pool: PoolDep) -> JSONResponse:
    models = model_status()
    degraded = [name for name in MODEL_FILES if not models.get(name, {}).get("loaded")]
    tier1 = pool.state()
    try:
        await redis.ping()
    except (OSError, aioredis.ConnectionError, aioredis.TimeoutError):
        return JSONResponse({"status": "unavailable", "detail": "Redis is unreachable", "models": models,
                             "tier1_pool": tier1}, status_code=503)
    if not tier1["alive"]:
        return JSONResponse({"status": "unavailable", "detail": "no Tier 1 pool process is alive",
                             "models": models, "tier1_pool": tier1}, status_code=503)
    body: dict[str, object] = {"status": "degraded" if degraded else "ready", "models": models,
                               "tier1_pool": tier1}
    if degraded:
        body["detail"] = f"models not loaded (fallback in use): {degraded}"
    return JSONResponse(body)


@app.get("/metrics", summary="Prometheus metrics", response_class=Response, tags=["health"])
async def metrics_endpoint(request: Request) -> Response:
    body, content_type = await metrics.render(request.app)
    return Response(body, media_type=content_type)
