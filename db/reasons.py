"""Query functions for the standard reasons a decision may be sent with."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from db.models import StandardReason

# What a new database starts with; admins add their own and retire these on the /reasons page.
DEFAULT_REASONS = (
    ("school_support", "The school's own support meets the need."),
    ("early_help", "Passed to Early Help."),
    ("below_threshold", "Not a safeguarding concern: see the threshold guide."),
)


def get_reasons(session: Session, now: datetime, *, active_only: bool = True) -> list[StandardReason]:
    """The standard reasons, oldest first; a database that has never had any gets the defaults first."""
    if session.exec(select(func.count()).select_from(StandardReason)).one() == 0:
        # ON CONFLICT DO NOTHING: two first requests at once (the case system's, say) both add them, once.
        # A microsecond apart, so the list keeps the defaults' order.
        connection = session.connection()
        insert = sqlite_insert if connection.dialect.name == "sqlite" else postgresql_insert
        connection.execute(insert(StandardReason.__table__).on_conflict_do_nothing(index_elements=["code"]),
                           [{"code": code, "text": text, "active": True, "created_at": now + timedelta(microseconds=i)}
                            for i, (code, text) in enumerate(DEFAULT_REASONS)])
    query = select(StandardReason).order_by(StandardReason.created_at, StandardReason.code)
    if active_only:
        query = query.where(StandardReason.active.is_(True))
    return list(session.exec(query))


def get_reason(session: Session, code: str | None) -> StandardReason | None:
    """The standard reason with this code, active or retired."""
    return session.get(StandardReason, code) if code else None


def save_reason(session: Session, code: str, text: str, now: datetime) -> StandardReason:
    """Add a standard reason (the caller commits)."""
    reason = StandardReason(code=code, text=text, created_at=now)
    session.add(reason)
    return reason
