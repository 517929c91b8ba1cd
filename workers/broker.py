"""The Celery application's configuration and the one way to put work on the queues, by task name:
the gateway imports this module (never the task module, workers/app.py), so sending a job needs
neither the conversion code nor the models. Nothing here connects at import time."""

import ssl
from functools import lru_cache
from typing import Any

import redis
from celery import Celery

from shared.config import Settings, get_settings
from shared.tiers.tier3 import DEFAULT_BUDGET_S

CONVERT_TASK = "svgai.convert_job"
WEBHOOK_TASK = "svgai.deliver_webhook"


def time_limits(tier: int, budget_s: float | None, settings: Settings | None = None) -> tuple[float, float]:
    """(soft, hard) time limits in seconds for a queued job: the search stops at its own budget, so
    the limits only catch a hung conversion. The visibility timeout exceeds the largest hard limit."""
    s = settings or get_settings()
    soft = s.tier2_soft_limit_s if tier == 2 else (budget_s or DEFAULT_BUDGET_S) * 1.5 + 15.0
    return soft, soft + s.time_limit_grace_s


def hard_limit_s(settings: Settings | None = None) -> float:
    """The largest hard time limit of any job (the k8s grace period must exceed it)."""
    s = settings or get_settings()
    return max(time_limits(2, None, s)[1], time_limits(3, s.max_budget_s, s)[1])


def visibility_timeout_s(settings: Settings | None = None) -> int:
    s = settings or get_settings()
    return max(s.visibility_timeout_s, int(hard_limit_s(s)) + 60)


def broker_ssl(settings: Settings) -> dict[str, Any] | None:
    """TLS options of a `rediss://` broker: certificates are always verified (CA from the settings, or
    the system's store); None for plain `redis://`."""
    if not settings.redis_url.startswith("rediss://"):
        return None
    options: dict[str, Any] = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    if settings.redis_ca_file:
        options["ssl_ca_certs"] = settings.redis_ca_file
    return options


def make_celery(settings: Settings) -> Celery:
    """A Celery app for `settings`' broker: late acks (a job whose worker dies is delivered again),
    one message prefetched per process, time limits from the settings."""
    app = Celery("svgai", broker=settings.redis_url, set_as_current=False)
    hard = hard_limit_s(settings)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        broker_transport_options={"visibility_timeout": visibility_timeout_s(settings)},
        broker_use_ssl=broker_ssl(settings),
        task_soft_time_limit=hard - settings.time_limit_grace_s,
        task_time_limit=hard,
        task_default_queue=settings.queue_tier2,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    return app


@lru_cache(maxsize=4)
def celery_for(url: str) -> Celery:
    return make_celery(get_settings())


def celery_app() -> Celery:
    """The process' Celery app for the configured broker (made on first use)."""
    return celery_for(get_settings().redis_url)


@lru_cache(maxsize=4)
def _redis_for(url: str, ca_file: str | None) -> redis.Redis:
    extra: dict[str, Any] = {"ssl_ca_certs": ca_file} if ca_file and url.startswith("rediss://") else {}
    return redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=2, health_check_interval=30,
                                **extra)


def redis_client() -> redis.Redis:
    """The process' blocking Redis client (a connection pool) for the configured URL."""
    s = get_settings()
    return _redis_for(s.redis_url, s.redis_ca_file)


def send_conversion(job_id: str, tier: int, budget_s: float | None, attempt: int) -> None:
    """Queue the conversion of a saved job (blocking broker call). The task id names the job and the
    run, so the sweeper can tell whether a job's message still exists."""
    s = get_settings()
    soft, hard = time_limits(tier, budget_s, s)
    celery_app().send_task(CONVERT_TASK, args=[job_id], queue=s.queue_tier2 if tier == 2 else s.queue_tier3,
                           soft_time_limit=soft, time_limit=hard, task_id=f"{job_id}.run{attempt}")


def send_webhook(job_id: str, countdown_s: float = 0.0, attempt: int = 1) -> None:
    """Queue a webhook delivery attempt of a finished job."""
    celery_app().send_task(WEBHOOK_TASK, args=[job_id], queue=get_settings().queue_webhooks,
                           countdown=countdown_s or None, task_id=f"{job_id}.hook{attempt}")
