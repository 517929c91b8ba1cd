"""The job lifecycle, in one place: queued -> running -> succeeded | failed | cancelled.

Every change of a job record is a compare-and-set of the whole record in one Lua script (`_CAS`): the
new record is written only if the stored one is still the one the change was computed from, otherwise
the change is recomputed from the fresh record. So a cancel can never be overwritten by a finishing
worker or a progress write, a terminal state is final, and the bookkeeping sets (active jobs for the
sweeper, unsettled webhooks) change in the same atomic step as the record.

`finish` is the one way a job ends (the gateway's Tier 1 and cache-hit paths, the worker, the sweeper):
it saves the record and the cached result, records the metrics and queues the webhook.

Blocking Redis (the workers' side; the gateway calls `enqueue` and `cancel` in a thread), except
`finish_new_async`: the gateway's cache-hit and Tier 1 answers, on its asyncio client, with the same
record, writes, metrics and webhook as `finish`.
"""

import asyncio
import json
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
import redis.asyncio as aioredis

from shared.config import get_settings
from workers import broker, metrics
from workers.jobstore import (
    FINAL_STATES,
    Job,
    active_key,
    compress_svg,
    heartbeat_key,
    job_key,
    result_key,
    seen_key,
    svg_key,
    webhooks_key,
)

log = logging.getLogger("svgai.lifecycle")

# KEYS: job, active set, webhook set, then one key per extra write.
# ARGV: expected record ('' = must not exist), new record, job TTL, active op ('add'|'rem'|''), active
# score, job id, webhook op ('add'|''), then (value, TTL) per extra key. Returns 1, or the stored record
# ('' when there is none) when it is not the expected one.
_CAS = """
local current = redis.call('GET', KEYS[1])
if (current or '') ~= ARGV[1] then return current or '' end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
if ARGV[4] == 'add' then redis.call('ZADD', KEYS[2], ARGV[5], ARGV[6])
elseif ARGV[4] == 'rem' then redis.call('ZREM', KEYS[2], ARGV[6]) end
if ARGV[7] == 'add' then redis.call('ZADD', KEYS[3], ARGV[5], ARGV[6]) end
for i = 4, #KEYS do redis.call('SET', KEYS[i], ARGV[6 + 2 * (i - 3)], 'EX', ARGV[7 + 2 * (i - 3)]) end
return 1
"""

Change = Callable[[Job | None], Job | None]
"""Given the stored record (None if absent), the record to write, or None to leave it as it is."""


@dataclass
class Write:
    """What a transition writes beside the record."""

    active: str = ""  # 'add' (queued/running: the sweeper watches it) or 'rem' (terminal)
    score: float = 0.0  # when the sweeper should look at the job next (Unix seconds)
    webhook: bool = False  # the job's webhook becomes due
    extra: tuple[tuple[str, bytes, int], ...] = ()  # (key, value, TTL s)


def _cas_call(expected: bytes, new: Job, write: Write) -> dict[str, list[Any]]:
    """The CAS script's keys and arguments for writing `new` over `expected`."""
    s = get_settings()
    keys = [job_key(s.key_prefix, new.id), active_key(s.key_prefix), webhooks_key(s.key_prefix)]
    args: list[Any] = [expected, new.model_dump_json(), s.job_ttl_s, write.active, write.score or time.time(),
                       new.id, "add" if write.webhook else ""]
    for key, value, ttl in write.extra:
        keys.append(key)
        args += [value, ttl]
    return {"keys": keys, "args": args}


def _cas(client: redis.Redis, expected: bytes, new: Job, write: Write) -> bytes | None:
    """Write `new` if the stored record is `expected`; None on success, else the stored record."""
    answer = _script(client)(**_cas_call(expected, new, write))
    return None if answer == 1 else answer


_scripts: dict[int, Any] = {}


def _script(client: redis.Redis | aioredis.Redis) -> Any:
    """The CAS script bound to `client`, made once per client (its SHA1 computed once)."""
    script = _scripts.get(id(client))
    if script is None or script.registered_client is not client:
        script = _scripts[id(client)] = client.register_script(_CAS)
    return script


