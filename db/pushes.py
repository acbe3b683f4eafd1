"""Query functions for the pushes to the case system's webhook: queue each event once, claim, settle."""
from __future__ import annotations

import functools
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from db.models import CasePush, Contact, PushCursor

PENDING, SENDING, DELIVERED, FAILED = "pending", "sending", "delivered", "failed"
PUSH_STATES = (PENDING, SENDING, DELIVERED, FAILED)


@functools.cache
def _insert_push(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING on the event's key: two workers, or a retried change, queue it once."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    return insert(CasePush.__table__).on_conflict_do_nothing(index_elements=["event_key"])


def save_push(session: Session, event_key: str, kind: str, contact_id: int, body: str, now: datetime) -> None:
    """Queue one push, due now, unless its event is queued already (not committed: the caller's transaction)."""
    connection = session.connection()
    connection.execute(_insert_push(connection.dialect.name),
                       {"event_key": event_key, "kind": kind, "contact_id": contact_id, "body": body,
                        "state": PENDING, "attempts": 0, "due_at": now, "created_at": now})


def get_push_cursor(session: Session) -> int | None:
    """The id of the newest contact already queued (None: the pushes have never run)."""
    return session.exec(select(PushCursor.contact_id).where(PushCursor.id == 1)).first()


def save_push_cursor(session: Session, contact_id: int) -> None:
    """Move the cursor on to this contact (never back: another worker may have gone further)."""
    connection = session.connection()
    insert = sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert
    # Two workers' first looks at once: one row, the first's.
    connection.execute(insert(PushCursor.__table__).on_conflict_do_nothing(index_elements=["id"]),
                       {"id": 1, "contact_id": contact_id})
    session.execute(update(PushCursor).where(PushCursor.id == 1, PushCursor.contact_id < contact_id)
                    .values(contact_id=contact_id))


def get_newest_contact_id(session: Session) -> int:
    return session.exec(select(func.max(Contact.id))).one() or 0


def save_claimed_pushes(session: Session, worker_id: str, now: datetime, lease: timedelta, limit: int) -> list[CasePush]:
    """Claim up to `limit` due pushes for this worker, and those a stopped worker held past its lease; committed.

    One UPDATE: on PostgreSQL a second worker's claim of the same row waits for the first, then finds it taken.
    """
    due = or_(and_(CasePush.state == PENDING, CasePush.due_at <= now),
              and_(CasePush.state == SENDING, CasePush.claimed_at < now - lease))
    candidates = select(CasePush.id).where(due).order_by(CasePush.due_at, CasePush.id).limit(limit)
    session.execute(update(CasePush).where(CasePush.id.in_(candidates.scalar_subquery()), due)
                    .values(state=SENDING, claimed_by=worker_id, claimed_at=now, attempts=CasePush.attempts + 1))
    session.commit()
    return list(session.exec(select(CasePush).where(CasePush.state == SENDING, CasePush.claimed_by == worker_id,
                                                    CasePush.claimed_at == now).order_by(CasePush.id)))


def save_push_outcome(session: Session, push_id: int, worker_id: str, now: datetime, error: str | None,
                      retry_at: datetime | None) -> None:
    """Settle a claimed push: delivered (no error), pending again at retry_at, or failed (no retry_at)."""
    if error is None:
        values = {"state": DELIVERED, "delivered_at": now, "last_error": None}
    else:
        values = {"state": PENDING if retry_at else FAILED, "due_at": retry_at or now, "last_error": error[:200]}
    session.execute(update(CasePush).where(CasePush.id == push_id, CasePush.claimed_by == worker_id,
                                           CasePush.state == SENDING).values(claimed_by=None, **values))
    session.commit()


def get_push_counts(session: Session) -> dict[str, int]:
    """Pushes by state, every state listed."""
    counts = dict(session.exec(select(CasePush.state, func.count()).group_by(CasePush.state)).all())
    return {state: int(counts.get(state, 0)) for state in PUSH_STATES}


def get_recent_pushes(session: Session, limit: int = 100) -> list[tuple[CasePush, str]]:
    """The newest pushes with their contact's reference, newest first."""
    return list(session.exec(select(CasePush, Contact.reference).join(Contact, Contact.id == CasePush.contact_id)
                             .order_by(CasePush.id.desc()).limit(limit)))
