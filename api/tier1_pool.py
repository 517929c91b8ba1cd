"""The gateway's bounded, self-healing process pool for CPU work (decode, route, Tier 1), so the event
loop never runs a conversion and an overload is refused with 503 instead of queueing without bound.

Each pool process (api/tier1_process.py) is owned by one slot with its own pipe, so the gateway knows
which process runs which request:
- a process that dies (SIGKILL, the kernel's OOM killer, a crash) is replaced at once; the request it
  was running gets 503 with Retry-After, later requests go to the new process;
- a run over `tier1_timeout_s` stops itself (an alarm in the process); one that does not stop within
  HARD_LIMIT_GRACE_S more (stuck in native code) has its process killed and replaced;
- a run over the memory limit (`tier1_memory_mb`, RLIMIT_AS in the process) fails with MemoryError there;
- over either limit, tier 1 (and /v1/convert) answers 422 saying to submit the image as a job, and
  `auto` queues the image for Tier 2 instead.
Processes are spawned (not forked): they hold none of the gateway's sockets. `close` ends them all.
"""

import asyncio
import logging
import multiprocessing
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.process import BaseProcess
from typing import Any

from fastapi import HTTPException

from api import metrics
from api.tier1_process import Tier1LimitError, serve

log = logging.getLogger("svgai.gateway.pool")
HARD_LIMIT_GRACE_S = 5.0  # after the time limit, how long a run may take to stop itself before a kill
STARTUP_LIMIT_S = 120.0  # how long a new process may take to import and load the models
STOP_WAIT_S = 2.0  # how long `close` waits for processes to end after SIGTERM before SIGKILL
RETRY_AFTER_S = 2  # the Retry-After of a 503 (busy, or the process died and is being replaced)


def _retrieved(future: "asyncio.Future[Any]") -> None:
    if not future.cancelled():
        future.exception()


