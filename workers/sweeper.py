"""Recovery instead of waiting: find jobs whose run or message was lost, and webhooks whose message was
lost, and send them again (or fail the job after max_job_tries runs).

- running, and no live heartbeat (its worker was killed, or Redis lost the run): queued again;
- queued past queued_grace_s, its queue empty, and its message not freshly taken by a worker (lost in
  a Redis restart, or taken by a worker that died): queued again;
- a due webhook past queued_grace_s (its message lost): sent again, with the same webhook-id.

Re-sending is safe: a run starts only by a compare-and-set from queued (workers/lifecycle.py's `start`),
the result is cached under the job's cache key, and a webhook already delivered is not sent again.
The gateway runs `sweep_forever` (api/app.py); a Redis lock lets one replica sweep per interval.
"""

import asyncio
import logging
import re
import time
import uuid
from dataclasses import dataclass, field

import redis

from shared.config import get_settings
from workers import broker, lifecycle, metrics
from workers.jobstore import FINAL_STATES, Job, active_key, heartbeat_key, job_key, webhooks_key

log = logging.getLogger("svgai.sweeper")
BATCH = 500  # jobs looked at per sweep
_TASK_ID = re.compile(rb"([0-9a-f]{32})\.run\d+")
UNACKED, UNACKED_INDEX = "unacked", "unacked_index"  # kombu's Redis transport keys


@dataclass
class SweepReport:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    webhooks: list[str] = field(default_factory=list)
    checked: int = 0


def taken_messages(client: redis.Redis, fresh_after: float) -> set[str]:
    """Job ids whose conversion message a worker took after `fresh_after` (Unix s) and has not
    acknowledged (kombu's unacked hash; an older entry of a still-queued job belongs to a worker that
    is gone)."""
    ids: set[str] = set()
    fresh = client.zrangebyscore(UNACKED_INDEX, fresh_after, "+inf")
    if fresh:
        for raw in client.hmget(UNACKED, fresh):
            if raw:
                ids.update(m.decode() for m in _TASK_ID.findall(raw))
    return ids


def _requeue(client: redis.Redis, job: Job, why: str, report: SweepReport) -> None:
    s = get_settings()
    if job.tries >= s.max_job_tries:
        error = (f"the job was interrupted {job.tries} times (its worker stopped or its message was lost); "
                 "giving up")
        if lifecycle.finish(client, job, lifecycle.Outcome(error=error)) is not None:
            report.failed.append(job.id)
            metrics.record_recovery("failed")
        return

    def change(cur: Job | None) -> Job | None:
        if cur is None or cur.status in FINAL_STATES or cur.model_dump() != job.model_dump():
            return None  # it moved on since we looked: leave it to its new owner
        return cur.model_copy(update={"status": "queued", "progress": 0.0})

    now = time.time()
    queued, changed = lifecycle.transition(client, job.id, change, lambda _: lifecycle.Write(
        active="add", score=now + s.queued_grace_s))
    if changed and queued is not None:
        broker.send_conversion(job.id, queued.tier or 3, queued.budget_s, queued.tries + 1)
        report.requeued.append(job.id)
        metrics.record_recovery("requeued")
        log.warning("job re-queued", extra={"job_id": job.id, "why": why, "tries": job.tries})


def sweep_once(client: redis.Redis) -> SweepReport | None:
    """One sweep, if this process gets the lock (None otherwise). Cost: a few round trips plus one per
    job acted on; a queued job waits without a look while its queue still holds messages (a message
    lost behind a backlog is re-sent once the backlog has drained)."""
    s = get_settings()
    if not client.set(f"{s.key_prefix}:sweeper-lock", uuid.uuid4().hex, nx=True,
                      px=int(s.sweep_interval_s * 900)):
        return None
    report, now, active = SweepReport(), time.time(), active_key(s.key_prefix)
    due = [i.decode() for i in client.zrangebyscore(active, "-inf", now, 0, BATCH)]
    if due:
        pipe = client.pipeline(transaction=False)
        pipe.mget([job_key(s.key_prefix, i) for i in due])
        pipe.mget([heartbeat_key(s.key_prefix, i) for i in due])
        pipe.llen(s.queue_tier2)
        pipe.llen(s.queue_tier3)
        records, holders, waiting2, waiting3 = pipe.execute()
        taken: set[str] | None = None
        later: dict[str, float] = {}
        gone: list[str] = []
        for job_id, raw, holder in zip(due, records, holders, strict=True):
            report.checked += 1
            job = Job.model_validate_json(raw) if raw else None
            if job is None or job.status in FINAL_STATES:
                gone.append(job_id)
            elif job.status == "running":
                if lifecycle.holder_is_dead(holder):
                    _requeue(client, job, "its worker stopped (no heartbeat)", report)
                else:
                    later[job_id] = now + s.heartbeat_ttl_s
            elif (waiting2 if job.tier == 2 else waiting3) > 0:
                later[job_id] = now + s.queued_grace_s  # its message may still be in that queue
            else:
                taken = taken_messages(client, now - s.queued_grace_s) if taken is None else taken
                if job_id in taken:
                    later[job_id] = now + s.queued_grace_s
                else:
                    _requeue(client, job, "its message is in no queue", report)
        if later:
            client.zadd(active, later, xx=True)
        if gone:
            client.zrem(active, *gone)
    for raw in client.zrangebyscore(webhooks_key(s.key_prefix), "-inf", now - s.queued_grace_s, 0, BATCH):
        job_id = raw.decode()
        job = lifecycle.load(client, job_id)
        attempts = len(job.webhook_deliveries) if job else 0
        lifecycle.webhook_due(client, job_id, now)
        broker.send_webhook(job_id, 0.0, attempts + 1)  # the task itself settles a finished one
        report.webhooks.append(job_id)
    return report


async def sweep_forever() -> None:
    """Sweep every sweep_interval_s until cancelled; errors (Redis away) are logged and the next
    sweep tries again."""
    while True:
        await asyncio.sleep(get_settings().sweep_interval_s)
        try:
            report = await asyncio.to_thread(sweep_once, broker.redis_client())
        except Exception as exc:
            log.warning("sweep failed", extra={"error": str(exc)})
            continue
        if report and (report.requeued or report.failed or report.webhooks):
            log.info("sweep", extra={"requeued": len(report.requeued), "failed": len(report.failed),
                                     "webhooks": len(report.webhooks)})
