"""Structured logs: one JSON event a line, CallSid on every line of a call, numbers masked."""
from __future__ import annotations

import json
import logging
import re
import sys
from datetime import datetime, timezone

from flask import has_request_context, request

from routing.phone import mask_number

STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
MASKED_FIELDS = {"caller", "from", "to", "to_number", "number"}
# What a caller says or types about a child never reaches the logs, even by mistake.
REDACTED_FIELDS = {"speechresult", "unstablespeechresult", "transcriptiontext", "form", "params"}
# A phone number inside free text: 9-15 digits, optionally after + and with single spaces,
# not glued to letters (so a CallSid such as CA123... or a 6-digit reference is left alone).
NUMBER_IN_TEXT = re.compile(r"(?<![\w+])\+?\d(?: ?\d){8,14}(?!\w)")


def mask_text(text: str) -> str:
    """Mask every phone number that appears inside a piece of text, keeping the last 3 digits."""
    return NUMBER_IN_TEXT.sub(lambda m: mask_number(m.group(0).replace(" ", "")), text)


def _field(key: str, value):
    if value is None or value == "":
        return value
    if key.lower() in REDACTED_FIELDS:
        return "[redacted]"
    if key in MASKED_FIELDS:
        return mask_number(str(value))
    return mask_text(value) if isinstance(value, str) else value


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object; extra fields are kept, phone numbers masked."""

    def format(self, record: logging.LogRecord) -> str:
        event = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": mask_text(record.getMessage()),
        }
        for key, value in vars(record).items():
            if key not in STANDARD and not key.startswith("_"):
                event[key] = _field(key, value)
        if record.exc_info:
            # Database errors quote their SQL parameters, which may include a caller's number.
            event["exception"] = mask_text(self.formatException(record.exc_info))
        return json.dumps(event, default=str)


class CallSidFilter(logging.Filter):
    """Put the webhook's CallSid on every line logged while answering it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "call_sid", None) is None and has_request_context():
            try:
                call_sid = request.form.get("CallSid")
            except Exception:  # a malformed body must not stop the log line
                call_sid = None
            if call_sid:
                record.call_sid = call_sid[:64]
        return True


APP_LOGGERS = ("ivr", "routing", "callbacks", "db", "schools", "simulator", "trials", "staff", "messages")


def json_handler(stream=None) -> logging.Handler:
    """A handler writing JSON lines with the CallSid added and numbers masked."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(CallSidFilter())
    return handler


def init_app(app) -> None:
    """Send the app's logs to stderr as JSON lines (once per process)."""
    for name in APP_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(h.formatter, JsonFormatter) for h in logger.handlers):
            logger.addHandler(json_handler())
        logger.setLevel(logging.INFO)