class _Slot:
    """One pool process and the gateway's end of its pipe."""

    def __init__(self, context: multiprocessing.context.SpawnContext, memory_mb: int,
                 timeout_s: float) -> None:
        self.conn, child_end = context.Pipe(duplex=True)
        self.process: BaseProcess = context.Process(target=serve, args=(child_end, memory_mb, timeout_s),
                                                    name="svgai-tier1", daemon=True)
        self.process.start()
        child_end.close()  # only the child holds it now: its death is EOF on self.conn

    ready = False  # the process has sent ("ready", None): imports and models loaded

    def wait_ready(self) -> None:
        """Block until the process has warmed up (in a thread)."""
        if not self.ready:
            self.conn.recv()
            self.ready = True

    def poll_ready(self) -> bool:
        """Whether the process has warmed up, without blocking (only for a slot no request holds)."""
        if not self.ready and self.alive and self.conn.poll():
            self.wait_ready()
        return self.ready

    def exchange(self, request: tuple[Any, ...]) -> tuple[str, Any]:
        """Send one request and wait for its reply (in a thread: both block)."""
        self.conn.send(request)
        reply: tuple[str, Any] = self.conn.recv()
        return reply

    @property
    def alive(self) -> bool:
        return self.process.is_alive()

    def kill(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join(STOP_WAIT_S)
        self.conn.close()


class Tier1Pool:
    """`workers` processes; up to `workers + queue_limit` requests in flight, then 503."""

    def __init__(self, workers: int, queue_limit: int, timeout_s: float, memory_mb: int,
                 max_pixels: int) -> None:
        self.workers, self.limit = workers, workers + queue_limit
        self.timeout_s, self.memory_mb, self.max_pixels = timeout_s, memory_mb, max_pixels
        self.in_flight = 0
        self.restarts = 0
        self._context = multiprocessing.get_context("spawn")
        self._slots = [self._start() for _ in range(workers)]
        self._idle: asyncio.Queue[_Slot] = asyncio.Queue()
        for slot in self._slots:
            self._idle.put_nowait(slot)
        self._threads = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="svgai-tier1")
        self._closed = False

    def _start(self) -> _Slot:
        return _Slot(self._context, self.memory_mb, self.timeout_s)

    def _replace(self, slot: _Slot, why: str) -> _Slot:
        """Kill `slot`'s process (if still alive) and start another in its place."""
        exitcode = slot.process.exitcode
        slot.kill()
        fresh = self._start()
        self._slots[self._slots.index(slot)] = fresh
        self.restarts += 1
        metrics.POOL_RESTARTS.inc()
        log.warning("Tier 1 pool process replaced", extra={
            "why": why, "pid": slot.process.pid, "exitcode": exitcode, "new_pid": fresh.process.pid})
        return fresh

    @property
    def saturation(self) -> float:
        return self.in_flight / self.limit

    def state(self) -> dict[str, Any]:
        """For /readyz: replaces idle processes found dead, then reports the pool (`warm`: processes
        that have finished starting)."""
        idle = [self._idle.get_nowait() for _ in range(self._idle.qsize())]
        idle = [slot if slot.alive else self._replace(slot, "found dead while idle") for slot in idle]
        for slot in idle:
            slot.poll_ready()
            self._idle.put_nowait(slot)
        return {"processes": self.workers, "alive": sum(slot.alive for slot in self._slots),
                "warm": sum(slot.ready for slot in self._slots), "busy": self.workers - len(idle),
                "in_flight": self.in_flight, "capacity": self.limit, "restarts": self.restarts,
                "timeout_s": self.timeout_s, "memory_mb": self.memory_mb, "max_pixels": self.max_pixels}

    async def run(self, data: bytes, tier: str, target: float, overrides: dict[str, Any],
                  budget_s: float | None = None) -> dict[str, Any]:
        """The plan or Tier 1 result (api/tier1_process.plan_or_convert). 503 when full or when the
        process died under this request; 422 (`Tier1LimitError`) over a limit unless `tier` is auto."""
        if self.in_flight >= self.limit or self._closed:
            metrics.POOL_REJECTED.inc()
            raise HTTPException(503, "the converter is busy; try again shortly",
                                headers={"Retry-After": str(RETRY_AFTER_S)})
        self.in_flight += 1
        try:
            slot = await self._idle.get()
            if not slot.alive:
                slot = self._replace(slot, "found dead while idle")
            reusable = False
            try:
                reply = await self._exchange(slot, (data, tier, target, overrides, budget_s, self.max_pixels))
                reusable = True
            finally:  # a slot whose run was cut short (killed, timed out, cancelled) is never reused
                self._idle.put_nowait(slot if reusable and slot.alive
                                      else self._replace(slot, "run cut short"))
        finally:
            self.in_flight -= 1
        return self._answer(reply, tier)

    async def _exchange(self, slot: _Slot, request: tuple[Any, ...]) -> tuple[str, Any]:
        loop = asyncio.get_running_loop()
        try:
            if not slot.ready:  # a new process' warm-up does not count against the run's time limit
                starting = loop.run_in_executor(self._threads, slot.wait_ready)
                starting.add_done_callback(_retrieved)
                await asyncio.wait_for(asyncio.shield(starting), STARTUP_LIMIT_S)
            waiting = loop.run_in_executor(self._threads, slot.exchange, request)
            waiting.add_done_callback(_retrieved)  # after a kill, its EOFError is expected
            return await asyncio.wait_for(asyncio.shield(waiting), self.timeout_s + HARD_LIMIT_GRACE_S)
        except TimeoutError:
            slot.kill()  # stuck in native code past the limit (or never started); its thread ends with EOF
            if not slot.ready:
                raise HTTPException(503, "the Tier 1 converter process did not start; try again shortly",
                                    headers={"Retry-After": str(RETRY_AFTER_S)}) from None
            return "time", None
        except (EOFError, OSError) as exc:
            log.warning("Tier 1 pool process died during a run", extra={
                "pid": slot.process.pid, "exitcode": slot.process.exitcode, "error": repr(exc)})
            raise HTTPException(
                503, "the Tier 1 converter process stopped during this conversion (it may have run out of "
                "memory) and is being replaced; try again shortly, or submit the image as a job",
                headers={"Retry-After": str(RETRY_AFTER_S)}) from None

    def _answer(self, reply: tuple[str, Any], tier: str) -> dict[str, Any]:
        kind, value = reply
        if kind == "ok":
            plan: dict[str, Any] = value
            return plan
        if kind == "raise":
            raise value
        if kind == "bug":
            log.error("Tier 1 conversion failed", extra={"traceback": value})
            raise RuntimeError("Tier 1 conversion failed in the pool process")
        limit = (f"the {self.timeout_s:g} s time limit" if kind == "time"
                 else f"the {self.memory_mb} MiB memory limit")
        metrics.POOL_LIMITED.labels(kind).inc()
        if tier == "auto":
            return {"tier": 2, "reason": f"Tier 1 exceeded the gateway's {limit}: Tier 2 on a worker"}
        raise Tier1LimitError(f"the image is too complex for the synchronous Tier 1 ({limit}); submit it as "
                              "a job with tier 2 or 3 (POST /v1/jobs)")

    def close(self) -> None:
        """End every process (SIGTERM, then SIGKILL after STOP_WAIT_S); no child outlives the gateway."""
        self._closed = True
        for slot in self._slots:
            if slot.process.is_alive():
                slot.process.terminate()
        for slot in self._slots:
            slot.kill()
        self._threads.shutdown(wait=False, cancel_futures=True)
