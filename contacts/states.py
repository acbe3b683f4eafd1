"""Contacts: the reference every routed call opens, and the status machine staff move it through."""
from __future__ import annotations

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from callbacks import planner, pushes
from callbacks.schedule import promised_by
from db.contacts import get_contact_by_reference, get_contact_for_call, save_contact_for_call
from db.models import AuditEvent, Call, Contact, ContactEvent, Route
from db.monthly_stats import save_months_changed
from db.reasons import get_reasons
from db.session import lock_for_write, statement_savepoint
from routing.phone import mask_number
from routing.transfer import ANSWERED
from routing.vocabulary import NO_FURTHER_ACTION, OUTCOMES, STATUS_LABELS, STATUSES, outcomes_for

log = logging.getLogger("contacts")

CONTACT_ROUTES = Route.LINES  # every call put through to a line leaves with a reference
PROMISED_ROUTES = Route.URGENT_LINES  # MASH (and EDT) promise a decision; the other services note an outcome
MAX_REASON = 300
UNANSWERED_NOTE = "Closed by the IVR: the line did not answer and no message was left."
OUTCOME_ALIASES = {"nfa": NO_FURTHER_ACTION}


class ContactError(ValueError):
    """A status change that cannot be made; the message is fit to show a member of staff.

    `field` names the input at fault; `conflict` is a move the contact's current status forbids.
    """

    def __init__(self, message: str, field: str | None = None, conflict: bool = False):
        super().__init__(message)
        self.field, self.conflict = field, conflict


def _key(value: str | None) -> str:
    """'Being assessed', 'being-assessed' and 'being_assessed' all mean the same key."""
    return re.sub(r"[\s\-]+", "_", (value or "").strip().lower())


@dataclass(frozen=True)
class Change:
    """A checked status change: the new status, its outcome, the standard reason sent, and staff's own note."""

    status: str
    outcome: str | None = None
    reason_code: str | None = None
    note: str | None = None


def check_change(current: str, status: str, outcome: str | None, note: str | None, reason_code: str | None,
                 standard_codes: Collection[str], outcomes: tuple[str, ...] = OUTCOMES) -> Change:
    """Validate a status change in canonical form, or raise ContactError.

    What the DSL is told is only ever a standard reason (by its code); the note is free text for staff only.
    """
    new = _key(status)
    if new not in STATUSES:
        raise ContactError(f"Unknown status '{status}'. Use one of: {', '.join(STATUSES)}.", "status")
    if STATUSES.index(new) < STATUSES.index(current):
        raise ContactError(f"A contact cannot move back from {STATUS_LABELS[current]} to {STATUS_LABELS[new]}.",
                           "status", conflict=True)
    if new == current:
        raise ContactError(f"The contact is already {STATUS_LABELS[new]}.", "status", conflict=True)
    clean_note = " ".join((note or "").split()) or None
    if clean_note and len(clean_note) > MAX_REASON:
        raise ContactError(f"The note is too long: keep it under {MAX_REASON} characters.", "note")
    code = (reason_code or "").strip() or None
    if code is not None and code not in standard_codes:
        raise ContactError(f"Unknown standard reason '{code}'. Use one of: {', '.join(standard_codes)}.",
                           "reason_code")
    if new != "decided":
        if outcome or code:
            raise ContactError("An outcome and its reason can only be recorded with the status decided.",
                               "outcome" if outcome else "reason_code")
        return Change(new, note=clean_note)
    if not outcome:
        raise ContactError(f"A decision needs an outcome. Use one of: {', '.join(outcomes)}.", "outcome")
    chosen = OUTCOME_ALIASES.get(_key(outcome), _key(outcome))
    if chosen not in outcomes:
        raise ContactError(f"Unknown outcome '{outcome}'. Use one of: {', '.join(outcomes)}.", "outcome")
    if chosen == NO_FURTHER_ACTION and code is None:
        raise ContactError("No further action needs a standard reason: choose the one the DSL will be told.",
                           "reason_code")
    return Change(new, chosen, code, clean_note)


def check_status_change(session: Session, contact: Contact, status: str, *, outcome: str | None,
                        reason_code: str | None, note: str | None, actor: str, now: datetime,
                        occurred_at: datetime | None = None, current: str | None = None) -> Change:
    """The checked change of `contact` from `current` (its own status by default), or ContactError; saves nothing."""
    if not (actor or "").strip():
        raise ContactError("Say who is making the change.", "actor")
    if occurred_at is not None and occurred_at < contact.created_at:
        raise ContactError("The change cannot have happened before the contact was made.", "occurred_at")
    return check_change(current or contact.status, status, outcome, note, reason_code,
                        [r.code for r in get_reasons(session, now)], outcomes_for(contact.service))


