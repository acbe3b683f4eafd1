"""Query functions for contacts, their status history, their callbacks and the follow-up rate."""
from __future__ import annotations

import bisect
import functools
import secrets
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from db.models import Call, Callback, Contact, ContactEvent, Route, School, SchoolPhone
from routing.phone import WITHHELD
from routing.vocabulary import OPEN_STATUSES

REFERENCE_TRIES = 8
FOLLOW_UP_DAYS = 14
FOLLOW_UP_ROUTES = (Route.MASH, Route.STATUS_CHECK)
FOLLOW_UP_SERVICES = Route.URGENT_LINES  # the rate is of MASH's own contacts, as it was before services had them
OPEN_ENDING_STATUSES = ("decided", "closed")
# The outbox kinds that tell a DSL what became of a contact (the reference text only confirms it was made).
STATUS_CALLBACK_KINDS = ("decision", "still_assessing", "closed")


def new_reference() -> str:
    """A random 6-digit reference without a leading zero (spreadsheets drop leading zeros)."""
    return str(100000 + secrets.randbelow(900000))


def get_contact_by_reference(session: Session, reference: str, for_update: bool = False) -> Contact | None:
    """The contact with this reference, if any; for_update locks its row (PostgreSQL) until the transaction ends,
    read afresh, so two changes to one contact are made one after the other."""
    query = select(Contact).where(Contact.reference == str(reference).strip())
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    return session.exec(query).first()


def get_event_by_event_id(session: Session, event_id: str) -> ContactEvent | None:
    """The contact event the case system sent with this id, if any."""
    return session.exec(select(ContactEvent).where(ContactEvent.event_id == event_id)).first()


def get_contacts_after(session: Session, after_id: int, made_before: datetime, limit: int) -> list[Contact]:
    """Up to `limit` contacts with an id above `after_id`, in id order (a keyset page), ending at the first made
    at or after `made_before`: ids and times can disagree by a moment, and a page never skips a younger id."""
    page = []
    for contact in session.exec(select(Contact).where(Contact.id > after_id).order_by(Contact.id).limit(limit)):
        if contact.created_at >= made_before:
            break
        page.append(contact)
    return page


def get_contact_for_call(session: Session, call_id: int) -> Contact | None:
    """The contact opened by this call, if any."""
    return session.exec(select(Contact).where(Contact.call_id == call_id)).first()


def get_contact_listing(session: Session, status: str | None = None, limit: int | None = None) -> list[tuple]:
    """(reference, CallSid, school URN, status) per contact, newest first."""
    query = (select(Contact.reference, Call.call_sid, Contact.school_urn, Contact.status)
             .join(Call, Call.id == Contact.call_id, isouter=True)
             .order_by(Contact.created_at.desc(), Contact.id.desc()))
    if status:
        query = query.where(Contact.status == status)
    if limit:
        query = query.limit(limit)
    return list(session.exec(query))


def _first_promise():
    """A contact's first promised time (a row from before migration 0005 may have only promised_by)."""
    return func.coalesce(Contact.first_promised_by, Contact.promised_by)


def _contact_rows():
    return (select(Contact, Call.call_sid, School.name)
            .join(Call, Call.id == Contact.call_id, isouter=True)
            .join(School, School.urn == Contact.school_urn, isouter=True))


def get_contacts(session: Session, status: str | None, limit: int | None) -> list[tuple]:
    """(contact, CallSid, school name) per contact, newest first; only those with this status if one is given."""
    query = _contact_rows().order_by(Contact.created_at.desc(), Contact.id.desc()).limit(limit)
    if status:
        query = query.where(Contact.status == status)
    return list(session.exec(query))


def get_contacts_past_promise(session: Session, now: datetime, limit: int | None,
                              status: str | None = None) -> list[tuple]:
    """(contact, CallSid, school name) of undecided contacts whose first promise had passed by `now`, the
    oldest promise first; the planner moving promised_by on does not hide them."""
    promise = _first_promise()
    query = (_contact_rows().where(Contact.status.in_(OPEN_STATUSES), promise <= now)
             .order_by(promise, Contact.id).limit(limit))
    if status:
        query = query.where(Contact.status == status)
    return list(session.exec(query))


def get_overdue_contacts(session: Session, open_statuses: tuple[str, ...], now: datetime, limit: int) -> list[Contact]:
    """Undecided contacts whose promised time has passed, the longest overdue first."""
    return list(session.exec(select(Contact).where(Contact.status.in_(open_statuses), Contact.promised_by <= now)
                             .order_by(Contact.promised_by).limit(limit)).all())


