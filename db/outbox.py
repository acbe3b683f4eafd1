"""The outbox's queries: claim due callbacks atomically, give them back, and change a row compare-and-set."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from db.alerts import ALERT
from db.models import Callback
from routing.vocabulary import CallbackState

CAS_TRIES = 3
# Urgent alerts first, then the longest due: a backlog of texts never holds up a duty call.
CLAIM_ORDER = (case((Callback.kind == ALERT, 0), else_=1), Callback.due_at, Callback.id)


def _claimable(now: datetime, lease: timedelta, kinds: tuple[str, ...] | None):
    """Due rows (a row left 'sending' goes through a check with Twilio first: `_checkable`)."""
    due = and_(Callback.state == CallbackState.SCHEDULED, Callback.due_at <= now)
    return and_(due, Callback.kind.in_(kinds)) if kinds is not None else due


def _checkable(now: datetime, lease: timedelta):
    """Rows whose last send may or may not have reached Twilio: a send that timed out, a row left 'sending'
    by a worker that died (or could not save 'sent') before its lease ran out, and a check abandoned alike."""
    return or_(Callback.state == "unconfirmed",
               and_(Callback.state == "sending", Callback.claimed_at < now - lease),
               and_(Callback.state == "checking", Callback.updated_at < now - lease))


def _claim_values(worker_id: str, now: datetime) -> dict:
    # A new attempt starts clean: status callbacks of the last attempt no longer match it.
    return {"state": "sending", "claimed_by": worker_id, "claimed_at": now, "attempts": Callback.attempts + 1,
            "twilio_sid": None, "last_status": None, "updated_at": now}


def _claim_postgresql(conn: Connection, values: dict, limit: int, where) -> list[int]:
    """Lock due rows no other worker holds (SKIP LOCKED), then mark them ours, in one transaction."""
    ids = list(conn.execute(select(Callback.id).where(where).order_by(*CLAIM_ORDER)
                            .limit(limit).with_for_update(skip_locked=True)).scalars())
    if ids:
        conn.execute(update(Callback).where(Callback.id.in_(ids)).values(**values))
    return ids


def _claim_sqlite(conn: Connection, values: dict, limit: int, where) -> list[int]:
    """Take SQLite's write lock first (BEGIN IMMEDIATE), then claim each row with a conditional UPDATE."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    candidates = conn.execute(select(Callback.id).where(where).order_by(*CLAIM_ORDER)
                              .limit(limit)).scalars().all()
    claimed = []
    for callback_id in candidates:
        result = conn.execute(update(Callback).where(Callback.id == callback_id, where).values(**values))
        if result.rowcount == 1:
            claimed.append(callback_id)
    return claimed


def _claim(engine: Engine, values: dict, limit: int, where) -> list[int]:
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            ids = _claim_postgresql(conn, values, limit, where)
        else:
            ids = _claim_sqlite(conn, values, limit, where)
        conn.commit()
    return ids


def claim_due(engine: Engine, worker_id: str, now: datetime, *, limit: int = 10, lease: timedelta,
              kinds: tuple[str, ...] | None = None) -> list[int]:
    """Claim up to `limit` due callbacks for this worker; no two workers ever get the same row."""
    return _claim(engine, _claim_values(worker_id, now), limit, _claimable(now, lease, kinds))


def claim_checks(engine: Engine, worker_id: str, now: datetime, *, limit: int = 10,
                 lease: timedelta) -> list[int]:
    """Claim rows whose last send is in doubt, to ask Twilio before anything is sent again.

    claimed_at and attempts stay as they were: they say which attempt is in doubt and since when.
    """
    return _claim(engine, {"state": "checking", "claimed_by": worker_id, "updated_at": now}, limit,
                  _checkable(now, lease))


def known_sids(session: Session, to_number: str) -> set[str]:
    """The Twilio SIDs our rows to this number already hold."""
    return set(session.execute(select(Callback.twilio_sid).where(Callback.to_number == to_number,
                                                              Callback.twilio_sid.is_not(None))).scalars())


def release(engine: Engine, ids: list[int], worker_id: str, now: datetime) -> None:
    """Give back claimed rows this worker will not send (it is stopping), without counting an attempt."""
    if not ids:
        return
    with engine.begin() as conn:
        conn.execute(update(Callback)
                     .where(Callback.id.in_(ids), Callback.state == "sending", Callback.claimed_by == worker_id)
                     .values(state="scheduled", claimed_by=None, claimed_at=None,
                             attempts=Callback.attempts - 1, updated_at=now))


def save_change(session: Session, callback_id: int, decide: Callable[[Callback], dict | None],
                also: Callable[[Session], None] | None = None) -> bool:
    """Apply decide(row)'s new values only if the row has not moved on meanwhile (compare-and-set), then commit;
    `also(session)` runs in the same transaction, again on each try.

    A status callback and the worker that sent the message can race on one row; a plain
    read-modify-write would let the later writer undo the earlier one on either database.
    """
    for _ in range(CAS_TRIES):
        if also is not None:
            also(session)
        row = session.get(Callback, callback_id, populate_existing=True)
        values = decide(row) if row is not None else None
        if values is None:
            session.rollback()
            return False
        same_sid = Callback.twilio_sid.is_(None) if row.twilio_sid is None else Callback.twilio_sid == row.twilio_sid
        # last_status too: an alert accepted (db/alerts.py) between the read and this write must not be undone.
        same_status = (Callback.last_status.is_(None) if row.last_status is None
                       else Callback.last_status == row.last_status)
        result = session.exec(update(Callback).where(Callback.id == callback_id, Callback.state == row.state,
                                                        Callback.attempts == row.attempts, same_sid, same_status)
                              .values(**values))
        if result.rowcount == 1:
            session.commit()
            return True
        session.rollback()
    return False


def save_once(session: Session, callback: Callback) -> Callback | None:
    """Insert an outbox row once: a second insert with the same dedupe key is ignored."""
    try:
        with session.begin_nested():
            session.add(callback)
    except IntegrityError:
        return None
    return callback


def save_cancelled(session: Session, contact_id: int, kinds: tuple[str, ...], why: str, now: datetime) -> None:
    """Cancel a contact's callbacks of these kinds that have not gone yet."""
    session.exec(update(Callback)
                 .where(Callback.contact_id == contact_id, Callback.kind.in_(kinds),
                        Callback.state == CallbackState.SCHEDULED)
                 .values(state=CallbackState.CANCELLED, last_error=why, updated_at=now))


def get_callback_by_sid(session: Session, sid: str) -> Callback | None:
    """The callback Twilio knows by this SID."""
    # session.scalars: this module's select is SQLAlchemy's, whose exec() rows are tuples, not Callbacks.
    return session.scalars(select(Callback).where(Callback.twilio_sid == sid)).first()
