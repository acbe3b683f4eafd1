"""Put callbacks in the outbox: the reference SMS, decisions, closures and "still being assessed" updates."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from callbacks import channel as channels
from callbacks import messages, schedule
from db.contacts import get_contact_for_call, get_overdue_contacts, get_school_numbers
from db.models import Call, Callback, Contact, Route
from db.outbox import save_cancelled, save_once
from db.reasons import get_reason
from db.schools import get_school
from routing.vocabulary import OPEN_STATUSES

log = logging.getLogger("callbacks.planner")

OVERDUE_BATCH = 200


def _destination(session: Session, contact: Contact, kind: str) -> channels.Destination:
    if kind == "reference":
        return channels.reference_destination(contact.caller)
    school = get_school(session, contact.school_urn) if contact.school_urn is not None else None
    return channels.status_destination(contact.caller, contact.school_urn, get_school_numbers(session, contact.school_urn),
                                       school.callback_channel if school else None)


def _not_sent(session: Session, contact: Contact, kind: str, channel: str, number: str, why: str, key: str,
              now: datetime) -> Callback | None:
    """Keep a failed row saying why nothing went, for staff to see on the contact's page."""
    return save_once(session, Callback(contact_id=contact.id, kind=kind, channel=channel, to_number=number, body="",
                                      due_at=now, state="failed", last_error=why, dedupe_key=key, created_at=now,
                                      updated_at=now))


def schedule_update(session: Session, contact: Contact, kind: str, settings, now: datetime, *,
                    expected_by: datetime | None = None, occasion: str = "",
                    destination: channels.Destination | None = None) -> Callback | None:
    """Queue one callback of a kind for a contact; with no allowed number, keep a failed row saying why."""
    dest = destination or _destination(session, contact, kind)
    key = f"{contact.id}:{kind}:{occasion}"
    if dest.number is None:
        if kind == "reference":
            return None  # most calls come from school landlines: staff give the reference on the call
        return _not_sent(session, contact, kind, "none", "", f"Not sent: {dest.why}.", key, now)
    refused = channels.refusal(dest.channel, dest.number)
    if refused:
        return _not_sent(session, contact, kind, dest.channel, dest.number, refused, key, now)
    # Only a standard reason's wording ever leaves: staff's own note (contact.reason) stays inside.
    standard = get_reason(session, contact.reason_code)
    update_ = messages.Update(kind, contact.reference, contact.outcome, standard.text if standard else None,
                              expected_by, contact.service)
    urgent = settings.twilio_phone_number
    body = messages.sms_text(update_, urgent) if dest.channel == "sms" else messages.voice_text(update_, urgent)
    return save_once(session, Callback(contact_id=contact.id, kind=kind, channel=dest.channel, to_number=dest.number,
                                      body=body, due_at=schedule.due_at(settings.opening_hours, kind, now),
                                      dedupe_key=key, created_at=now, updated_at=now))


def cancel_pending(session: Session, contact: Contact, kinds: tuple[str, ...], why: str, now: datetime) -> None:
    """Cancel callbacks of these kinds that have not gone yet (a decision supersedes "still assessing")."""
    save_cancelled(session, contact.id, kinds, why, now)


def after_status_change(session: Session, contact: Contact, settings, now: datetime) -> None:
    """A decision, or a closure without one, is sent to the DSL; pending "still assessing" updates are dropped."""
    if contact.service not in Route.URGENT_LINES:
        return  # a service's outcome was given to the DSL on the call itself: nothing to send
    if contact.status == "decided":
        cancel_pending(session, contact, ("still_assessing",), "superseded by the decision", now)
        schedule_update(session, contact, "decision", settings, now)
    elif contact.status == "closed":
        cancel_pending(session, contact, ("still_assessing",), "superseded: the contact was closed", now)
        if contact.decided_at is None:
            schedule_update(session, contact, "closed", settings, now)


def send_reference(session: Session, call: Call, settings, now: datetime) -> Callback | None:
    """After a MASH call from a mobile, text the reference and the promised time at once, at any hour."""
    try:
        contact = get_contact_for_call(session, call.id) if call.id is not None else None
        if contact is None:
            return None
        if contact.school_urn is None and call.school_urn is not None:
            contact.school_urn = call.school_urn
        return schedule_update(session, contact, "reference", settings, now, expected_by=contact.promised_by)
    except Exception:
        # The end of the call must still be recorded; staff still see the reference on the call.
        log.error("could not queue the reference SMS", exc_info=True,
                  extra={"call_sid": call.call_sid, "event": "reference_sms_failed"})
        return None


def text_reference_to(session: Session, contact: Contact, mobile: str, settings, now: datetime) -> Callback | None:
    """Text the reference to a mobile the caller typed; None if the reference was already queued (it goes once)."""
    # The same key as the text to the caller's own mobile: one reference text per contact, whichever asks first.
    return schedule_update(session, contact, "reference", settings, now, expected_by=contact.promised_by,
                           destination=channels.Destination(mobile, "sms", "the mobile the caller typed"))


def schedule_overdue_updates(session: Session, settings, now: datetime) -> int:
    """Undecided contacts past their promised time get a "still being assessed, expected by ..." update."""
    overdue = get_overdue_contacts(session, OPEN_STATUSES, now, OVERDUE_BATCH)
    queued = 0
    for contact in overdue:
        promise = contact.promised_by
        contact.promised_by = schedule.promised_by(settings.opening_hours, now, settings.decision_promise_working_days)
        if schedule_update(session, contact, "still_assessing", settings, now, expected_by=contact.promised_by,
                           occasion=promise.isoformat()) is not None:
            queued += 1
    session.commit()
    if queued:
        log.info("still-being-assessed updates queued", extra={"event": "still_assessing", "count": queued})
    return queued