def get_open_contacts_of(session: Session, caller: str | None, school_urn: int | None, since: datetime,
                         open_statuses: tuple[str, ...], limit: int) -> list[Contact]:
    """A caller's undecided contacts since a time, from their number or their school, oldest first."""
    mine = []
    if caller and caller.startswith("+"):  # a withheld caller has no number to match
        mine.append(Contact.caller == caller)
    if school_urn is not None:
        mine.append(Contact.school_urn == school_urn)
    if not mine:
        return []
    return list(session.exec(select(Contact).where(or_(*mine), Contact.status.in_(open_statuses),
                                                   Contact.created_at >= since)
                             .order_by(Contact.created_at, Contact.id).limit(limit)).all())


def get_references_received_before(session: Session, before: datetime) -> list[tuple]:
    """(reference, service, created_at, promised_by) of contacts still only received, opened before this time."""
    return list(session.exec(select(Contact.reference, Contact.service, Contact.created_at, Contact.promised_by)
                             .where(Contact.status == "received", Contact.created_at < before)).all())


def get_contact_events(session: Session, contact: Contact) -> list[ContactEvent]:
    """A contact's status changes, oldest first, each with who made it and when."""
    return list(session.exec(select(ContactEvent).where(ContactEvent.contact_id == contact.id)
                             .order_by(ContactEvent.at, ContactEvent.id)))


def get_callbacks_for_contact(session: Session, contact: Contact) -> list[Callback]:
    """A contact's callbacks, oldest first, with state and attempts."""
    return list(session.exec(select(Callback).where(Callback.contact_id == contact.id)
                             .order_by(Callback.created_at, Callback.id)))


def get_school_numbers(session: Session, urn: int | None) -> list[str]:
    """A school's registered numbers, switchboard first."""
    if urn is None:
        return []
    rows = session.exec(select(SchoolPhone.number, SchoolPhone.label).where(SchoolPhone.urn == urn)
                        .order_by(SchoolPhone.id))
    return [number for number, _ in sorted(rows, key=lambda row: row[1] != "switchboard")]


