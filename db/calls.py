"""Query functions for calls and their steps; every save is safe to repeat."""
from __future__ import annotations

import functools
from datetime import datetime

from sqlalchemy import bindparam
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import make_transient_to_detached
from sqlmodel import Session, select

from db.models import Call, CallStep


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


def get_steps(session: Session, call: Call) -> list[CallStep]:
    """The steps of a call in order."""
    return list(session.exec(select(CallStep).where(CallStep.call_id == call.id).order_by(CallStep.id)))