def save_status(session: Session, reference: str, status: str, *, outcome: str | None = None,
                reason_code: str | None = None, note: str | None = None, actor: str, settings,
                now: datetime, occurred_at: datetime | None = None, event_id: str | None = None) -> Contact:
    """Move a contact to a new status, keep who and when, audit it and schedule the callbacks; all or nothing.

    `reason_code` names the standard reason the DSL is told; `note` is staff's own and never leaves.
    `occurred_at` is when the change was made, if not now (the case system's time); `event_id` its own id.
    """
    try:
        # Locked (SQLite's write lock, or the row on PostgreSQL) and read afresh: a second change to this contact,
        # from the staff form, the CLI or the case system, waits, then meets the first's status.
        lock_for_write(session)
        contact = get_contact_by_reference(session, reference, for_update=True) if reference else None
        if contact is None:
            raise ContactError(f"No contact has the reference '{reference}'.", "reference")
        change = check_status_change(session, contact, status, outcome=outcome, reason_code=reason_code, note=note,
                                     actor=actor, now=now, occurred_at=occurred_at)
        new, outcome, old, at = change.status, change.outcome, contact.status, occurred_at or now
        # The report's months of this contact are counted again when next read (db.monthly_stats).
        save_months_changed(session, (contact.created_at, contact.decided_at, at))
        contact.status = new
        if new == "decided":
            contact.outcome, contact.reason_code, contact.decided_at = outcome, change.reason_code, at
            contact.reason = change.note
        saved = ContactEvent(contact_id=contact.id, status=new, outcome=outcome, reason=change.note,
                             reason_code=change.reason_code, actor=actor.strip(), at=at, event_id=event_id)
        session.add(saved)
        detail = f"contact {contact.reference}: {old} -> {new}" + (f" ({outcome})" if outcome else "")
        session.add(AuditEvent(actor=actor.strip(), action="contact_status", detail=detail, at=now))
        planner.after_status_change(session, contact, settings, now)
        pushes.queue_status_change(session, contact, saved, settings, now)
        session.commit()
    except Exception:
        session.rollback()  # also lets go of the contact's row
        raise
    log.info("contact status changed", extra={"event": "contact_status", "reference": contact.reference,
                                              "status": new, "outcome": outcome})
    return contact


def open_contact(session: Session, call: Call, settings, now: datetime) -> Contact | None:
    """A call put through to a line opens a contact; never lets a failure stop the transfer."""
    if call.route not in CONTACT_ROUTES:
        return None
    try:
        promise = (promised_by(settings.opening_hours, now, settings.decision_promise_working_days)
                   if call.route in PROMISED_ROUTES else None)
        # If the contact cannot be written, the call's own route is still saved.
        with statement_savepoint(session):
            contact = save_contact_for_call(session, call, now, promise)
        if call.route in PROMISED_ROUTES and contact.service not in PROMISED_ROUTES:
            # The service's line did not answer and the caller went on to MASH: MASH now owes a decision.
            contact.service, contact.promised_by, contact.first_promised_by = call.route, promise, promise
        return contact
    except Exception:
        log.error("could not open a contact; the caller is still transferred", exc_info=True,
                  extra={"call_sid": call.call_sid, "event": "contact_failed", "caller": mask_number(call.caller)})
        return None


def close_unanswered(session: Session, call: Call, settings, now: datetime) -> bool:
    """A service's contact whose line did not answer, with no message left, is closed rather than open for ever."""
    # Only a transfer known to have gone unanswered: with no DialCallStatus at all the service may have spoken.
    if call.id is None or call.transfer_status is None or call.transfer_status in ANSWERED or call.recording_url:
        return False
    contact = get_contact_for_call(session, call.id)
    if contact is None or contact.service in PROMISED_ROUTES or contact.status != "received":
        return False
    contact.status = "closed"
    closed = ContactEvent(contact_id=contact.id, status="closed", reason=UNANSWERED_NOTE, actor="ivr", at=now)
    session.add(closed)
    session.add(AuditEvent(actor="ivr", action="contact_status", at=now,
                           detail=f"contact {contact.reference}: received -> closed (the line did not answer)"))
    pushes.queue_status_change(session, contact, closed, settings, now)  # the case system hears of it too
    return True
