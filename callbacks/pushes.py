"""Pushes to the case system (CASE_SYSTEM_WEBHOOK_URL): each new contact and status change, signed, retried.

Each event is queued once (its key is unique); a push is sent until the receiver answers 2xx, with a
growing wait between tries, and given up as failed after the last (admins see it on /case-system). A
worker stopped between sending and recording the answer sends that push again after its lease, so the
receiver dedupes by the event_key in the body (also in the X-Mash-Event header). A few pushes are claimed
at a time, each claim's lease (5 minutes) longer than its tries can take (5 x 15 s), so two workers never
send one push at once.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta
from typing import Callable

import requests
from sqlmodel import Session

from db.contacts import get_contacts_after
from db.models import Contact, ContactEvent
from db.pushes import (get_newest_contact_id, get_push_cursor, save_claimed_pushes, save_push, save_push_cursor,
                       save_push_outcome)

log = logging.getLogger("callbacks.pushes")
CONTACT_CREATED, STATUS_CHANGED = "contact_created", "status_changed"
SIGNATURE_HEADER = "X-Mash-Signature"
# A contact is pushed once it is this old, so a webhook transaction holding an earlier id has committed (as the API).
PUSHED_AFTER = timedelta(seconds=30)
RETRY_AFTER = (timedelta(seconds=30), timedelta(minutes=2), timedelta(minutes=10), timedelta(minutes=30),
               timedelta(hours=1), timedelta(hours=2), timedelta(hours=4), timedelta(hours=8))
TIMEOUT_S = (5, 10)  # connect, read
BATCH = 5  # claimed at a time, so a slow receiver holds few; each claim's lease outlasts its sends
LEASE = timedelta(minutes=5)


def _iso(when: datetime | None) -> str | None:
    return when.isoformat().replace("+00:00", "Z") if when is not None else None


def signature(secret: str, body: bytes) -> str:
    """The X-Mash-Signature header: sha256= and the hex HMAC-SHA256 of the body, keyed by the secret."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _body(event_key: str, kind: str, contact: Contact, change: ContactEvent | None, now: datetime) -> str:
    # References and standard codes only: nothing about a child is ever pushed.
    fields = {"event_key": event_key, "event": kind, "reference": contact.reference,
              "created_at": _iso(contact.created_at), "school_urn": contact.school_urn, "route": contact.service,
              "promised_by": _iso(contact.promised_by), "status": contact.status, "queued_at": _iso(now)}
    if change is not None:
        fields.update(status=change.status, outcome=change.outcome, reason_code=change.reason_code,
                      occurred_at=_iso(change.at), case_system_event_id=change.event_id)
    return json.dumps(fields, separators=(",", ":"), sort_keys=True)


def queue_status_change(session: Session, contact: Contact, change: ContactEvent, settings, now: datetime) -> None:
    """Queue the push of a status change, in the change's own transaction (nothing when no webhook is set)."""
    if settings.case_system_webhook_url:
        session.flush()  # the change's id names the event
        key = f"event:{change.id}"
        save_push(session, key, STATUS_CHANGED, contact.id, _body(key, STATUS_CHANGED, contact, change, now), now)


def queue_new_contacts(session: Session, now: datetime, limit: int = 500) -> int:
    """Queue a push for each contact made since the last look (from the first look on); returns how many."""
    cursor = get_push_cursor(session)
    if cursor is None:  # turned on now: the contacts made before are the case system's already
        save_push_cursor(session, get_newest_contact_id(session))
        session.commit()
        return 0
    contacts = get_contacts_after(session, cursor, now - PUSHED_AFTER, limit)
    for contact in contacts:
        key = f"contact:{contact.id}"
        save_push(session, key, CONTACT_CREATED, contact.id, _body(key, CONTACT_CREATED, contact, None, now), now)
    if contacts:
        save_push_cursor(session, contacts[-1].id)
    session.commit()
    return len(contacts)


def _send(url: str, secret: str, push) -> str | None:
    """POST one push; None when the receiver took it (2xx), else why not."""
    body = push.body.encode()
    try:
        response = requests.post(url, data=body, timeout=TIMEOUT_S,
                                 headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature(secret, body),
                                          "X-Mash-Event": push.event_key})
    except requests.RequestException as exc:
        return f"{type(exc).__name__}: no answer"
    return None if 200 <= response.status_code < 300 else f"HTTP {response.status_code}"


def deliver_due(session: Session, settings, worker_id: str, clock: Callable[[], datetime],
                stopping: Callable[[], bool] = lambda: False) -> int:
    """Send the due pushes, a few claimed at a time, until none is due or the worker stops; returns how many
    were delivered. Each try's time is read afresh: a slow receiver does not shorten the next wait."""
    delivered = 0
    while not stopping():
        claimed = save_claimed_pushes(session, worker_id, clock(), LEASE, BATCH)
        if not claimed:
            break
        for push in claimed:
            error = _send(settings.case_system_webhook_url, settings.case_system_webhook_secret, push)
            now = clock()
            retry_at = now + RETRY_AFTER[push.attempts - 1] if error and push.attempts <= len(RETRY_AFTER) else None
            save_push_outcome(session, push.id, worker_id, now, error, retry_at)
            if error is None:
                delivered += 1
            else:
                log.warning("case system push not accepted", extra={
                    "event": "case_push_failed", "push_id": push.id, "attempts": push.attempts, "error": error,
                    "given_up": retry_at is None})
    return delivered
