"""Structured logs: one JSON event a line, CallSid on every line of a call, numbers masked."""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone

from routing.phone import mask_number

STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
MASKED_FIELDS = {"caller", "from", "to", "to_number", "number"}


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object; extra fields are kept, phone numbers masked."""

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in STANDARD and not key.startswith("_"):
                event[key] = mask_number(str(value)) if key in MASKED_FIELDS and value else value
        if record.exc_info:
            event["exception"] = self.formatException(record.exc_info)
        return json.dumps(event, default=str)


class StderrHandler(logging.StreamHandler):
    """Write to whatever sys.stderr is now (test runners and daemons swap it)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value):
        pass


APP_LOGGERS = ("ivr", "routing", "callbacks", "db", "schools", "simulator", "trials", "staff")


def init_app(app) -> None:
    """Send the app's logs to stderr as JSON lines (once per process)."""
    for name in APP_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            handler = StderrHandler()
            handler.setFormatter(JsonFormatter())
            logger.addHandler(handler)
        logger.setLevel(logging.INFO)
