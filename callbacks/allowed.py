"""The last check before a callback goes: UK numbers only, no unsubscribed numbers."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from callbacks.channel import refusal
from db.models import Callback
from db.suppressions import is_suppressed


def why_not_sent(session: Session, callback: Callback, now: datetime) -> str | None:
    """Why this claimed callback must not go now (the outbox's words for staff), or None if it may."""
    refused = refusal(callback.channel, callback.to_number)
    if refused or callback.channel != "sms":
        return refused
    if is_suppressed(session, callback.to_number):
        return "Not sent: the number unsubscribed from our texts (Twilio error 21610)."
    return None
