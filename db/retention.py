"""Data retention: past RETENTION_DAYS, delete recordings and caller numbers, keep the statistics."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from db.models import Call, Callback, Contact
from db.session import session_scope

log = logging.getLogger(__name__)
# Callbacks still waiting to go out keep their number; anything else past the cutoff loses it.
PENDING_CALLBACK_STATES = ("scheduled", "sending")
RECORDING_SID = re.compile(r"/Recordings/(RE[0-9a-fA-F]{32})")
BATCH = 500


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Records that started before this moment are past retention."""
    return now - timedelta(days=days)


def twilio_recording_deleter(settings) -> Callable[[str], None]:
    """Delete the audio behind a recording link at Twilio (TWILIO_API_BASE_URL); already gone counts as deleted."""
    from twilio.base.exceptions import TwilioRestException

    from callbacks.sender import make_client

    client = make_client(settings)

    def delete(url: str) -> None:
        match = RECORDING_SID.search(url)
        if match is None:
            return  # not a Twilio recording: the link is all there is to delete
        try:
            client.recordings(match.group(1)).delete()
        except TwilioRestException as exc:
            if exc.status != 404:
                raise

    return delete


def _delete_recordings(engine: Engine, cutoff: datetime, delete: Callable[[str], None]) -> tuple[list[int], int]:
    """Delete old recordings at Twilio; returns the calls whose audio is gone and how many must wait a day."""
    with session_scope(engine) as session:
        old = session.execute(select(Call.id, Call.recording_url)
                              .where(Call.started_at < cutoff, Call.recording_url.is_not(None))).all()
    gone, kept = [], 0
    for call_id, url in old:
        try:
            delete(url)
            gone.append(call_id)
        except Exception as exc:  # Twilio down or refusing: keep the link so tomorrow's run tries again
            kept += 1
            log.warning("recording not deleted; will retry at the next run", extra={
                "event": "retention_recording_kept", "call_id": call_id, "error": type(exc).__name__})
    return gone, kept


def run_retention(engine: Engine, settings, now: datetime,
                  delete_recording: Callable[[str], None] | None = None) -> dict:
    """Delete recordings (audio at Twilio, then the link) and anonymise caller numbers past settings.retention_days.

    Routes, times, schools, steps, contacts and their outcomes stay, so every statistic still adds up.
    Safe to run repeatedly: a second run the same day changes nothing.
    """
    cutoff = retention_cutoff(now, settings.retention_days)
    gone, kept = _delete_recordings(engine, cutoff, delete_recording or twilio_recording_deleter(settings))
    with session_scope(engine) as session:
        for start in range(0, len(gone), BATCH):
            session.execute(update(Call).where(Call.id.in_(gone[start:start + BATCH]))
                            .values(recording_url=None, recording_deleted=True))
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
    result = {
        "cutoff": cutoff.isoformat(),
        "recordings_deleted": len(gone),
        "recordings_kept_for_retry": kept,
        "calls_anonymised": calls,
        "contacts_anonymised": contacts,
        "callbacks_anonymised": callbacks,
    }
    log.info("retention run", extra={"event": "retention", **result})
    return result
