"""Exactly once: a send in doubt (its answer never came, or its worker died) is looked up at Twilio before it
is sent again; what cannot be told is held as "uncertain" for staff."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

import requests
from urllib3.exceptions import NewConnectionError

from db.models import Callback

LOOKUP_LIMIT = 50  # Twilio lists newest first: an attempt made minutes ago is well inside this
CLOCK_SLACK = timedelta(minutes=2)  # Twilio's clock and ours may differ a little


def outcome_unknown(exc: Exception) -> bool:
    """Whether a failed request may still have reached Twilio: it was sent, but the answer never came."""
    if isinstance(exc, requests.ConnectTimeout):
        return False  # never connected, so never sent
    if isinstance(exc, requests.Timeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = exc.args[0] if exc.args else None
        return not isinstance(getattr(reason, "reason", reason), NewConnectionError)  # refused or DNS: never sent
    return False


def find_sent(client, callback: Callback, since: datetime, known_sids: set[str]) -> tuple[str | None, str | None]:
    """Twilio's SID and status for this attempt, if Twilio has it: a text with this body, or a call, to this
    number since the attempt was claimed."""
    if callback.channel == "sms":
        matches = [m for m in client.messages.list(to=callback.to_number, limit=LOOKUP_LIMIT) if m.body == callback.body]
    else:
        matches = list(client.calls.list(to=callback.to_number, limit=LOOKUP_LIMIT))
    # A SID another row already holds is that row's send (two contacts may share a school's switchboard).
    matches = [item for item in matches if item.sid not in known_sids and item.date_created is not None
             and item.date_created >= since - CLOCK_SLACK]
    return (matches[0].sid, matches[0].status) if matches else (None, None)


def unconfirmed(error: str, now: datetime) -> Callable[[Callback], dict | None]:
    """The send's answer never came: Twilio may have it, so the row is checked, never simply sent again."""
    def decide(row: Callback) -> dict | None:
        if row.state != "sending":
            return None
        return {"state": "unconfirmed", "last_error": error[:500], "updated_at": now}
    return decide


def found(sid: str, status: str | None, now: datetime) -> Callable[[Callback], dict | None]:
    """Twilio had it after all: record the send, so it is not made twice."""
    def decide(row: Callback) -> dict | None:
        if row.state != "checking":
            return None
        return {"state": "sent", "twilio_sid": sid, "last_status": (status or "queued")[:64], "last_error": None,
                "updated_at": now}
    return decide


def not_found(now: datetime) -> Callable[[Callback], dict | None]:
    """Twilio has no such send: it is due again at once (the next claim counts the attempt)."""
    def decide(row: Callback) -> dict | None:
        if row.state != "checking":
            return None
        return {"state": "scheduled", "due_at": now, "claimed_by": None, "claimed_at": None, "updated_at": now,
                "last_error": f"attempt {row.attempts} did not reach Twilio; sending again"}
    return decide


def uncertain(error: str, now: datetime) -> Callable[[Callback], dict | None]:
    """Twilio could not be asked: hold the row for staff rather than risk a second text or call."""
    def decide(row: Callback) -> dict | None:
        if row.state != "checking":
            return None
        return {"state": "uncertain", "claimed_by": None, "updated_at": now, "last_error": (
            f"Attempt {row.attempts} may have been sent, and Twilio could not be asked ({error}). "
            "Check the Twilio console before sending it again.")[:500]}
    return decide
