"""Query functions for the message inbox: an entry per recorded message, its history, and who sees it."""
from __future__ import annotations

import functools
from collections.abc import Collection
from datetime import date, datetime

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from db.daily_stats import day_bounds
from db.models import Call, Message, MessageEvent, School

MessageRow = tuple  # (Message, Call, school name or None)


@functools.cache
def _insert_message(dialect: str):
    """INSERT ... ON CONFLICT (call_id) DO NOTHING, built once: a repeated recording webhook adds no second entry."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    table = Message.__table__
    return insert(table).on_conflict_do_nothing(index_elements=["call_id"]).returning(table.c.id)


def save_message_for_call(session: Session, call: Call, now: datetime, service: str | None = None,
                          kind: str = "message", callback_number: str | None = None,
                          due_by: datetime | None = None, urgent: bool | None = None) -> int | None:
    """Put the call's message (or callback request) in its service's inbox, once; the new entry's id, or None if
    the call already had one. Urgent as the call is, unless said."""
    connection = session.connection()
    values = {"call_id": call.id, "service": service or call.service,
              "urgent": call.urgent_flag if urgent is None else urgent, "created_at": now,
              "state": "new", "assigned_to": None, "updated_at": now, "kind": kind,
              "callback_number": callback_number, "due_by": due_by}
    row = connection.execute(_insert_message(connection.dialect.name), values).first()
    return row.id if row is not None else None


def _message_rows():
    return (select(Message, Call, School.name).join(Call, Call.id == Message.call_id)
            .join(School, School.urn == Call.school_urn, isouter=True))


def get_messages(session: Session, services: Collection[str] | None, states: Collection[str],
                 limit: int | None = None) -> list[MessageRow]:
    """(message, call, school name) in these states, oldest first; of these services only, unless None (all)."""
    query = _message_rows().where(Message.state.in_(tuple(states)))
    if services is not None:
        query = query.where(Message.service.in_(tuple(services)))
    return list(session.exec(query.order_by(Message.created_at, Message.id).limit(limit)))


def get_message(session: Session, message_id: int) -> MessageRow | None:
    """(message, call, school name) of one inbox entry, if it exists."""
    return session.exec(_message_rows().where(Message.id == message_id)).first()


def get_message_events(session: Session, message_id: int) -> list[MessageEvent]:
    """A message's changes of state, oldest first, each with who made it and when."""
    return list(session.exec(select(MessageEvent).where(MessageEvent.message_id == message_id)
                             .order_by(MessageEvent.at, MessageEvent.id)))


def get_message_actions(session: Session, start: datetime, end: datetime) -> list[tuple]:
    """(service, state, seconds from the message to its first change of state, or None) of messages left in
    [start, end)."""
    # The type is kept through the subquery, so SQLite gives back aware datetimes too.
    first = (select(MessageEvent.message_id, func.min(MessageEvent.at, type_=MessageEvent.__table__.c.at.type)
                    .label("first_at"))
             .group_by(MessageEvent.message_id).subquery())
    rows = session.exec(select(Message.service, Message.state, Message.created_at, first.c.first_at)
                        .join(first, first.c.message_id == Message.id, isouter=True)
                        .where(Message.created_at >= start, Message.created_at < end,
                               Message.kind == "message"))  # callback requests are their own measure
    return [(service, state, (first_at - created).total_seconds() if first_at is not None else None)
            for service, state, created, first_at in rows]


def get_callback_request_times(session: Session, first: date, last: date) -> list[tuple[datetime, datetime | None]]:
    """(asked at, first called back at or None) of each busy line's callback request made on London days [first, last];
    an urgent one is a fail-safe call no one answered (callbacks/alarm.py), not a busy line's."""
    start, end = day_bounds(first, last)
    called_back = (select(MessageEvent.message_id, func.min(MessageEvent.at, type_=MessageEvent.__table__.c.at.type)
                          .label("at"))
                   .where(MessageEvent.state == "called_back").group_by(MessageEvent.message_id).subquery())
    rows = session.exec(select(Message.created_at, called_back.c.at)
                        .join(called_back, called_back.c.message_id == Message.id, isouter=True)
                        .where(Message.kind == "callback_request", Message.urgent.is_(False),
                               Message.created_at >= start, Message.created_at < end))
    return [tuple(row) for row in rows]
