"""The gateway's bounded process pool for CPU work (decode, route, Tier 1), so the event loop never
runs a conversion and an overload is refused with 503 instead of queueing without bound."""

import asyncio
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from fastapi import HTTPException

from api import metrics
from shared.images import decode_image
from shared.pipeline import convert, route_image


def plan_or_convert(
    data: bytes, tier: str, target: float, overrides: dict[str, Any], budget_s: float | None = None
) -> dict[str, Any]:
    """In a pool process: decode; for `auto`, route; run Tier 1 when it is the tier. Returns either
    {"tier": 1, "svg", "summary"} or {"tier": 2|3, "reason"} for the queue."""
    image = decode_image(data)
    reason = f"Tier {tier} was requested"
    chosen = int(tier) if tier != "auto" else 0
    if tier == "auto":
        decision = route_image(image.rgba, target, budget_s)
        chosen, reason = decision.tier, decision.reason
    if chosen != 1:
        return {"tier": chosen, "reason": reason}
    result = convert(image, tier=1, target_ssim=target, overrides=overrides)
    summary = {**result.summary(), "requested_tier": tier, "reason": reason}
    return {"tier": 1, "svg": result.svg, "summary": summary}


class Tier1Pool:
    def __init__(self, workers: int, queue_limit: int) -> None:
        self.executor = ProcessPoolExecutor(max_workers=workers)
        self.limit = workers + queue_limit
        self.in_flight = 0

    @property
    def saturation(self) -> float:
        return self.in_flight / self.limit

    async def run(
        self, data: bytes, tier: str, target: float, overrides: dict[str, Any], budget_s: float | None = None
    ) -> dict[str, Any]:
        if self.in_flight >= self.limit:
            metrics.POOL_REJECTED.inc()
            raise HTTPException(503, "the converter is busy; try again shortly", headers={"Retry-After": "2"})
        self.in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self.executor, plan_or_convert, data, tier, target, overrides,
                                              budget_s)
        finally:
            self.in_flight -= 1

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)  # no orphaned pool processes
