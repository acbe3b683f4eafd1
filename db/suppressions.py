"""Query functions for numbers that must not be texted again (they unsubscribed at Twilio)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session

from db.models import SmsSuppression


def is_suppressed(session: Session, number: str) -> bool:
    """Whether texts to this number are stopped."""
    return session.get(SmsSuppression, number) is not None


def save_suppression(session: Session, number: str, reason: str, now: datetime) -> None:
    """Stop texts to a number (once: a second unsubscribe changes nothing); the caller commits."""
    insert = sqlite_insert if session.connection().dialect.name == "sqlite" else postgresql_insert
    session.execute(insert(SmsSuppression).values(number=number, reason=reason[:200], since=now)
                    .on_conflict_do_nothing())
