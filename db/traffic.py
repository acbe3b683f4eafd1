"""Query functions for simulated traffic: the schools it calls from, and back-dating the calls it made."""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlmodel import Session, func, select

from db.calls import get_call_by_sid, get_steps
from db.models import Call, Callback, Contact, ContactEvent
from db.dsls import get_dsl_phones, get_dsls
from db.monthly_stats import save_months_changed
from db.schools import get_school_phones, get_schools

Shift = Callable[[datetime | None], datetime | None]


def count_calls(session: Session) -> int:
    """How many calls are recorded (the demo seeds traffic only into an empty line)."""
    return session.exec(select(func.count()).select_from(Call)).one()


def get_traffic_schools(session: Session) -> list[tuple[int, str | None, int | None, list[str]]]:
    """(URN, phase, pupils, numbers) for every registered school; its DSLs' numbers are among its numbers."""
    schools = get_schools(session)
    phones = get_school_phones(session, [s.urn for s in schools])
    numbers = {urn: [p.number for p in rows] for urn, rows in phones.items()}
    school_of = {d.id: d.urn for d in get_dsls(session)}
    for dsl_id, rows in get_dsl_phones(session, list(school_of)).items():
        urn = school_of[dsl_id]
        numbers.setdefault(urn, []).extend(p.number for p in rows if p.number not in numbers.get(urn, []))
    return [(s.urn, s.phase, s.pupils, numbers.get(s.urn, [])) for s in schools]


def get_reference_for_call_sid(session: Session, call_sid: str) -> str | None:
    """The contact reference a call opened, if it opened one."""
    call = get_call_by_sid(session, call_sid)
    if call is None:
        return None
    return session.exec(select(Contact.reference).where(Contact.call_id == call.id)).first()


def save_backdated_call(session: Session, call_sid: str, shift: Shift) -> bool:
    """Move a simulated call, its steps, and the contact and callbacks it opened to their planned times."""
    call = get_call_by_sid(session, call_sid)
    if call is None:
        return False
    call.started_at, call.routed_at, call.ended_at = shift(call.started_at), shift(call.routed_at), shift(call.ended_at)
    for step in get_steps(session, call):
        step.at = shift(step.at)
    contact = session.exec(select(Contact).where(Contact.call_id == call.id)).first()
    if contact is not None:
        contact.created_at, contact.promised_by = shift(contact.created_at), shift(contact.promised_by)
        contact.decided_at = shift(contact.decided_at)
        save_months_changed(session, (contact.created_at, contact.decided_at))
        for event in session.exec(select(ContactEvent).where(ContactEvent.contact_id == contact.id)):
            event.at = shift(event.at)
        for callback in session.exec(select(Callback).where(Callback.contact_id == contact.id)):
            callback.created_at, callback.updated_at = shift(callback.created_at), shift(callback.updated_at)
            callback.due_at = shift(callback.due_at)
    return True


def save_simulated_update(session: Session, call_sid: str, at: datetime) -> bool:
    """Record that a status update about this call's contact reached the school at `at` (the simulator's built-in
    effect, standing in for staff, the worker and Twilio); False when the call opened no contact."""
    call = get_call_by_sid(session, call_sid)
    contact = session.exec(select(Contact).where(Contact.call_id == call.id)).first() if call is not None else None
    if contact is None:
        return False
    session.add(Callback(contact_id=contact.id, kind="still_assessing", channel="voice", to_number=contact.caller or "",
                         body="A simulated status update.", due_at=at, state="delivered", attempts=1,
                         claimed_by="simulator", claimed_at=at, last_status="simulated: heard",
                         dedupe_key=f"simulated-update:{contact.id}", created_at=at, updated_at=at))
    return True