def transition(client: redis.Redis, job_id: str, change: Change,
               write: Callable[[Job], Write] = lambda _: Write(),
               new: bool = False) -> tuple[Job | None, bool]:
    """Apply `change` to the stored job atomically (retried on a concurrent change). Returns the record
    as stored afterwards and whether this call changed it. `new`: the job is expected not to exist yet
    (its first write skips the read; the compare-and-set still checks)."""
    s = get_settings()
    raw: bytes | None = None if new else client.get(job_key(s.key_prefix, job_id))
    while True:
        current = Job.model_validate_json(raw) if raw else None
        changed = change(current)
        if changed is None:
            return current, False
        conflict = _cas(client, raw or b"", changed, write(changed))
        if conflict is None:
            return changed, True
        raw = conflict or None


def load(client: redis.Redis, job_id: str) -> Job | None:
    raw = client.get(job_key(get_settings().key_prefix, job_id))
    return Job.model_validate_json(raw) if raw else None


# --- queued ---------------------------------------------------------------------------------------


def enqueue(client: redis.Redis, job: Job) -> Job:
    """Save a new queued job (its tier and reason decided) and send its conversion message."""
    now = time.time()
    queued = job.model_copy(update={"status": "queued", "tries": 0})
    stored, created = transition(client, job.id, lambda cur: queued if cur is None else None,
                                 lambda _: Write(active="add", score=now + get_settings().queued_grace_s),
                                 new=True)
    if created:
        broker.send_conversion(job.id, queued.tier or 3, queued.budget_s, 1)
    return stored or queued


# --- running --------------------------------------------------------------------------------------


def worker_token() -> str:
    """Who is converting: "host:pid" (the heartbeat's value)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def holder_is_dead(token: bytes | None) -> bool:
    """True when no process holds the job: no heartbeat, or its holder is a process of this host
    that no longer exists (a pool process killed a moment ago; its heartbeat has not expired yet)."""
    if not token:
        return True
    host, _, pid = token.decode().rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def start(client: redis.Redis, job_id: str) -> Job | None:
    """Mark the job running for this process, if it is queued, or running on a process that is gone
    (a redelivered message). None when someone else runs it or it is final. `started` is set once."""
    s = get_settings()
    holder = client.get(heartbeat_key(s.key_prefix, job_id))

    def change(cur: Job | None) -> Job | None:
        if cur is None or cur.status in FINAL_STATES:
            return None
        if cur.status == "running" and not holder_is_dead(holder):
            return None
        return cur.model_copy(update={"status": "running", "started": cur.started or time.time(),
                                      "tries": cur.tries + 1, "progress": 0.0})

    job, changed = transition(client, job_id, change,
                              lambda _: Write(active="add", score=time.time() + s.heartbeat_ttl_s))
    if not changed:
        return None
    beat(client, job_id)
    return job


def beat(client: redis.Redis, job_id: str) -> None:
    """The running job's heartbeat: this process is alive and converting it."""
    s = get_settings()
    client.set(heartbeat_key(s.key_prefix, job_id), worker_token(), px=int(s.heartbeat_ttl_s * 1000))


def set_progress(client: redis.Redis, job_id: str, fraction: float) -> Job | None:
    """Progress of a running job; never written once the job is final (e.g. cancelled)."""
    def change(cur: Job | None) -> Job | None:
        if cur is None or cur.status != "running" or cur.progress == fraction:
            return None
        return cur.model_copy(update={"progress": fraction})

    return transition(client, job_id, change)[0]


def cancel(client: redis.Redis, job_id: str) -> Job | None:
    """Cancel a queued or running job (a running conversion notices at its next check)."""
    def change(cur: Job | None) -> Job | None:
        if cur is None or cur.status in FINAL_STATES:
            return None
        return cur.model_copy(update={"status": "cancelled", "finished": time.time()})

    return transition(client, job_id, change, lambda _: Write(active="rem"))[0]


# --- finished -------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """How a conversion ended: a summary (and the SVG, unless it came from the cache), or an error."""

    summary: dict[str, Any] | None = None
    svg: str | None = None
    error: str | None = None
    cache_hit: bool = False


def _final_record(base: Job, outcome: Outcome) -> Job:
    """The job's final record: failed with the error, or succeeded with the summary (the record's
    requested tier and, for `auto`, the router's reason kept over the tier's own)."""
    now = time.time()
    if outcome.summary is None:
        return base.model_copy(update={"status": "failed", "error": outcome.error, "finished": now})
    result = {**outcome.summary, "requested_tier": base.requested_tier,
              "reason": base.reason or outcome.summary.get("reason")}
    return base.model_copy(update={"status": "succeeded", "progress": 1.0, "finished": now, "result": result,
                                   "tier": result["tier"], "reason": result["reason"],
                                   "cache_hit": outcome.cache_hit, "error": None})


