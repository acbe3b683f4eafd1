"""Contacts past their promised time: the first promise each was given, and how long ago it passed."""
from __future__ import annotations

from datetime import datetime, timedelta

from db.models import Contact

MAX_LISTED = 500  # a page (and a day's work) of overdue contacts; the page says when there are more


def first_promise(contact: Contact) -> datetime | None:
    """The first time a decision was promised by (a row from before migration 0005 has only promised_by)."""
    return contact.first_promised_by or contact.promised_by


def _units(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def overdue_by(promised: datetime, now: datetime) -> str:
    """How long ago a promise passed, in the two largest units: '2 days 3 hours', '5 hours 10 minutes'."""
    late = max(now - promised, timedelta(0))
    days, hours, minutes = late.days, late.seconds // 3600, late.seconds % 3600 // 60
    if days:
        return _units(days, "day") + (f" {_units(hours, 'hour')}" if hours else "")
    if hours:
        return _units(hours, "hour") + (f" {_units(minutes, 'minute')}" if minutes else "")
    return _units(minutes, "minute") if minutes else "less than a minute"
