"""Query functions for the audit log: sign-ins, status changes, tokens and accounts."""
from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from db.models import AuditEvent


def save_audit_event(session: Session, actor: str, action: str, detail: str | None = None,
                     *, at: datetime) -> AuditEvent:
    """Add an audit-log line to the session (the caller commits it with the change it records)."""
    event = AuditEvent(actor=actor[:128], action=action[:64], detail=detail[:500] if detail else None,
                       at=at)
    session.add(event)
    return event


def get_audit_events(session: Session, limit: int = 200, action: str | None = None) -> list[AuditEvent]:
    """The newest audit-log lines first."""
    query = select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEvent.action == action)
    return list(session.exec(query))