def _final_writes(done: Job, outcome: Outcome) -> Write:
    """Beside the final record: out of the active set, the webhook due, and for a success the cached
    SVG and summary (a conversion's, not a cache hit's) and the owner's "has had it" mark."""
    s = get_settings()
    extra: list[tuple[str, bytes, int]] = []
    if done.status == "succeeded":
        extra.append((seen_key(s.key_prefix, done.cache_key, done.owner), b"1", s.result_ttl_s))
        if outcome.svg is not None:
            extra += [(svg_key(s.key_prefix, done.cache_key), compress_svg(outcome.svg), s.result_ttl_s),
                      (result_key(s.key_prefix, done.cache_key), json.dumps(outcome.summary).encode(),
                       s.result_ttl_s)]
    return Write(active="rem", webhook=bool(done.webhook_url), extra=tuple(extra))


def _record_finish(done: Job, outcome: Outcome) -> None:
    if outcome.svg is not None or outcome.error is not None:  # a conversion ran (not a cache hit)
        metrics.record_conversion(done.tier, done.status, done.result)
    log.info(f"job {done.status}", extra={"job_id": done.id, "tier": done.tier, "error": done.error,
                                          "cache_hit": done.cache_hit})


def _send_webhook(done: Job) -> None:
    try:
        broker.send_webhook(done.id)
    except Exception:  # the sweeper re-sends a due webhook whose message is gone
        log.exception("could not queue the webhook", extra={"job_id": done.id})


def finish(client: redis.Redis, job: Job, outcome: Outcome) -> Job | None:
    """End a stored job: the record (only if it is not final already: a cancel stays), the cached result
    and who has seen it, the metrics and the webhook (a job the gateway answers itself, never stored:
    `finish_new_async`). Returns the final record, or None if the job was already final or is gone."""
    def change(cur: Job | None) -> Job | None:
        if cur is None or cur.status in FINAL_STATES:
            return None
        return _final_record(cur, outcome)

    done, changed = transition(client, job.id, change, lambda d: _final_writes(d, outcome))
    if not changed or done is None:
        return None
    _record_finish(done, outcome)
    if done.webhook_url:
        _send_webhook(done)
    return done


async def finish_new_async(client: aioredis.Redis, job: Job, outcome: Outcome) -> Job | None:
    """`finish` for a job never stored (the gateway's Tier 1 and cache-hit answers), on the gateway's
    asyncio client: the same record, writes, metrics and webhook, in one compare-and-set against "no
    record", without a thread hop on the hot path (the broker call, if any, in a thread)."""
    done = _final_record(job, outcome)
    answer = await _script(client)(**_cas_call(b"", done, _final_writes(done, outcome)))
    if answer != 1:
        return None
    _record_finish(done, outcome)
    if done.webhook_url:
        await asyncio.to_thread(_send_webhook, done)
    return done


# --- webhooks -------------------------------------------------------------------------------------


def record_delivery(client: redis.Redis, job_id: str, attempt: dict[str, Any],
                    replace_last: bool = False) -> Job | None:
    """Append a delivery attempt to the job's record (or complete the last one, begun before the POST
    so that a worker killed mid-delivery still leaves the attempt on record)."""
    def change(cur: Job | None) -> Job | None:
        if cur is None:
            return None
        deliveries = list(cur.webhook_deliveries)
        if replace_last and deliveries:
            deliveries[-1] = {**deliveries[-1], **attempt}
        else:
            deliveries.append({**attempt, "attempt": len(deliveries) + 1})
        return cur.model_copy(update={"webhook_deliveries": deliveries})

    return transition(client, job_id, change)[0]


def webhook_due(client: redis.Redis, job_id: str, at: float) -> None:
    """The job's next delivery attempt is due at `at` (Unix s): past that by `queued_grace_s`, the
    sweeper takes its message as lost and sends another (the receiver de-duplicates on webhook-id)."""
    client.zadd(webhooks_key(get_settings().key_prefix), {job_id: at}, xx=True)


def settle_webhook(client: redis.Redis, job_id: str) -> None:
    """The job's webhook is delivered or given up: the sweeper stops watching it."""
    client.zrem(webhooks_key(get_settings().key_prefix), job_id)
