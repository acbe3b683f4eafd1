"""The last check before a callback goes: UK numbers only, no unsubscribed numbers, 3 texts a number a day."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from callbacks.channel import refusal
from db.alerts import ALERT, is_alert_open
from db.models import Callback
from db.suppressions import is_suppressed
from db.texts import count_texts_to
from routing.hours import london_day_span

TEXTS_PER_DAY = 3


def why_not_sent(session: Session, callback: Callback, now: datetime) -> str | None:
    """Why this claimed callback must not go now (the outbox's words for staff), or None if it may."""
    refused = refusal(callback.channel, callback.to_number)
    if refused:
        return refused
    if callback.kind == ALERT and not is_alert_open(session, callback.call_id):
        return "Not sent: the alert was accepted or its message closed."
    if callback.channel != "sms":
        return None
    if is_suppressed(session, callback.to_number):
        return "Not sent: the number unsubscribed from our texts (Twilio error 21610)."
    if callback.kind == ALERT:
        return None  # the duty phones are our own: every alert reaches them, however many a day
    start, end = london_day_span(now)
    if count_texts_to(session, callback.to_number, start, end, callback.id) >= TEXTS_PER_DAY:
        # A genuine DSL gets far fewer; more is a loop or someone making us text a number (SMS pumping).
        return f"Not sent: {TEXTS_PER_DAY} texts already went to this number today, the most we send a number in a day."
    return None
