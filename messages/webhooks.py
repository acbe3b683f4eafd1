"""Twilio's webhooks for "Call back": the member of staff answered (dial the caller), how the dial ended, and
the staff phone's status. Signed /voice/... routes like every other."""
from __future__ import annotations

import functools
import logging

from flask import Blueprint, request, url_for
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import RequestEntityTooLarge

from db.session import get_write_session
from db.users import get_user
from ivr import line_settings, webhook
from ivr.clock import app_now
from ivr.twilio_auth import twilio_signed
from ivr.webhook import discard_session, quiet_webhook, settings
from messages.call_back import STAFF_MISSED, callable_request, dial_outcome, save_call_back_outcome
from routing import prompts
from routing.prompts import SERVICE_NAMES

bp = Blueprint("call_back", __name__, url_prefix="/voice")
bp.before_request(line_settings.read_first)
log = logging.getLogger("messages.call_back")


@bp.errorhandler(RequestEntityTooLarge)
def body_too_large(exc):
    """A body past the limit is not read: the member of staff hears the call back did not work; the status
    callback is answered 204, as any that fails."""
    log.warning("webhook body too large; not read", extra={"event": "webhook_too_large", "path": request.path})
    if request.endpoint == "call_back.status":
        return ("", 204)
    return webhook.twiml_response(webhook.goodbye(settings(), prompts.CALL_BACK_FAILED))


def staff_call(view):
    """On any error, the member of staff hears that the call back did not work, never silence."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            result = view(*args, **kwargs)
        except Exception as exc:
            discard_session()
            log.error("call back TwiML failed", exc_info=True, extra={
                "call_sid": request.form.get("CallSid"), "event": "call_back_failed", "error": type(exc).__name__})
            result = webhook.goodbye(settings(), prompts.CALL_BACK_FAILED)
        return webhook.twiml_response(result)

    return wrapper


def _actor() -> str:
    """The member of staff whose phone was rung (named in our URL), for the request's history."""
    user_id = request.args.get("user", "")
    user = get_user(get_write_session(), int(user_id)) if user_id.isdigit() and len(user_id) < 10 else None
    return user.username if user is not None else "call back"


@bp.post("/call-back/<int:message_id>")
@twilio_signed
@staff_call
def answered(message_id: int):
    """The member of staff's phone answered: they press 1 to be connected, so a voicemail never dials the caller."""
    message = callable_request(get_write_session(), message_id)
    action = url_for("call_back.connect", message_id=message_id, user=request.args.get("user"))
    return webhook.ask_one_key(settings(), action, prompts.CALL_BACK_PRESS_1.format(service=_service_name(message)))


@bp.post("/call-back/<int:message_id>/connect")
@twilio_signed
@staff_call
def connect(message_id: int):
    """1 dials the caller, and hears how that ended; anything else (a voicemail) is noted as the phone missed."""
    session = get_write_session()
    message = callable_request(session, message_id)
    if (request.form.get("Digits") or "").strip() != "1":
        save_call_back_outcome(session, message_id, "staff-missed", _actor(), app_now())
        return webhook.goodbye(settings(), prompts.CALL_BACK_NOT_CONNECTED)
    resp = VoiceResponse()
    webhook.say(resp, settings(), prompts.CALLING_BACK.format(service=_service_name(message)))
    dial = resp.dial(action=url_for("call_back.dialled", message_id=message_id, user=request.args.get("user")),
                     method="POST", caller_id=settings().twilio_phone_number, timeout=settings().dial_timeout)
    dial.number(message.callback_number)
    return resp


def _service_name(message) -> str:
    return SERVICE_NAMES.get(message.service, "MASH")


@bp.post("/call-back/<int:message_id>/dialled")
@twilio_signed
@staff_call
def dialled(message_id: int):
    """How the call to the caller ended: noted on the request (answered moves it to called back)."""
    save_call_back_outcome(get_write_session(), message_id, dial_outcome(request.form.get("DialCallStatus")),
                           _actor(), app_now())
    return webhook.goodbye(settings(), prompts.CALL_BACK_ENDED)


@bp.post("/call-back/<int:message_id>/status")
@twilio_signed
@quiet_webhook
def status(message_id: int):
    """The staff phone's status callback: if it never answered, the caller was not dialled, and that is noted."""
    if (request.form.get("CallStatus") or "").strip().lower() in STAFF_MISSED:
        save_call_back_outcome(get_write_session(), message_id, "staff-missed", _actor(), app_now())
    return ("", 204)
