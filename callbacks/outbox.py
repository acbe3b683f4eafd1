"""The outbox: claim due callbacks atomically, record what was sent, and follow Twilio's status callbacks."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import and_, or_, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from callbacks import schedule
from db.models import Callback

LEASE = timedelta(minutes=5)
DELIVERED_CALL = frozenset({"completed"})
UNANSWERED_CALL = frozenset({"busy", "no-answer", "failed", "canceled"})
DELIVERED_SMS = frozenset({"delivered"})
FAILED_SMS = frozenset({"undelivered", "failed"})
# Rows a status callback may still change: the attempt in flight (a status callback also settles a send in doubt).
IN_FLIGHT = ("sending", "sent", "unconfirmed", "checking")
CAS_TRIES = 3


def _claimable(now: datetime, lease: timedelta, kinds: tuple[str, ...] | None):
    """Due rows (a row left 'sending' goes through a check with Twilio first: `_checkable`)."""
    due = and_(Callback.state == "scheduled", Callback.due_at <= now)
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
    ids = list(conn.execute(select(Callback.id).where(where).order_by(Callback.due_at, Callback.id)
                            .limit(limit).with_for_update(skip_locked=True)).scalars())
    if ids:
        conn.execute(update(Callback).where(Callback.id.in_(ids)).values(**values))
    return ids


def _claim_sqlite(conn: Connection, values: dict, limit: int, where) -> list[int]:
    """Take SQLite's write lock first (BEGIN IMMEDIATE), then claim each row with a conditional UPDATE."""
    conn.exec_driver_sql("BEGIN IMMEDIATE")
    candidates = conn.execute(select(Callback.id).where(where).order_by(Callback.due_at, Callback.id)
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


def claim_due(engine: Engine, worker_id: str, now: datetime, *, limit: int = 10, lease: timedelta = LEASE,
              kinds: tuple[str, ...] | None = None) -> list[int]:
    """Claim up to `limit` due callbacks for this worker; no two workers ever get the same row."""
    return _claim(engine, _claim_values(worker_id, now), limit, _claimable(now, lease, kinds))


def claim_checks(engine: Engine, worker_id: str, now: datetime, *, limit: int = 10,
                 lease: timedelta = LEASE) -> list[int]:
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


def save_change(session: Session, callback_id: int, decide: Callable[[Callback], dict | None]) -> bool:
    """Apply decide(row)'s new values only if the row has not moved on meanwhile (compare-and-set), then commit.

    A status callback and the worker that sent the message can race on one row; a plain
    read-modify-write would let the later writer undo the earlier one on either database.
    """
    for _ in range(CAS_TRIES):
        row = session.get(Callback, callback_id, populate_existing=True)
        values = decide(row) if row is not None else None
        if values is None:
            session.rollback()
            return False
        same_sid = Callback.twilio_sid.is_(None) if row.twilio_sid is None else Callback.twilio_sid == row.twilio_sid
        result = session.exec(update(Callback).where(Callback.id == callback_id, Callback.state == row.state,
                                                        Callback.attempts == row.attempts, same_sid).values(**values))
        if result.rowcount == 1:
            session.commit()
            return True
        session.rollback()
    return False


def sent(worker_id: str, sid: str, now: datetime) -> Callable[[Callback], dict | None]:
    """Twilio accepted it: 'sent', unless a status callback that came first already moved the row on."""
    def decide(row: Callback) -> dict | None:
        if row.state == "sending" and row.claimed_by == worker_id:
            return {"state": "sent", "twilio_sid": row.twilio_sid or sid, "last_status": row.last_status or "queued",
                    "updated_at": now}
        return {"twilio_sid": sid, "updated_at": now} if row.twilio_sid is None else None
    return decide


def not_sent(error: str, transient: bool, hours, now: datetime) -> Callable[[Callback], dict | None]:
    """Sending failed: try again later for a passing fault (within the attempt limit), else fail."""
    def decide(row: Callback) -> dict | None:
        if row.state != "sending":
            return None
        retry = schedule.retry_at(hours, row.attempts, now) if transient else None
        values = {"last_error": error[:500], "updated_at": now}
        if retry is None:
            return values | {"state": "failed"}
        return values | {"state": "scheduled", "due_at": retry, "claimed_by": None, "claimed_at": None}
    return decide


def held(error: str, until: datetime, now: datetime) -> Callable[[Callback], dict | None]:
    """Twilio refused our credentials: keep the row for later, without counting the attempt against it."""
    def decide(row: Callback) -> dict | None:
        if row.state != "sending":
            return None
        return {"state": "scheduled", "due_at": until, "claimed_by": None, "claimed_at": None,
                "attempts": row.attempts - 1, "last_error": error[:500], "updated_at": now}
    return decide


def _is_current(row: Callback, sid: str | None, attempt: int | None) -> bool:
    """A status callback counts only for the attempt in flight (repeats and earlier attempts are ignored)."""
    return (row.state in IN_FLIGHT and (attempt is None or attempt == row.attempts)
            and (row.twilio_sid is None or row.twilio_sid == sid))


HEARD_BY_PERSON = "heard: a person pressed for the update"
MACHINE_MESSAGE = "heard: the reference was left"
HEARD = (HEARD_BY_PERSON, MACHINE_MESSAGE)


def heard(how: str, sid: str | None, attempt: int | None, now: datetime) -> Callable[[Callback], dict | None]:
    """The call's TwiML reached the point that makes it delivered: a person pressed, or the machine message."""
    def decide(row: Callback) -> dict | None:
        if not _is_current(row, sid, attempt) or row.last_status == HEARD_BY_PERSON:
            return None  # a person's press is never downgraded by a later replay of the short message
        return {"last_status": how, "twilio_sid": sid or row.twilio_sid, "updated_at": now}
    return decide


def call_status(status: str, answered_by: str | None, sid: str | None, attempt: int | None, hours,
                now: datetime) -> Callable[[Callback], dict | None]:
    """A voice callback's status: delivered only once heard; a fax fails; otherwise retry within hours, or fail."""
    status = (status or "").strip().lower()
    answered_by = (answered_by or "").strip().lower() or None

    def decide(row: Callback) -> dict | None:
        if not _is_current(row, sid, attempt):
            return None
        values = {"twilio_sid": sid or row.twilio_sid, "updated_at": now,
                  "last_status": f"{status} ({answered_by})" if answered_by else status}
        if status in DELIVERED_CALL and answered_by == "fax":
            return values | {"state": "failed", "last_error": "a fax machine answered"}
        if status in DELIVERED_CALL and row.last_status in HEARD:
            return values | {"state": "delivered", "last_status": f"{values['last_status']}, {row.last_status}"}
        if status not in UNANSWERED_CALL and status not in DELIVERED_CALL:
            return values  # ringing, in progress: not the end yet
        retry = schedule.retry_at(hours, row.attempts, now)
        unheard = "answered, but the update was not heard" if status in DELIVERED_CALL else status
        if retry is None:
            return values | {"state": "failed", "last_error": f"{unheard} after {row.attempts} attempts"}
        return values | {"state": "scheduled", "due_at": retry, "claimed_by": None, "claimed_at": None,
                         "last_error": unheard}
    return decide


def message_status(status: str, sid: str | None, attempt: int | None, error_code: str | None,
                   now: datetime) -> Callable[[Callback], dict | None]:
    """An SMS's status: delivered, or undelivered/failed with Twilio's error code."""
    status = (status or "").strip().lower()

    def decide(row: Callback) -> dict | None:
        if not _is_current(row, sid, attempt):
            return None
        values = {"twilio_sid": sid or row.twilio_sid, "last_status": status, "updated_at": now}
        if status in DELIVERED_SMS:
            return values | {"state": "delivered"}
        if status in FAILED_SMS:
            error = f"{status} (Twilio error {error_code})" if error_code else status
            return values | {"state": "failed", "last_error": error}
        return values
    return decide
