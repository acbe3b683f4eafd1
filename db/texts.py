"""Query functions for the texts that went to a number: the daily limit's count."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from db.models import Callback

# Texts Twilio accepted or may have accepted (unconfirmed, checking, uncertain: a send whose answer never came).
WENT = ("sent", "delivered", "unconfirmed", "checking", "uncertain")


def count_texts_to(session: Session, number: str, start: datetime, end: datetime, callback_id: int) -> int:
    """Texts to a number claimed in [start, end) that went or may still go, besides this one."""
    # A row still 'sending' counts only if older: of two sent at once the newer gives way, so two
    # workers cannot each see two and both send a fourth.
    went = or_(Callback.state.in_(WENT),
               and_(Callback.state == "failed", Callback.twilio_sid.is_not(None)),  # accepted, then undelivered
               and_(Callback.state == "sending", Callback.id < callback_id))
    query = (select(func.count()).select_from(Callback)
             .where(Callback.to_number == number, Callback.channel == "sms", Callback.id != callback_id,
                    Callback.claimed_at >= start, Callback.claimed_at < end, went))
    return session.execute(query).scalar_one()
