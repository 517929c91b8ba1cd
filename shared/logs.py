"""Structured logs: one JSON object per line (time, level, logger, message, and any `extra` fields such
as `job_id`), so that a log pipeline can filter by job without parsing prose. Every line of a process is
JSON once an entry point has called `configure_json_logging`: the project's loggers, the libraries'
warnings, uvicorn's server and access lines, Celery's lines, and tracebacks (one line, `exception`).
Nothing is configured on import."""

import json
import logging
import sys
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
_DROPPED = {"color_message"}  # uvicorn's copy of the message with terminal colour codes
_ACCESS_FIELDS = ("client", "method", "path", "http_version", "status")  # uvicorn.access's args, in order
OWN_LOGGERS = ("svgai", "celery")  # at the level asked for; other libraries' loggers at WARNING
HANDED_OVER = ("uvicorn", "uvicorn.error", "uvicorn.access", "celery", "celery.task", "celery.redirected")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.name == "uvicorn.access" and isinstance(record.args, tuple) and len(record.args) == 5:
            entry.update(zip(_ACCESS_FIELDS, record.args, strict=True))
        entry.update({k: v for k, v in vars(record).items()
                      if k not in _STANDARD and k not in _DROPPED and not k.startswith("_")})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_json_logging(level: int = logging.INFO) -> None:
    """Send every log record of this process to stderr as a JSON line (idempotent).

    The root logger gets the one JSON handler (WARNING and up from libraries); the project's and
    Celery's loggers log at `level`; loggers that came with handlers of their own (uvicorn's, set up by
    its default config) lose them and pass their records up to the root instead. Called by the entry
    points: `svgai serve` and the gateway's startup, the Celery worker's `setup_logging` signal
    (workers/app.py), the gateway's Tier 1 pool processes."""
    logging.captureWarnings(True)  # warnings (Celery's SecurityWarning as root, ...) as records too
    root = logging.getLogger()
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.WARNING:
        root.setLevel(logging.WARNING)
    for name in HANDED_OVER:
        logger = logging.getLogger(name)
        for handler in list(logger.handlers):
            logger.removeHandler(handler)
        logger.propagate = True
    for name in OWN_LOGGERS:
        logging.getLogger(name).setLevel(level)
