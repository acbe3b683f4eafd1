""""Call back" on a callback request: ring the member of staff's own phone, which then dials the caller; how it
went is noted on the request, and an answered call back moves it to called back."""
from __future__ import annotations

import logging
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app, url_for
from sqlmodel import Session

from callbacks.sender import RING_TIMEOUT_S, make_client
from db.audit import save_audit_event
from db.messages import get_message
from db.models import Message, MessageEvent, User
from messages.states import MessageError
from routing.vocabulary import CALL_BACK_OUTCOME_LABELS, CALLBACK_REQUEST

log = logging.getLogger("messages.call_back")

# Twilio's DialCallStatus for the leg to the caller, as an outcome; anything unknown counts as failed.
DIAL_OUTCOMES = {"completed": "answered", "answered": "answered", "busy": "busy", "no-answer": "no-answer"}
# The member of staff's own phone did not take the call: the caller was never dialled.
STAFF_MISSED = frozenset({"busy", "no-answer", "failed", "canceled"})
CALLED_BACK_FROM = ("new", "assigned")  # an answered call back moves these on; a later state stays


def dial_outcome(dial_status: str | None) -> str:
    """How the call to the caller ended, in the inbox's words."""
    return DIAL_OUTCOMES.get((dial_status or "").strip().lower(), "failed")


def callable_request(session: Session, message_id: int) -> Message:
    """The callback request to ring back, or MessageError saying why it cannot be."""
    found = get_message(session, message_id)
    message = found[0] if found else None
    if message is None or message.kind != CALLBACK_REQUEST:
        raise MessageError("Only a callback request can be called back.")
    if message.state == "closed":
        raise MessageError("This request is closed.")
    if not message.callback_number:
        raise MessageError("This request's number has been cleared.")
    return message


def webhook_url(settings, endpoint: str, **values) -> str:
    """One of our webhooks as Twilio will sign it: at PUBLIC_BASE_URL when set, else where this request came."""
    if not settings.public_base_url:
        return url_for(endpoint, _external=True, **values)
    base = urlsplit(settings.public_base_url)
    return current_app.url_map.bind(base.netloc, url_scheme=base.scheme).build(endpoint, values, force_external=True)


def place_call_back(session: Session, message_id: int, user: User, settings, now: datetime) -> str:
    """Ring the member of staff's own phone; when they answer, Twilio fetches our TwiML, which dials the caller.
    Twilio's CallSid, or MessageError (no phone on the account, not a callback request, closed, no number)."""
    message = callable_request(session, message_id)
    if not user.phone:
        raise MessageError("Your account has no phone to ring. Ask an administrator to add one "
                           "(ivr users set-phone NAME NUMBER).")
    urls = {"message_id": message.id, "user": user.id}
    call = make_client(settings).calls.create(
        to=user.phone, from_=settings.twilio_phone_number, url=webhook_url(settings, "call_back.answered", **urls),
        method="POST", status_callback=webhook_url(settings, "call_back.status", **urls),
        status_callback_method="POST", status_callback_event=["completed"], timeout=RING_TIMEOUT_S)
    save_audit_event(session, user.username, "message_call_back", f"message {message.id}: ringing {user.username}",
                     at=now)
    session.commit()
    log.info("call back placed", extra={"event": "call_back_placed", "message_id": message.id})
    return call.sid


def save_call_back_outcome(session: Session, message_id: int, outcome: str, actor: str, now: datetime) -> Message:
    """Note how a call back went, by whom; answered moves the request to called back. All or nothing."""
    message = callable_request(session, message_id) if outcome in CALL_BACK_OUTCOME_LABELS else None
    if message is None:
        raise MessageError(f"Unknown outcome {outcome!r}.")
    old = message.state
    if outcome == "answered" and old in CALLED_BACK_FROM:
        message.state, message.updated_at = "called_back", now
    session.add(MessageEvent(message_id=message.id, state=message.state, assigned_to=message.assigned_to,
                             actor=actor, at=now, outcome=outcome))
    save_audit_event(session, actor, "message_call_back", f"message {message.id}: {outcome}"
                     + (f", {old} -> {message.state}" if message.state != old else ""), at=now)
    session.commit()
    return message
