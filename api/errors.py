"""Map the core's exceptions to HTTP answers: 4xx with a JSON `detail` for the client's mistakes,
503 while Redis is unreachable. Never a 500 for bad input, and never the input echoed back (a
validation error names the field and the problem, not the value: it may be a whole upload)."""

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
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


NOT_A_FILE = "expected an uploaded file: a multipart part with a non-empty filename"


def validation_detail(errors: Any) -> list[dict[str, Any]]:
    """FastAPI's validation errors without the offending input (nor its context): location, message,
    type. A file part sent without a filename reaches FastAPI as a text field; that says so."""
    detail = []
    for error in errors:
        message = str(error.get("msg", "invalid"))
        if "Expected UploadFile" in message:
            message = NOT_A_FILE
        detail.append({"loc": list(error.get("loc", ())), "msg": message, "type": error.get("type", "")})
    return detail


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": validation_detail(exc.errors())}, status_code=422)

    @app.exception_handler(SvgaiError)
    async def _svgai(_: Request, exc: SvgaiError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status_for(exc))

    @app.exception_handler(RedisConnectionError)
    @app.exception_handler(RedisTimeoutError)
    async def _redis(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": "the job store (Redis) is unavailable; try again shortly"},
                            status_code=503, headers={"Retry-After": "5"})
