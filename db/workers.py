"""Query functions for the workers' heartbeats: what GET /health reports."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, text
from sqlmodel import Session, select

from db.models import WorkerHeartbeat


def save_heartbeat(session: Session, worker_id: str, problem: str | None, now: datetime, *,
                   forget_before: datetime) -> None:
    """Record that this worker is alive (and any problem it has), forget long-gone workers, and commit."""
    session.merge(WorkerHeartbeat(worker_id=worker_id, last_seen=now, problem=problem))
    session.exec(delete(WorkerHeartbeat).where(WorkerHeartbeat.last_seen < forget_before))
    session.commit()


def get_worker_health(session: Session, fresh_since: datetime) -> tuple[datetime | None, list[str]]:
    """The newest heartbeat, and the problems fresh workers report; raises when the database does not answer."""
    session.exec(text("SELECT 1")).one()
    last_seen = session.exec(select(func.max(WorkerHeartbeat.last_seen))).one()
    problems = session.exec(select(WorkerHeartbeat.problem).where(
        WorkerHeartbeat.problem.is_not(None), WorkerHeartbeat.last_seen >= fresh_since)).all()
    return last_seen, list(problems)
