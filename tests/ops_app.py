"""What the application serves, as the operations tests (tests/test_ops*.py) compare it with the
operations files: the FastAPI app's routes, the workers' hard time limit, the queue-depth gauge and the
exported metric names (read in a subprocess), and Settings as the app would read them from an environment."""

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest

from shared.config import Settings

ROOT = Path(__file__).resolve().parents[1]
KNOWN_ENV = {f"SVGAI_{name.upper()}" for name in Settings.model_fields}
Doc = dict[str, Any]


# Read in a subprocess: importing workers.app here would fix Celery's broker URL to the default settings
# for the whole pytest session (the service tests' worker fixture points it at their own Redis later).
_FACTS = """
import json
from api.app import app
from api.metrics import QUEUE_DEPTH
from prometheus_client import REGISTRY
from workers.app import HARD_LIMIT_S, celery_app
app.build_middleware_stack()  # registers the HTTP instrumentation's metrics, as the first request would
suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"], "summary": ["_sum", "_count"]}
metrics = sorted(f.name + s for f in REGISTRY.collect() for s in suffixes.get(f.type, [""]))
print(json.dumps({"paths": sorted({r.path for r in app.routes if hasattr(r, "path")}),
                  "hard_limit_s": HARD_LIMIT_S, "task_time_limit": celery_app.conf.task_time_limit,
                  "queue_depth": [QUEUE_DEPTH._name, list(QUEUE_DEPTH._labelnames)], "metrics": metrics}))
"""


@lru_cache(maxsize=1)
def app_facts() -> dict[str, Any]:
    """Routes of the FastAPI app, the workers' largest hard time limit, the queue-depth gauge."""
    out = subprocess.run([sys.executable, "-c", _FACTS], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def app_paths() -> set[str]:
    """Paths the FastAPI app serves."""
    return set(app_facts()["paths"])


def hard_limit_s() -> float:
    """The largest hard time limit of a job (workers/app.py), seconds."""
    facts = app_facts()
    assert facts["task_time_limit"] == facts["hard_limit_s"]
    return float(facts["hard_limit_s"])


def worker_metrics_port() -> int:
    """The port the workers export their metrics on (shared/config.py's default)."""
    return int(Settings.model_fields["worker_metrics_port"].default)


def settings_from(env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings as the app would read them from `env` (validation errors raise)."""
    unknown = set(env) - KNOWN_ENV
    assert not unknown, f"settings unknown to shared/config.py: {unknown}"
    for key in KNOWN_ENV:
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, str(value))
    return Settings()
