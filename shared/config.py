"""One settings object for the whole project, read from `SVGAI_*` environment variables."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

_MODELS_DIR = Path(__file__).resolve().parent / "models"


class Settings(BaseSettings):
    """Defaults work on one machine; every field can be overridden as `SVGAI_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="SVGAI_", extra="ignore")

    # Input limits
    max_upload_bytes: int = Field(20 * 1024 * 1024, ge=1, description="largest accepted upload, bytes")
    max_pixels: int = Field(4096 * 4096, ge=1, description="largest accepted width*height")
    max_side: int = Field(8192, ge=1, description="largest accepted width or height, pixels")

    # Conversion defaults
    default_target_ssim: float = Field(0.98, gt=0.0, le=1.0)
    model_dir: Path = _MODELS_DIR

    # Service (used by api/ and workers/)
    redis_url: str = "redis://127.0.0.1:6379/0"
    key_prefix: str = "svgai"
    result_ttl_s: int = Field(7 * 24 * 3600, ge=1)
    job_ttl_s: int = Field(7 * 24 * 3600, ge=1)
    queue_tier2: str = "tier2"
    queue_tier3: str = "tier3"
    tier1_workers: int = Field(2, ge=1, le=64, description="processes of the gateway's Tier 1 pool")
    tier1_queue_limit: int = Field(32, ge=1, description="Tier 1 conversions waiting before a 503")
    tier1_timeout_s: float = Field(
        20.0, gt=0, description="wall-clock limit of one Tier 1 run in the gateway's pool, seconds"
    )
    tier1_memory_mb: int = Field(
        2048, ge=0, description="address-space limit of each Tier 1 pool process, MiB (0 = none)"
    )
    tier1_max_pixels: int = Field(
        2048 * 2048, ge=1, description="largest width*height the gateway converts synchronously"
    )
    visibility_timeout_s: int = Field(
        3600, ge=60, description="seconds before an unacknowledged job (its worker died) is delivered again"
    )
    max_batch_files: int = Field(50, ge=1, le=1000, description="files accepted in one batch")
    max_wait_s: float = Field(30.0, ge=0, description="longest long-poll a client may ask for, seconds")
    api_keys: list[str] = Field(
        default_factory=list, description="accepted Bearer keys (JSON list); empty = open mode for local use"
    )
    rate_limit_per_s: float = Field(5.0, gt=0, description="requests per second per key, sustained")
    rate_limit_burst: int = Field(20, ge=1, description="requests per key allowed at once")
    queue_webhooks: str = "webhooks"
    webhook_secret: str = Field("dev-secret-change-me", description="HMAC key of webhook signatures")
    webhook_allow: list[str] = Field(
        default_factory=list, description="networks (CIDR) a webhook may reach although private/loopback"
    )
    webhook_max_attempts: int = Field(5, ge=1, le=20)
    webhook_backoff_s: float = Field(2.0, gt=0, description="first retry delay; doubles each attempt")
    webhook_backoff_max_s: float = Field(
        300.0, gt=0, description="longest retry delay, seconds (also kept under the visibility timeout)"
    )
    webhook_timeout_s: float = Field(
        5.0, gt=0, description="TOTAL deadline of one delivery attempt (connect + send + read), seconds"
    )

    # Job lifecycle: time limits, recovery (workers/lifecycle.py, workers/sweeper.py)
    max_budget_s: float = Field(60.0, gt=0, description="longest search budget a job may ask for, seconds")
    tier2_soft_limit_s: float = Field(30.0, gt=0, description="Tier 2 soft time limit, seconds")
    time_limit_grace_s: float = Field(30.0, ge=1, description="soft -> hard time limit, seconds")
    heartbeat_interval_s: float = Field(5.0, gt=0, description="a running job's heartbeat period, seconds")
    heartbeat_ttl_s: float = Field(
        30.0, gt=0, description="a running job whose heartbeat is older than this is taken as abandoned "
        "(> the longest stretch a conversion holds the GIL: 12 s measured on a 700 px noise image)"
    )
    sweep_interval_s: float = Field(10.0, gt=0, description="how often the sweeper looks for lost jobs")
    queued_grace_s: float = Field(
        30.0, gt=0, description="a queued job whose message is in no queue after this long is re-queued"
    )
    max_job_tries: int = Field(3, ge=1, description="runs a job gets (re-queued after a lost worker)")
    idempotency_ttl_s: int = Field(24 * 3600, ge=1, description="how long an Idempotency-Key is kept")
    worker_metrics_port: int = Field(
        9808, ge=0, le=65535, description="each worker's Prometheus /metrics port (0 = off)"
    )
    redis_ca_file: str | None = Field(
        None, description="CA bundle for rediss:// URLs (default: the system's); certificates always checked"
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached; call `get_settings.cache_clear()` after changing the env)."""
    return Settings()
