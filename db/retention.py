"""Query functions for data retention: what is past RETENTION_DAYS, and clearing it while statistics stay."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlmodel import Session

from db.models import Call, Callback, Contact, ContactEvent, Message, MessageEvent

# Callbacks still waiting to go out keep what they need to go; anything else past the cutoff loses it.
PENDING_CALLBACK_STATES = ("scheduled", "sending", "unconfirmed", "checking")
BATCH = 500


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Records that started before this moment are past retention."""
    return now - timedelta(days=days)


def get_old_recordings(session: Session, cutoff: datetime) -> list[tuple[int, str]]:
    """(call id, recording link) of every message older than the cutoff still linked."""
    return list(session.execute(select(Call.id, Call.recording_url)
                                .where(Call.started_at < cutoff, Call.recording_url.is_not(None))).all())


def get_old_outbound_sids(session: Session, cutoff: datetime) -> list[tuple[int, str]]:
    """(callback id, Twilio SID) of every text or call we sent before the cutoff that Twilio may still hold."""
    return list(session.execute(select(Callback.id, Callback.twilio_sid).where(
        Callback.created_at < cutoff, Callback.twilio_sid.is_not(None),
        Callback.state.not_in(PENDING_CALLBACK_STATES))).all())


def get_old_inbound_sids(session: Session, cutoff: datetime) -> list[tuple[int, str]]:
    """(call id, CallSid) of every answered call before the cutoff whose log Twilio may still hold."""
    return list(session.execute(select(Call.id, Call.call_sid).where(
        Call.started_at < cutoff, Call.twilio_log_deleted.is_(False))).all())


def save_recordings_deleted(session: Session, call_ids: list[int]) -> None:
    """Forget the links of recordings deleted at Twilio."""
    for start in range(0, len(call_ids), BATCH):
        session.execute(update(Call).where(Call.id.in_(call_ids[start:start + BATCH]))
                        .values(recording_url=None, recording_deleted=True))


def save_outbound_deleted(session: Session, callback_ids: list[int]) -> None:
    """Forget the SIDs of texts and calls deleted at Twilio (so they are not asked for again)."""
    for start in range(0, len(callback_ids), BATCH):
        session.execute(update(Callback).where(Callback.id.in_(callback_ids[start:start + BATCH]))
                        .values(twilio_sid=None))


def save_inbound_deleted(session: Session, call_ids: list[int]) -> None:
    """Mark the call logs deleted at Twilio."""
    for start in range(0, len(call_ids), BATCH):
        session.execute(update(Call).where(Call.id.in_(call_ids[start:start + BATCH])).values(twilio_log_deleted=True))


def _old(cutoff: datetime) -> dict:
    """Each kind of personal data in our tables: (model, what is past retention, the values that clear it)."""
    done_callback = [Callback.created_at < cutoff, Callback.state.not_in(PENDING_CALLBACK_STATES)]
    return {
        "calls_anonymised": (Call, [Call.started_at < cutoff, or_(Call.caller.is_not(None), Call.text_to.is_not(None))],
                             {"caller": None, "text_to": None}),
        "contacts_anonymised": (Contact, [Contact.created_at < cutoff,
                                          or_(Contact.caller.is_not(None), Contact.reason.is_not(None))],
                                {"caller": None, "reason": None}),
        "contact_notes_cleared": (ContactEvent, [ContactEvent.at < cutoff, ContactEvent.reason.is_not(None)],
                                  {"reason": None}),
        # A callback request's number is the caller's, kept as long as the call's own.
        "callback_numbers_cleared": (Message, [Message.created_at < cutoff, Message.callback_number.is_not(None)],
                                     {"callback_number": None}),
        "message_notes_cleared": (MessageEvent, [MessageEvent.at < cutoff, MessageEvent.note.is_not(None)],
                                  {"note": None}),
        # A callback's number is the caller's; its text and its error may quote the number or the reason.
        "callbacks_anonymised": (Callback, done_callback + [or_(Callback.to_number != "", Callback.body != "",
                                                               Callback.last_error.is_not(None))],
                                 {"to_number": "", "body": "", "last_error": None}),
    }


def save_anonymised(session: Session, cutoff: datetime, dry_run: bool = False) -> dict[str, int]:
    """Clear numbers, message texts, errors and notes past the cutoff; counts per kind (a dry run only counts)."""
    counts = {}
    for kind, (model, where, values) in _old(cutoff).items():
        if dry_run:
            counts[kind] = session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()
        else:
            counts[kind] = session.execute(update(model).where(*where).values(**values)).rowcount
    return counts
