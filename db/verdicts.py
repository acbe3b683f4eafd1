"""Query functions for DSLs' verdicts: "did this answer your question?" after a status callback or option 4."""
from __future__ import annotations

import functools
from datetime import datetime
from typing import Mapping

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from db.models import Verdict

CALLBACK = "callback"  # source_id: Callback.id
STATUS_CHECK = "status_check"  # source_id: Call.id
ANSWERED = "answered"
NEEDS_MORE = "needs_more"


@functools.cache
def _insert_verdict(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING, built once: a repeated webhook asks no second question."""
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    return insert(Verdict.__table__).on_conflict_do_nothing(index_elements=["source", "source_id"])


def save_verdict_asked(session: Session, source: str, source_id: int, contact_id: int | None, now: datetime) -> None:
    """Record that the question was put, once per callback or per inbound call."""
    connection = session.connection()
    connection.execute(_insert_verdict(connection.dialect.name),
                       {"source": source, "source_id": source_id, "contact_id": contact_id, "asked_at": now,
                        "answer": None, "answered_at": None})


def save_verdict_answer(session: Session, source: str, source_id: int, answer: str, now: datetime) -> bool:
    """Record the key pressed; the first answer stands (a repeated webhook or a second press changes nothing)."""
    result = session.connection().execute(
        update(Verdict.__table__)
        .where(Verdict.source == source, Verdict.source_id == source_id, Verdict.answer.is_(None))
        .values(answer=answer, answered_at=now))
    return result.rowcount == 1


def get_verdict_answers(session: Session, start: datetime, end: datetime) -> dict[str, int]:
    """Questions asked in [start, end) by answer ("" when no key was pressed)."""
    query = (select(Verdict.answer, func.count()).where(Verdict.asked_at >= start, Verdict.asked_at < end)
             .group_by(Verdict.answer))
    return {answer or "": int(n) for answer, n in session.exec(query)}


def verdict_counts(answers: Mapping[str, int]) -> dict:
    """The callback_verdict figure from questions by answer; rate is answered_yes / asked."""
    asked = sum(answers.values())
    yes, more = answers.get(ANSWERED, 0), answers.get(NEEDS_MORE, 0)
    return {"asked": asked, "answered_yes": yes, "needs_more": more,
            "rate": round(yes / asked, 4) if asked else None}


def get_verdict_counts(session: Session, start: datetime, end: datetime) -> dict:
    """Questions asked in [start, end), and how they were answered."""
    return verdict_counts(get_verdict_answers(session, start, end))
