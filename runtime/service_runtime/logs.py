"""JSON logs, one object a line, carrying the request and correlation ids."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

from service_runtime import context, tracing
from service_runtime.config import LogSettings


class ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        record.request_id = context.request_id.get()
        record.correlation_id = context.correlation_id.get()
        # Null unless a span (or a passed-through caller's context) is current.
        record.trace_id, record.span_id = tracing.current_ids()
        return True


def configure_logging(service: str) -> None:
    """Send JSON logs to stderr. Idempotent: a second call replaces the first's handler."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s "
            "%(request_id)s %(correlation_id)s %(trace_id)s %(span_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(ContextFilter(service))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if getattr(existing, "_shop_json", False):
            root.removeHandler(existing)
    handler._shop_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    levels = LogSettings.from_env()
    root.setLevel(levels.level.upper())
    logging.getLogger("kafka").setLevel(levels.kafka_level.upper())
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
