"""Data retention: past RETENTION_DAYS, drop recording links and caller numbers, keep the statistics."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import String, cast, or_, select, update
from sqlalchemy.engine import Engine

from db.models import Call, Callback, Contact, Trial, TrialAssignment
from db.session import session_scope

log = logging.getLogger(__name__)
# Callbacks still waiting to go out keep their number; anything else past the cutoff loses it.
PENDING_CALLBACK_STATES = ("scheduled", "sending")
ANON_PREFIX = "anon-"


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Records that started before this moment are past retention."""
    return now - timedelta(days=days)


def run_retention(engine: Engine, settings, now: datetime) -> dict:
    """Delete recording links and anonymise caller numbers older than settings.retention_days.

    Routes, times, schools, steps, contacts and their outcomes stay, so every statistic still adds up.
    Safe to run repeatedly: a second run the same day changes nothing.
    """
    cutoff = retention_cutoff(now, settings.retention_days)
    with session_scope(engine) as session:
        recordings = session.execute(
            update(Call).where(Call.started_at < cutoff, Call.recording_url.is_not(None))
            .values(recording_url=None, recording_deleted=True)
        ).rowcount
        calls = session.execute(
            update(Call).where(Call.started_at < cutoff, Call.caller.is_not(None)).values(caller=None)
        ).rowcount
        contacts = session.execute(
            update(Contact).where(Contact.created_at < cutoff, Contact.caller.is_not(None)).values(caller=None)
        ).rowcount
        # A callback goes to the number the contact came from: that is the caller's number too.
        callbacks = session.execute(
            update(Callback).where(Callback.created_at < cutoff, Callback.to_number != "",
                                   Callback.state.not_in(PENDING_CALLBACK_STATES))
            .values(to_number="")
        ).rowcount
        # Sticky trial variants are keyed by caller number, needed only while the trial runs; the row
        # stays (trial counts add up) with a token that cannot be traced back to the caller.
        ended = select(Trial.id).where(or_(Trial.ends_at < cutoff, Trial.stopped_at < cutoff))
        assignments = session.execute(
            update(TrialAssignment)
            .where(TrialAssignment.trial_id.in_(ended), TrialAssignment.caller.not_like(f"{ANON_PREFIX}%"))
            .values(caller=ANON_PREFIX + cast(TrialAssignment.id, String))
        ).rowcount
    result = {
        "cutoff": cutoff.isoformat(),
        "recordings_deleted": recordings,
        "calls_anonymised": calls,
        "contacts_anonymised": contacts,
        "callbacks_anonymised": callbacks,
        "trial_assignments_anonymised": assignments,
    }
    log.info("retention run", extra={"event": "retention", **result})
    return result
