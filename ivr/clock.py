"""The app's one clock: every timestamp and every "now" comes from app.config["CLOCK"], which tests set."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app


def utc_clock() -> datetime:
    """Now, as an aware UTC datetime: the CLOCK a real app runs on."""
    return datetime.now(timezone.utc)


def app_now() -> datetime:
    """This moment by the app's clock."""
    return current_app.config["CLOCK"]()
