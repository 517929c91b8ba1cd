"""Map the core's exceptions to HTTP answers: 4xx with a JSON `detail` for the client's mistakes,
503 while Redis is unreachable. Never a 500 for bad input."""

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from shared.errors import InputImageError, ParameterError, SvgaiError


def status_for(exc: SvgaiError) -> int:
    if isinstance(exc, InputImageError):
        return 413 if exc.too_large else 415 if exc.unsupported else 422
    if isinstance(exc, ParameterError):
        return 422
    return 422


def install(app: FastAPI) -> None:
    @app.exception_handler(SvgaiError)
    async def _svgai(_: Request, exc: SvgaiError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_for(exc))

    @app.exception_handler(RedisConnectionError)
    @app.exception_handler(RedisTimeoutError)
    async def _redis(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "the job store (Redis) is unavailable; try again shortly"},
                            status_code=503, headers={"Retry-After": "5"})
