"""When callbacks are due: promised times, working hours and retries, as pure functions of `now`."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from routing.hours import OpeningHours

RETRY_GAP = timedelta(minutes=30)
MAX_RETRIES = 3
MAX_ATTEMPTS = 1 + MAX_RETRIES
# Kinds that wait for working hours; the reference SMS goes straight after the call at any hour.
IN_HOURS_KINDS = frozenset({"decision", "still_assessing", "closed"})
ANY_HOUR_KINDS = ("reference", "urgent_alert")  # an urgent alert rings at once, day or night


def _utc(when: datetime) -> datetime:
    return when.astimezone(timezone.utc)


def promised_by(hours: OpeningHours, received_at: datetime, working_days: int = 1) -> datetime:
    """The time a decision is promised by: the close of the nth working day after the contact."""
    when = received_at
    for _ in range(max(working_days, 1)):
        when = hours.end_of_next_working_day(when)
    return _utc(when)


def working_time_after(hours: OpeningHours, start: datetime, worked: timedelta) -> datetime:
    """The moment `worked` of opening time has passed since start: time while closed (nights, weekends, bank
    holidays) does not count. A callback request's target time."""
    # In UTC throughout, as every stored time is (a day's closing comes back in London time).
    when, left = _utc(hours.clamp_to_open(start)), worked
    while True:
        close = _utc(hours.close_of(hours.clamp_to_open(when).date()))
        if when + left <= close:
            return when + left
        left -= close - when
        when = _utc(hours.next_open(close))


def due_at(hours: OpeningHours, kind: str, now: datetime) -> datetime:
    """When a new callback of this kind should go: now, or the next opening for in-hours kinds."""
    if kind in IN_HOURS_KINDS:
        return _utc(hours.clamp_to_open(now))
    return _utc(now)


def sendable_kinds(hours: OpeningHours, now: datetime) -> tuple[str, ...] | None:
    """The kinds the worker may send at this moment: all in hours (None), only any-hour kinds at night."""
    return None if hours.is_open(now) else ANY_HOUR_KINDS


def retry_at(hours: OpeningHours, attempts: int, last_attempt: datetime) -> datetime | None:
    """When to ring again after busy or no answer: 30+ minutes later, in hours; None after 3 retries."""
    if attempts >= MAX_ATTEMPTS:
        return None
    return _utc(hours.clamp_to_open(last_attempt + RETRY_GAP))