@functools.cache
def _insert_contact(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once: a reference clash or a second contact for
    the call skips the insert in the same statement (a live call's hot path)."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    return insert(Contact.__table__).on_conflict_do_nothing().returning(Contact.__table__.c.id)


def save_contact(session: Session, *, call_id: int | None, school_urn: int | None, caller: str | None,
                 created_at: datetime, promised_by: datetime | None, service: str = Route.MASH,
                 dsl_id: int | None = None) -> Contact:
    """Insert a contact with a fresh random reference, retrying on the rare clash; one per call."""
    connection = session.connection()
    for _ in range(REFERENCE_TRIES):
        values = {"reference": new_reference(), "call_id": call_id, "school_urn": school_urn, "caller": caller,
                  "created_at": created_at, "promised_by": promised_by, "first_promised_by": promised_by,
                  "status": "received", "service": service, "dsl_id": dsl_id}
        row = connection.execute(_insert_contact(connection.dialect.name), values).first()
        if row is not None:
            return Contact(id=row.id, **values)
        existing = get_contact_for_call(session, call_id) if call_id is not None else None
        if existing is not None:
            return existing
    raise RuntimeError("could not find an unused contact reference")


def save_contact_for_call(session: Session, call: Call, now: datetime, promised_by: datetime | None) -> Contact:
    """The contact for a routed call, for the line it was put through to (created once, even if routed twice)."""
    return save_contact(session, call_id=call.id, school_urn=call.school_urn, caller=call.caller,
                        created_at=now, promised_by=promised_by, service=call.route, dsl_id=call.dsl_id)


def _open_until(session: Session, start: datetime, end: datetime) -> dict[int, datetime]:
    """When each contact in the range was first decided or closed."""
    rows = session.exec(
        select(ContactEvent.contact_id, func.min(ContactEvent.at))
        .join(Contact, Contact.id == ContactEvent.contact_id)
        .where(Contact.created_at >= start, Contact.created_at < end, Contact.service.in_(FOLLOW_UP_SERVICES),
               ContactEvent.status.in_(OPEN_ENDING_STATUSES))
        .group_by(ContactEvent.contact_id))
    return dict(rows.all())


def _follow_up_calls(session: Session, start: datetime, end: datetime) -> tuple[dict, dict]:
    """Calls to MASH or option 4 in the window, indexed by school and by caller number."""
    rows = session.exec(
        select(Call.id, Call.started_at, Call.school_urn, Call.caller)
        .where(Call.started_at > start, Call.started_at < end + timedelta(days=FOLLOW_UP_DAYS),
               or_(Call.route.in_(FOLLOW_UP_ROUTES), Call.service == Route.MASH))
        .order_by(Call.started_at))
    by_school: dict = defaultdict(list)
    by_caller: dict = defaultdict(list)
    for call_id, started_at, urn, caller in rows:
        if urn is not None:
            by_school[urn].append((started_at, call_id))
        if caller and caller != WITHHELD:
            by_caller[caller].append((started_at, call_id))
    return by_school, by_caller


def _first_call_between(calls: list, after: datetime, before: datetime, own_call_id: int | None) -> datetime | None:
    """When the first call (of calls sorted by time) started strictly after `after` and before `before`."""
    index = bisect.bisect_right(calls, (after, float("inf")))
    return next((started_at for started_at, call_id in calls[index:] if started_at < before and call_id != own_call_id),
                None)


def _status_callbacks_delivered(session: Session, start: datetime, end: datetime) -> dict[int, datetime]:
    """When a status update (not the reference text) was first sent, and delivered, for each contact in the range."""
    rows = session.exec(
        select(Callback.contact_id, func.min(Callback.claimed_at))
        .join(Contact, Contact.id == Callback.contact_id)
        .where(Contact.created_at >= start, Contact.created_at < end, Contact.service.in_(FOLLOW_UP_SERVICES),
               Callback.state == "delivered", Callback.kind.in_(STATUS_CALLBACK_KINDS),
               Callback.claimed_at.is_not(None))
        .group_by(Callback.contact_id))
    return dict(rows.all())


def get_follow_up_rate(session: Session, start: datetime, end: datetime) -> dict:
    """Share of contacts made in [start, end) followed within 14 days, while still open, by a call
    from the same school or the same caller number to MASH or to option 4 (see README); split by whether a
    status update had been delivered before the first such call (or, with none, before the window ended)."""
    contacts = session.exec(select(Contact.id, Contact.call_id, Contact.created_at, Contact.school_urn,
                                   Contact.caller).where(Contact.created_at >= start, Contact.created_at < end,
                                                         Contact.service.in_(FOLLOW_UP_SERVICES))).all()
    open_until = _open_until(session, start, end)
    delivered = _status_callbacks_delivered(session, start, end)
    by_school, by_caller = _follow_up_calls(session, start, end)
    followed = after_contacts = after_followed = 0
    for contact_id, call_id, created_at, urn, caller in contacts:
        window_end = created_at + timedelta(days=FOLLOW_UP_DAYS)
        closed = open_until.get(contact_id)
        before = min(window_end, closed) if closed is not None else window_end
        candidates = [by_school.get(urn, []) if urn is not None else [],
                      by_caller.get(caller, []) if caller and caller != WITHHELD else []]
        firsts = [t for calls in candidates if (t := _first_call_between(calls, created_at, before, call_id))]
        first = min(firsts) if firsts else None
        followed += first is not None
        update = delivered.get(contact_id)
        if update is not None and update < (first or before):
            after_contacts, after_followed = after_contacts + 1, after_followed + (first is not None)
    total = len(contacts)
    return {"contacts": total, "followed_up": followed, "rate": (followed / total) if total else 0.0,
            "window_days": FOLLOW_UP_DAYS, "after_callback_contacts": after_contacts,
            "after_callback_followed": after_followed}


def get_promise_kept(session: Session, start: datetime, end: datetime) -> dict[str, tuple[int, int]]:
    """{service: (decided, kept)} over the contacts with a promise decided in [start, end): kept means decided
    by the first promised time, however often the planner moved promised_by on since."""
    kept = func.sum(case((Contact.decided_at <= _first_promise(), 1), else_=0))
    rows = session.exec(select(Contact.service, func.count(), kept)
                        .where(Contact.decided_at >= start, Contact.decided_at < end,
                               Contact.service.in_(Route.URGENT_LINES), _first_promise().is_not(None))
                        .group_by(Contact.service))
    return {service: (int(decided), int(on_time or 0)) for service, decided, on_time in rows}
