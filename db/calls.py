"""Query functions for calls and their steps; every save is safe to repeat."""
from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, select

from db.models import Call, CallStep, Route


# Built once: every webhook after the first looks its call up by CallSid.
CALL_BY_SID = select(Call).where(Call.call_sid == bindparam("call_sid"))


def get_call_by_sid(session: Session, call_sid: str) -> Call | None:
    """The call with this CallSid, if recorded."""
    return session.exec(CALL_BY_SID, params={"call_sid": call_sid}).first()


@functools.cache
def _insert_call(dialect: str):
    """INSERT ... ON CONFLICT (call_sid) DO NOTHING RETURNING id for calls, built once."""
    # A repeated first webhook is refused by the unique CallSid in the same statement and transaction.
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    table = Call.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["call_sid"]).returning(table.c.id)


CALL_COLUMNS = tuple(c.key for c in Call.__table__.columns if c.key != "id")


def save_new_call(session: Session, call: Call) -> Call:
    """Insert a call prepared by its first webhook; a repeated webhook gets the existing row instead."""
    connection = session.connection()
    row = connection.execute(_insert_call(connection.dialect.name),
                             {key: getattr(call, key) for key in CALL_COLUMNS}).first()
    if row is None:
        existing = get_call_by_sid(session, call.call_sid)
        if existing is None:
            raise RuntimeError(f"call {call.call_sid} neither inserted nor found")
        return existing
    # One Core INSERT, no unit-of-work flush: the row is now in the session as if it had been loaded,
    # so later changes to the call are flushed as an UPDATE of just those columns.
    call.id = row.id
    make_transient_to_detached(call)
    session.add(call)
    return call


def save_call(session: Session, call_sid: str, caller: str | None, called: str | None, in_hours: bool,
              started_at: datetime) -> Call:
    """Create the call row once; a repeated webhook returns the existing row."""
    return save_new_call(session, Call(call_sid=call_sid, caller=caller, called=called, in_hours=in_hours,
                                       started_at=started_at))


def get_or_create_call(session: Session, call_sid: str, in_hours: bool, now: datetime) -> Call:
    """The call for a mid-flow webhook, created if its first webhook was never recorded."""
    return get_call_by_sid(session, call_sid) or save_call(session, call_sid, None, None, in_hours, now)


@functools.cache
def _insert_step(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING for steps, built once: a repeat is refused by the unique
    (call, request) key in the same statement, with no savepoint or ORM flush on a live call's hot path."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    table = CallStep.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["call_id", "dedupe_key"]).returning(table.c.id)


def save_step(session: Session, call: Call, step: str, key: str, at: datetime, digits: str | None = None,
              detail: str | None = None) -> bool:
    """Record a step once; return False when this exact request was already recorded."""
    if call.id is None:
        session.flush()
    connection = session.connection()
    params = {"call_id": call.id, "step": step, "digits": digits, "detail": detail, "at": at,
              "dedupe_key": key}
    # RETURNING, not rowcount: psycopg reports -1 for an INSERT that SQLAlchemy gave an implicit RETURNING.
    return connection.execute(_insert_step(connection.dialect.name), params).first() is not None


def count_failure(call: Call, reason: str | None) -> None:
    """Count a no-input or invalid key on the call."""
    if reason == "no_input":
        call.no_input_count += 1
    elif reason == "invalid":
        call.invalid_count += 1


def save_route(call: Call, route: str, at: datetime, service: str | None = None) -> None:
    """Set the call's route; the first routing time is kept for time-to-route."""
    call.route = route
    call.service = service or call.service or route
    if call.routed_at is None:
        call.routed_at = at


def save_transfer(call: Call, dial_status: str | None, duration: str | None) -> None:
    """Keep the outcome of the last transfer."""
    call.transfer_status = (dial_status or "unknown")[:32]
    try:
        call.transfer_duration_s = int(duration) if duration not in (None, "") else None
    except ValueError:
        call.transfer_duration_s = None


def save_recording(call: Call, url: str | None, service: str, urgent: bool, at: datetime) -> None:
    """Store the link to a message (never the audio) and route the call to VOICEMAIL."""
    if url:
        call.recording_url = url[:500]
    call.urgent_flag = call.urgent_flag or urgent
    save_route(call, Route.VOICEMAIL, at, service)
    call.service = service


def save_failsafe(session: Session, call_sid: str, caller: str | None, called: str | None, route: str,
                  at: datetime, dial_status: str | None = None) -> Call:
    """Mark a call the fail-safe answered: routed straight to MASH or EDT, counted apart from abandonment."""
    call = get_call_by_sid(session, call_sid) or save_call(session, call_sid, caller, called, route == Route.MASH, at)
    call.failsafe = True
    if call.caller is None and caller:
        call.caller = caller
    if call.route in (None, Route.ABANDONED):
        save_route(call, route, at)
    if dial_status:
        save_transfer(call, dial_status, None)
    session.commit()
    return call


TERMINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def save_call_end(call: Call, call_status: str | None, duration: str | None, at: datetime) -> None:
    """Close the call from Twilio's status callback; no route chosen means ABANDONED."""
    if (call_status or "").strip().lower() not in TERMINAL_STATUSES:
        return  # ringing or in-progress callbacks (if the console sends them) do not end the call
    call.call_status = call_status.strip().lower()
    if call.ended_at is None:
        call.ended_at = at
    try:
        call.duration_s = int(duration) if duration not in (None, "") else call.duration_s
    except ValueError:
        pass
    if call.route is None:
        call.route = Route.ABANDONED


def get_steps(session: Session, call: Call) -> list[CallStep]:
    """The steps of a call in order."""
    return list(session.exec(select(CallStep).where(CallStep.call_id == call.id).order_by(CallStep.id)))
