"""Structured logs: one JSON object per line with the job id as its own field."""

import json
import logging

from shared.logs import JsonFormatter


def test_log_lines_are_json_with_extra_fields() -> None:
    record = logging.LogRecord("svgai.worker", logging.INFO, __file__, 1, "job %s", ("done",), None)
    record.job_id = "abc123"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "job done" and entry["job_id"] == "abc123"
    assert entry["level"] == "info" and entry["logger"] == "svgai.worker" and entry["time"]


def test_exceptions_are_kept_in_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord("svgai", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["exception"]
