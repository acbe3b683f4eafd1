"""A message's states: new -> assigned -> called_back -> closed, each step noted, attributed and audited."""
from __future__ import annotations

import logging
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from callbacks.alarm import raise_alert, stop_for_closed
from db.audit import save_audit_event
from db.messages import get_message, save_message_for_call
from db.models import Call, Message, MessageEvent
from db.session import statement_savepoint
from db.users import get_usernames_seeing
from routing.phone import mask_number
from routing.vocabulary import CALLBACK_REQUEST, MESSAGE_STATE_LABELS, MESSAGE_STATES

log = logging.getLogger("messages")

MAX_NOTE = 300
ROLES_SEEING_ALL = ("supervisor", "admin")  # staff see only their own services' inboxes


class MessageError(ValueError):
    """A change of state that cannot be made; the message is fit to show a member of staff."""


@dataclass(frozen=True)
class Move:
    """A checked change: the new state, who the message is assigned to after it, and staff's note."""

    state: str
    assigned_to: str | None
    note: str | None


def _key(value: str | None) -> str:
    """'Called back', 'called-back' and 'called_back' all mean the same state."""
    return re.sub(r"[\s\-]+", "_", (value or "").strip().lower())


def next_states(current: str) -> tuple[str, ...]:
    """The states a message may move to: any later one, or assigned again (to someone else) while assigned."""
    index = MESSAGE_STATES.index(current)
    return MESSAGE_STATES[index:] if current == "assigned" else MESSAGE_STATES[index + 1:]


def check_move(current: str, assigned_to: str | None, state: str, assignee: str | None, note: str | None,
               assignable: Collection[str]) -> Move:
    """Validate a change in canonical form, or raise MessageError: forward only, and assigning names someone
    who sees the inbox (a message already assigned may be given to someone else)."""
    new = _key(state)
    if new not in MESSAGE_STATES:
        raise MessageError(f"Unknown state '{state}'. Use one of: {', '.join(MESSAGE_STATES)}.")
    if MESSAGE_STATES.index(new) < MESSAGE_STATES.index(current):
        raise MessageError(f"A message cannot move back from {MESSAGE_STATE_LABELS[current]} "
                           f"to {MESSAGE_STATE_LABELS[new]}.")
    clean_note = " ".join((note or "").split()) or None
    if clean_note and len(clean_note) > MAX_NOTE:
        raise MessageError(f"The note is too long: keep it under {MAX_NOTE} characters.")
    who = (assignee or "").strip().lower() or None
    if new != "assigned":
        if new == current:
            raise MessageError(f"The message is already {MESSAGE_STATE_LABELS[new]}.")
        if who is not None:
            raise MessageError("Choose a member of staff only when assigning the message.")
        return Move(new, assigned_to, clean_note)
    if who is None:
        raise MessageError("Assigning a message needs the member of staff it is for.")
    if who not in assignable:
        raise MessageError(f"No member of staff called '{who}' sees this inbox.")
    if who == assigned_to and current == "assigned":
        raise MessageError(f"The message is already assigned to {who}.")
    return Move(new, who, clean_note)


def save_state(session: Session, message_id: int, state: str, *, assignee: str | None = None,
               note: str | None = None, actor: str, now: datetime) -> Message:
    """Move a message on, keep who and when with the note, and audit it; all or nothing."""
    found = get_message(session, message_id)
    if found is None:
        raise MessageError(f"No message has the id {message_id}.")
    if not (actor or "").strip():
        raise MessageError("Say who is making the change.")
    message = found[0]
    move = check_move(message.state, message.assigned_to, state, assignee, note,
                      get_usernames_seeing(session, message.service, ROLES_SEEING_ALL))
    old = message.state
    try:
        message.state, message.assigned_to, message.updated_at = move.state, move.assigned_to, now
        session.add(MessageEvent(message_id=message.id, state=move.state, assigned_to=move.assigned_to,
                                 note=move.note, actor=actor.strip(), at=now))
        to = f" (to {move.assigned_to})" if move.state == "assigned" else ""
        if move.state == "closed":
            stop_for_closed(session, message.call_id, now)  # an unaccepted urgent alert stops ringing
        save_audit_event(session, actor.strip(), "message_state", f"message {message.id}: {old} -> {move.state}{to}",
                         at=now)
        session.commit()
    except Exception:
        session.rollback()
        raise
    log.info("message state changed", extra={"event": "message_state", "message_id": message.id,
                                              "state": move.state})
    return message


def receive_message(session: Session, call: Call, settings, now: datetime) -> int | None:
    """A call whose recording arrived puts it in its service's inbox, and an urgent one rings the duty numbers;
    never lets a failure cost the caller their goodbye. No recording (the caller hung up before the tone), no entry."""
    if not call.recording_url or not call.service:
        return None
    message_id = None
    try:
        # If the entry cannot be written, the call's own record of the message is still saved.
        with statement_savepoint(session):
            message_id = save_message_for_call(session, call, now)
    except Exception:
        log.error("could not put a message in the inbox; the call keeps its recording", exc_info=True,
                  extra={"call_sid": call.call_sid, "event": "message_failed", "caller": mask_number(call.caller)})
    if call.urgent_flag:
        # Whether or not the entry was written; once however often Twilio repeats (the step's dedupe key).
        raise_alert(session, call, settings, now)
    return message_id


def receive_callback_request(session: Session, call: Call, service: str, number: str, due_by: datetime,
                             now: datetime) -> int | None:
    """A busy line's caller asked to be called back on this number: the request goes in the service's inbox
    with its target time. Unlike a message, a failure is not swallowed: the caller would wait for nothing."""
    entry = save_message_for_call(session, call, now, service, CALLBACK_REQUEST, number, due_by)
    log.info("callback request taken", extra={"event": "callback_request", "call_sid": call.call_sid,
                                               "message_id": entry})
    return entry
