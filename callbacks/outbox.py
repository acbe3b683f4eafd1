"""The outbox's rules: what each send result and status callback does to a row (the queries are db/outbox.py)."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from callbacks import schedule
from db.models import Callback
from routing.vocabulary import CallbackState

LEASE = timedelta(minutes=5)
ALERT = "urgent_alert"
RESEND_PAUSE = timedelta(seconds=30)  # an alert Twilio never took rings the next number after this, not in a loop
DELIVERED_CALL = frozenset({"completed"})
UNANSWERED_CALL = frozenset({"busy", "no-answer", "failed", "canceled"})
DELIVERED_SMS = frozenset({"delivered"})
FAILED_SMS = frozenset({"undelivered", "failed"})
# Rows a status callback may still change: the attempt in flight (a status callback also settles a send in doubt).
IN_FLIGHT = CallbackState.IN_FLIGHT


def sent(worker_id: str, sid: str, now: datetime) -> Callable[[Callback], dict | None]:
    """Twilio accepted it: 'sent', unless a status callback that came first already moved the row on."""
    def decide(row: Callback) -> dict | None:
        if row.state == "sending" and row.claimed_by == worker_id:
            return {"state": "sent", "twilio_sid": row.twilio_sid or sid, "last_status": row.last_status or "queued",
                    "updated_at": now}
        return {"twilio_sid": sid, "updated_at": now} if row.twilio_sid is None else None
    return decide


def not_sent(error: str, transient: bool, hours, now: datetime) -> Callable[[Callback], dict | None]:
    """Sending failed: try again later for a passing fault (within the attempt limit), else fail."""
    def decide(row: Callback) -> dict | None:
        if row.state != "sending":
            return None
        # An alert is not retried later to the same number: the next duty number is rung instead (escalate).
        retry = schedule.retry_at(hours, row.attempts, now) if transient and row.kind != ALERT else None
        values = {"last_error": error[:500], "updated_at": now}
        if retry is None:
            return values | {"state": "failed"}
        return values | {"state": "scheduled", "due_at": retry, "claimed_by": None, "claimed_at": None}
    return decide


def held(error: str, until: datetime, now: datetime) -> Callable[[Callback], dict | None]:
    """Twilio refused our credentials: keep the row for later, without counting the attempt against it."""
    def decide(row: Callback) -> dict | None:
        if row.state != "sending":
            return None
        return {"state": "scheduled", "due_at": until, "claimed_by": None, "claimed_at": None,
                "attempts": row.attempts - 1, "last_error": error[:500], "updated_at": now}
    return decide


def is_current(row: Callback, sid: str | None, attempt: int | None) -> bool:
    """A status callback counts only for the attempt in flight (repeats and earlier attempts are ignored)."""
    return (row.state in IN_FLIGHT and (attempt is None or attempt == row.attempts)
            and (row.twilio_sid is None or row.twilio_sid == sid))


HEARD_BY_PERSON = "heard: a person pressed for the update"
MACHINE_MESSAGE = "heard: the reference was left"
HEARD = (HEARD_BY_PERSON, MACHINE_MESSAGE)
ACCEPTED = "accepted: the duty number pressed 1"
NOT_ACCEPTED = "not accepted: another key or none"


def heard(how: str, sid: str | None, attempt: int | None, now: datetime) -> Callable[[Callback], dict | None]:
    """The call's TwiML reached the point that makes it delivered: a person pressed, or the machine message."""
    def decide(row: Callback) -> dict | None:
        if not is_current(row, sid, attempt) or row.last_status in (HEARD_BY_PERSON, ACCEPTED):
            return None  # a person's press is never downgraded by a later replay of the short message
        return {"last_status": how, "twilio_sid": sid or row.twilio_sid, "updated_at": now}
    return decide


def call_status(status: str, answered_by: str | None, sid: str | None, attempt: int | None, hours,
                now: datetime) -> Callable[[Callback], dict | None]:
    """A voice callback's status: delivered only once heard; a fax fails; otherwise retry within hours, or fail."""
    status = (status or "").strip().lower()
    answered_by = (answered_by or "").strip().lower() or None

    def decide(row: Callback) -> dict | None:
        if not is_current(row, sid, attempt):
            return None
        values = {"twilio_sid": sid or row.twilio_sid, "updated_at": now,
                  "last_status": f"{status} ({answered_by})" if answered_by else status}
        if row.kind == ALERT:
            return _alert_call_end(row, status, answered_by, values)
        if status in DELIVERED_CALL and answered_by == "fax":
            return values | {"state": "failed", "last_error": "a fax machine answered"}
        if status in DELIVERED_CALL and row.last_status in HEARD:
            return values | {"state": "delivered", "last_status": f"{values['last_status']}, {row.last_status}"}
        if status not in UNANSWERED_CALL and status not in DELIVERED_CALL:
            return values  # ringing, in progress: not the end yet
        retry = schedule.retry_at(hours, row.attempts, now)
        unheard = "answered, but the update was not heard" if status in DELIVERED_CALL else status
        if retry is None:
            return values | {"state": "failed", "last_error": f"{unheard} after {row.attempts} attempts"}
        return values | {"state": "scheduled", "due_at": retry, "claimed_by": None, "claimed_at": None,
                         "last_error": unheard}
    return decide


def _alert_call_end(row: Callback, status: str, answered_by: str | None, values: dict) -> dict:
    """An alert call is delivered only when accepted; any other end fails it, so the next number is rung at once."""
    if status in DELIVERED_CALL and row.last_status == ACCEPTED:
        return values | {"state": "delivered", "last_status": f"{values['last_status']}, {ACCEPTED}"}
    if status not in UNANSWERED_CALL and status not in DELIVERED_CALL:
        return values
    if status in UNANSWERED_CALL:
        why = status
    elif (answered_by or "").startswith(("machine", "fax")):
        why = f"answered by a machine ({answered_by})"
    else:
        why = "answered, but not accepted"
    return values | {"state": "failed", "last_error": why}


def next_alert_step_due(latest: Callback, now: datetime, wait: timedelta) -> bool:
    """Ring the next duty number: at once when the last call failed (busy, no answer, a machine, no press),
    after a pause when Twilio never took it, else once it has rung `wait` without being accepted."""
    if latest.state == CallbackState.FAILED:
        return latest.twilio_sid is not None or now >= latest.updated_at + RESEND_PAUSE
    if latest.state == CallbackState.SCHEDULED or latest.claimed_at is None:
        return False  # not rung yet (no worker running, or held): the wait starts when the call is placed
    return now >= latest.claimed_at + wait


def message_status(status: str, sid: str | None, attempt: int | None, error_code: str | None,
                   now: datetime) -> Callable[[Callback], dict | None]:
    """An SMS's status: delivered, or undelivered/failed with Twilio's error code."""
    status = (status or "").strip().lower()

    def decide(row: Callback) -> dict | None:
        if not is_current(row, sid, attempt):
            return None
        values = {"twilio_sid": sid or row.twilio_sid, "last_status": status, "updated_at": now}
        if status in DELIVERED_SMS:
            return values | {"state": "delivered"}
        if status in FAILED_SMS:
            error = f"{status} (Twilio error {error_code})" if error_code else status
            return values | {"state": "failed", "last_error": error}
        return values
    return decide
