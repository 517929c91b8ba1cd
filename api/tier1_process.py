"""What runs inside one process of the gateway's Tier 1 pool (api/tier1_pool.py is the gateway's side).

The process is started with multiprocessing's `spawn` method, so it inherits none of the gateway's file
descriptors (not its listening socket) and no state of its event loop. It applies its limits first: an
address-space limit (`RLIMIT_AS`, `tier1_memory_mb`), so that an image that needs too much memory fails
with `MemoryError` in this process instead of growing without bound, and a wall-clock alarm per run
(`tier1_timeout_s`). Then it answers requests on its pipe, one at a time, until the pipe closes.

Once warm it sends ("ready", None). Each request is the arguments of `plan_or_convert`; each reply is
one tuple:
("ok", plan) | ("time", None) | ("memory", None) | ("raise", SvgaiError) | ("bug", traceback text).
"""

import resource
import signal
import traceback
from multiprocessing.connection import Connection
from typing import Any

from shared.errors import SvgaiError
from shared.images import decode_image, read_image_header


class Tier1LimitError(SvgaiError):
    """The image is beyond what the gateway converts synchronously (size, time or memory): 422."""


class _TimeLimit(BaseException):
    """Raised by the alarm; a BaseException so that no `except Exception` in the core swallows it."""


def synchronous_pixels_exceeded(width: int, height: int, max_pixels: int) -> str:
    return (f"the image is {width}x{height} pixels; the gateway converts up to {max_pixels:,} pixels "
            "synchronously")


def plan_or_convert(data: bytes, tier: str, target: float, overrides: dict[str, Any],
                    budget_s: float | None, max_pixels: int) -> dict[str, Any]:
    """Decode; for `auto`, route; run Tier 1 when it is the tier. Returns either
    {"tier": 1, "svg", "summary"} or {"tier": 2|3, "reason"} for the queue. An image over `max_pixels`
    is queued for Tier 2 under `auto` and refused (`Tier1LimitError`) under tier 1."""
    from shared.pipeline import convert, route_image

    _, width, height = read_image_header(data)
    if width * height > max_pixels:
        too_big = synchronous_pixels_exceeded(width, height, max_pixels)
        if tier != "auto":
            raise Tier1LimitError(f"{too_big}; submit it as a job with tier 2 or 3 (POST /v1/jobs)")
        return {"tier": 2, "reason": f"{too_big}: Tier 2 on a worker"}
    image = decode_image(data)
    reason = f"Tier {tier} was requested"
    chosen = int(tier) if tier != "auto" else 0
    if tier == "auto":
        decision = route_image(image, target, budget_s)  # decoded: a JPEG is known as one, as in convert
        chosen, reason = decision.tier, decision.reason
    if chosen != 1:
        return {"tier": chosen, "reason": reason}
    result = convert(image, tier=1, target_ssim=target, overrides=overrides)
    summary = {**result.summary(), "requested_tier": tier, "reason": reason}
    return {"tier": 1, "svg": result.svg, "summary": summary}


def _on_alarm(signum: int, frame: object) -> None:
    raise _TimeLimit


def _run_one(request: tuple[Any, ...], timeout_s: float) -> tuple[str, Any]:
    signal.setitimer(signal.ITIMER_REAL, timeout_s)
    try:
        return "ok", plan_or_convert(*request)
    except MemoryError:
        return "memory", None
    except SvgaiError as exc:
        return "raise", exc
    except Exception:  # a bug in the core: reported to the gateway, which logs it and answers 500
        return "bug", traceback.format_exc()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def serve(conn: Connection, memory_mb: int, timeout_s: float) -> None:
    """The process' main loop: limits, warm-up (imports, models), then requests until the pipe closes
    (the gateway sends None or goes away)."""
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the whole group: the gateway ends us
    signal.signal(signal.SIGALRM, _on_alarm)
    from shared.learned import load_models
    from shared.logs import configure_json_logging

    configure_json_logging()

    load_models()  # imports and models now, not on the first request
    try:
        conn.send(("ready", None))  # the gateway starts a run's clock only after this
    except (OSError, ValueError):
        return
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        try:
            reply = _run_one(request, timeout_s)
        except _TimeLimit:  # the alarm may fire anywhere in _run_one, its `finally` included
            reply = ("time", None)
        try:
            conn.send(reply)
        except (OSError, ValueError):  # the gateway is gone
            return
