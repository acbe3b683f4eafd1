"""Query functions for urgent alerts: the steps still escalating, who accepted an alert, and stopping it."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlmodel import Session

from db.models import Call, Callback, Message, School
from routing.vocabulary import CallbackState

ALERT = "urgent_alert"
CLOSED = "closed"


def _still_open():
    """An alert escalates until a duty number accepts it or staff close its message (a fail-safe call has none)."""
    return and_(Call.alert_acknowledged_at.is_(None), or_(Message.id.is_(None), Message.state != CLOSED))


def get_escalating_steps(session: Session, limit: int) -> list[Callback]:
    """The latest voice step of each alert still open: the worker decides whether the next step is due."""
    latest = (select(Callback.call_id, func.max(Callback.alert_step).label("step"))
              .where(Callback.kind == ALERT, Callback.channel == "voice").group_by(Callback.call_id).subquery())
    query = (select(Callback).join(latest, and_(Callback.call_id == latest.c.call_id,
                                                Callback.alert_step == latest.c.step))
             .join(Call, Call.id == Callback.call_id).join(Message, Message.call_id == Call.id, isouter=True)
             .where(Callback.kind == ALERT, Callback.channel == "voice", _still_open())
             .order_by(Callback.call_id).limit(limit))
    return list(session.execute(query).scalars())


def get_calls_wanting_first_alert(session: Session, since: datetime, settled_before: datetime, *,
                                  answered: frozenset[str], over: frozenset[str], limit: int) -> list[int]:
    """Calls since `since` that should have rung the duty numbers but have no alert step yet: an urgent message
    recorded, or a fail-safe call over unanswered (ended before `settled_before`, so its dial status is saved)."""
    has_alert = select(Callback.id).where(Callback.call_id == Call.id, Callback.kind == ALERT).exists()
    urgent = and_(Call.urgent_flag.is_(True), Call.recording_url.is_not(None))
    unanswered = and_(Call.failsafe.is_(True), Call.call_status.in_(over), Call.ended_at <= settled_before,
                      or_(Call.transfer_status.is_(None), Call.transfer_status.not_in(answered)))
    query = (select(Call.id).join(Message, Message.call_id == Call.id, isouter=True)
             .where(Call.started_at >= since, or_(urgent, unanswered), _still_open(), ~has_alert)
             .order_by(Call.id).limit(limit))
    return list(session.execute(query).scalars())


def is_alert_open(session: Session, call_id: int) -> bool:
    """Whether the alert about this call still wants a duty number to accept it."""
    query = (select(Call.id).join(Message, Message.call_id == Call.id, isouter=True)
             .where(Call.id == call_id, _still_open()))
    return session.execute(query).first() is not None


def get_alert_calls(session: Session, call_id: int) -> tuple[int, int]:
    """(steps queued, duty calls placed) of this call's alert; a step cancelled unsent placed no call."""
    query = select(func.count(Callback.id), func.count(Callback.twilio_sid)).where(
        Callback.call_id == call_id, Callback.kind == ALERT, Callback.channel == "voice")
    queued, placed = session.execute(query).one()
    return int(queued), int(placed)


def get_alert_subject(session: Session, call_id: int) -> tuple[Call, Message | None, str | None]:
    """The call an alert is about, its message if it left one, and its school's name if known."""
    query = (select(Call, Message, School.name).join(Message, Message.call_id == Call.id, isouter=True)
             .join(School, School.urn == Call.school_urn, isouter=True).where(Call.id == call_id))
    return tuple(session.execute(query).one())


def save_acknowledgement(session: Session, callback: Callback, accepted: str, now: datetime) -> bool:
    """Mark the alert call accepted (while in flight), and record on the call the first duty number that accepted
    it (later presses change nothing); True if this was the first."""
    call_id, number = callback.call_id, callback.to_number
    result = session.exec(update(Call).where(Call.id == call_id, Call.alert_acknowledged_at.is_(None))
                          .values(alert_acknowledged_at=now, alert_acknowledged_by=number[:20]))
    if result.rowcount != 1:
        return False  # a later press: this number's row records no acceptance
    session.exec(update(Callback).where(Callback.id == callback.id, Callback.state.in_(CallbackState.IN_FLIGHT))
                 .values(last_status=accepted, updated_at=now))
    return True


def save_alert_cancelled(session: Session, call_id: int, why: str, now: datetime, *,
                         before_step: int | None = None) -> None:
    """Cancel an alert's steps not yet sent: all of them, or only those before a step (superseded by it)."""
    where = [Callback.call_id == call_id, Callback.kind == ALERT, Callback.state == CallbackState.SCHEDULED]
    if before_step is not None:
        where.append(Callback.alert_step < before_step)
    session.exec(update(Callback).where(*where).values(state=CallbackState.CANCELLED, last_error=why, updated_at=now))


def get_alert_times(session: Session, start: datetime, end: datetime) -> list[tuple[datetime, datetime | None]]:
    """(raised, accepted or None) of each urgent alert raised in [start, end): its first step's time."""
    query = (select(Callback.created_at, Call.alert_acknowledged_at).join(Call, Call.id == Callback.call_id)
             .where(Callback.kind == ALERT, Callback.alert_step == 0, Callback.channel == "voice",
                    Callback.created_at >= start, Callback.created_at < end))
    return [tuple(row) for row in session.execute(query)]
