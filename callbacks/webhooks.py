"""Twilio's webhooks for the outbound calls and texts: a voice callback's TwiML and both status callbacks.

They live under /voice/ beside the live call's routes, on this package's own blueprint.
"""
from __future__ import annotations

import functools
import logging

from flask import Blueprint, request, url_for
from twilio.twiml.voice_response import VoiceResponse
from werkzeug.exceptions import RequestEntityTooLarge

from callbacks import alarm, messages, outbox
from db.alerts import is_alert_open
from db.models import Call, Callback, Contact
from db.outbox import get_callback_by_sid, save_change
from db.session import get_write_session
from db.verdicts import ANSWERED, CALLBACK, NEEDS_MORE, save_verdict_answer, save_verdict_asked
from ivr import line_settings, webhook
from ivr.clock import app_now
from ivr.twilio_auth import twilio_signed
from ivr.webhook import quiet_webhook, settings
from routing import prompts
from routing.menu import urgent_route

bp = Blueprint("outbound", __name__, url_prefix="/voice")
bp.before_request(line_settings.read_first)
log = logging.getLogger("callbacks.voice")


def _ring_us() -> VoiceResponse:
    """When our own call to a DSL goes wrong, still give them the number to ring, never silence."""
    resp = VoiceResponse()
    webhook.say(resp, settings(), prompts.CALLBACK_TROUBLE.format(
        sender=messages.SENDER, number=messages.spoken_digits(messages.national(settings().twilio_phone_number))))
    resp.hangup()
    return resp


@bp.errorhandler(RequestEntityTooLarge)
def body_too_large(exc):
    """A body past the limit is not read: the DSL on our call is told the number to ring; a status callback
    is answered 204 and logged, as any status callback that fails (Twilio does not retry them)."""
    log.warning("webhook body too large; not read", extra={"event": "webhook_too_large", "path": request.path})
    if request.endpoint in CALLBACK_ENDPOINTS:
        return webhook.twiml_response(_ring_us())
    if request.endpoint in ALERT_ENDPOINTS:
        return webhook.twiml_response(_alert_trouble())
    return ("", 204)


# ---- The outbound voice callback ----

CALLBACK_ENDPOINTS = ("outbound.callback_twiml", "outbound.callback_dialled")

def outbound_call(view):
    """On any error in an outbound callback, still give the DSL the number to ring, never silence."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            result = view(*args, **kwargs)
        except Exception as exc:
            log.error("callback TwiML failed", exc_info=True, extra={
                "call_sid": request.form.get("CallSid"), "event": "callback_twiml_failed", "error": type(exc).__name__})
            result = _ring_us() if request.endpoint in CALLBACK_ENDPOINTS else _alert_trouble()
        return webhook.twiml_response(result)

    return wrapper


def _full_message(callback: Callback) -> VoiceResponse:
    """The whole message, then the DSL's verdict (1 answered, 2 put through) or 3 to hear it again."""
    resp = VoiceResponse()
    webhook.say(resp, settings(), callback.body)
    g = webhook.gather(settings(), url_for("outbound.callback_twiml", callback_id=callback.id, step="verdict"))
    webhook.say(g, settings(), f"{prompts.VERDICT} {prompts.HEAR_AGAIN}")
    resp.append(g)
    webhook.say(resp, settings(), prompts.GOODBYE)
    resp.hangup()
    return resp


def _verdict(session, callback: Callback, digits: str) -> VoiceResponse:
    """1: the update answered them; 2: put through to MASH (EDT when MASH is closed); 3: the message again."""
    if digits == "3":
        return _full_message(callback)
    if digits not in ("1", "2"):
        return webhook.goodbye(settings(), prompts.GOODBYE)
    if digits == "1":
        _save_answer(session, callback, ANSWERED)
        return webhook.goodbye(settings(), prompts.VERDICT_THANKS)
    line = settings()
    route = urgent_route(line.mash_open(app_now()))
    resp = webhook.put_through(line, line.number_for(route), prompts.PUTTING_YOU_THROUGH.format(
        service=prompts.SERVICE_NAMES[route]), url_for("outbound.callback_dialled", callback_id=callback.id))
    _save_answer(session, callback, NEEDS_MORE)  # after the transfer is built: a failure here must not stop it
    return resp


def _save_answer(session, callback: Callback, answer: str) -> None:
    """Record the DSL's answer; a failure is logged, never heard (the DSL still gets what they pressed for)."""
    try:
        save_verdict_answer(session, CALLBACK, callback.id, answer, app_now())
        session.commit()
    except Exception:
        webhook.discard_session()
        log.error("verdict not saved", exc_info=True, extra={"event": "verdict_not_saved",
                                                              "call_sid": request.form.get("CallSid")})


def _mark(session, callback: Callback, how: str, also=None) -> bool:
    """Record that the update reached the DSL this way (what makes the callback count as delivered)."""
    return save_change(session, callback.id, outbox.heard(how, request.form.get("CallSid"), _number_arg("attempt"),
                                                           app_now()), also)


def _heard_by_person(session, callback: Callback) -> None:
    """A person pressed for the update: it is delivered, and they are about to be asked their verdict (one commit)."""
    def ask(db) -> None:
        save_verdict_asked(db, CALLBACK, callback.id, callback.contact_id, app_now())

    if not _mark(session, callback, outbox.HEARD_BY_PERSON, also=ask):  # already heard (a repeat): rolled back
        ask(session)
        session.commit()


def _left_reference(session, callback: Callback, contact: Contact) -> VoiceResponse:
    """The short message a machine (or a silent line) is left: the reference and the number to ring."""
    _mark(session, callback, outbox.MACHINE_MESSAGE)
    resp = VoiceResponse()
    webhook.say(resp, settings(), messages.machine_text(contact.reference, settings().twilio_phone_number))
    resp.hangup()
    return resp


def _offer_update(callback: Callback, contact: Contact) -> VoiceResponse:
    """The update is played only to someone who presses: a machine cannot, so it never hears the outcome."""
    resp = VoiceResponse()
    action = url_for("outbound.callback_twiml", callback_id=callback.id, attempt=_number_arg("attempt"), step="update")
    g = webhook.gather(settings(), action)
    webhook.say(g, settings(), messages.offer_text(contact.reference))
    resp.append(g)
    resp.redirect(action, method="POST")  # no key: the short message, as for a machine
    return resp


@bp.post("/callback/<int:callback_id>")
@twilio_signed
@outbound_call
def callback_twiml(callback_id: int):
    """What the DSL hears: press 1 for the full update and then their verdict; a machine, or no key, is left the
    reference only."""
    session = get_write_session()
    callback = session.get(Callback, callback_id)
    contact = session.get(Contact, callback.contact_id) if callback is not None else None
    if contact is None or callback.channel != "voice":
        raise LookupError(f"no voice callback {callback_id}")
    answered_by = (request.form.get("AnsweredBy") or "").lower()
    digits = (request.form.get("Digits") or "").strip()
    if request.args.get("repeat"):  # a call already in progress when the verdict came in: its old "press 1 again"
        return _full_message(callback) if digits else webhook.goodbye(settings(), prompts.GOODBYE)
    if request.args.get("step") == "verdict":
        return _verdict(session, callback, digits)
    if request.args.get("step") == "update":
        if not digits:
            return _left_reference(session, callback, contact)
        _heard_by_person(session, callback)
        return _full_message(callback)
    if answered_by == "fax":
        return webhook.hangup()
    if answered_by.startswith("machine"):
        return _left_reference(session, callback, contact)
    return _offer_update(callback, contact)  # a person, or "unknown" when detection timed out


@bp.post("/callback/<int:callback_id>/dialled")
@twilio_signed
@outbound_call
def callback_dialled(callback_id: int):
    """How the DSL's transfer after pressing 2 ended: a finished conversation ends the call; otherwise they are
    told the number that reaches MASH (or EDT) through the menu, never left in silence."""
    if (request.form.get("DialCallStatus") or "").lower() == "completed":
        return webhook.hangup()
    return webhook.goodbye(settings(), prompts.UPDATE_NOT_PUT_THROUGH.format(
        number=messages.spoken_digits(messages.national(settings().twilio_phone_number))))


# ---- The urgent alert call to a duty number ----

ALERT_ENDPOINTS = ("outbound.alert_twiml", "outbound.alert_ack")


def _alert_trouble() -> VoiceResponse:
    """When the alert call itself goes wrong, the duty number still hears that an urgent message waits."""
    return webhook.goodbye(settings(), prompts.ALERT_TROUBLE)


def _settled(session, callback: Callback) -> VoiceResponse:
    """The alert was accepted by another number, or its message closed, before this one pressed 1."""
    call = session.get(Call, callback.call_id, populate_existing=True)
    return webhook.goodbye(settings(), messages.alert_settled_text(call.alert_acknowledged_by,
                                                                   call.alert_acknowledged_at))


def _alert_row(callback_id: int) -> Callback:
    callback = get_write_session().get(Callback, callback_id)
    if callback is None or callback.kind != outbox.ALERT or callback.channel != "voice":
        raise LookupError(f"no alert call {callback_id}")
    return callback


@bp.post("/alert/<int:callback_id>")
@twilio_signed
@outbound_call
def alert_twiml(callback_id: int):
    """The alert: who left an urgent message and when, then press 1 to accept it; a machine is not told it."""
    session, callback = get_write_session(), _alert_row(callback_id)
    if (request.form.get("AnsweredBy") or "").lower().startswith(("machine", "fax")):
        return webhook.hangup()  # a machine cannot accept: the call fails and the next number is rung at once
    if not is_alert_open(session, callback.call_id):
        return _settled(session, callback)
    action = url_for("outbound.alert_ack", callback_id=callback.id, attempt=_number_arg("attempt"))
    return webhook.ask_one_key(settings(), action, callback.body)


@bp.post("/alert/<int:callback_id>/ack")
@twilio_signed
@outbound_call
def alert_ack(callback_id: int):
    """1 accepts the alert (recorded with the number, audited, the escalation stopped); anything else escalates."""
    session, callback = get_write_session(), _alert_row(callback_id)
    if (request.form.get("Digits") or "").strip() != "1":
        _mark(session, callback, outbox.NOT_ACCEPTED)  # the call then ends unaccepted: the next number at once
        return webhook.goodbye(settings(), prompts.ALERT_NOT_ACCEPTED)
    if not is_alert_open(session, callback.call_id) or not alarm.acknowledge(session, callback, app_now()):
        return _settled(session, callback)  # someone else was first, or staff closed the message meanwhile
    return webhook.goodbye(settings(), prompts.ALERT_ACCEPTED)


def _number_arg(name: str) -> int | None:
    raw = request.args.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


def _follow_status(sid_field: str, make_change) -> tuple:
    """Apply a status callback to its callback (our id in the URL, else Twilio's SID) for the attempt named."""
    session = get_write_session()
    sid = request.form.get(sid_field)
    callback_id = _number_arg("callback")
    callback = session.get(Callback, callback_id) if callback_id is not None else None
    if callback is None and sid:
        callback = get_callback_by_sid(session, sid)
    if callback is not None:
        save_change(session, callback.id, make_change(sid, _number_arg("attempt")))
    return ("", 204)


@bp.post("/callback-status")
@twilio_signed
@quiet_webhook
def callback_status():
    """Twilio's status callback for a voice callback: delivered, or busy/no answer -> retry within hours."""
    form = request.form
    return _follow_status("CallSid", lambda sid, attempt: outbox.call_status(
        form.get("CallStatus", ""), form.get("AnsweredBy"), sid, attempt, settings().opening_hours, app_now()))


@bp.post("/message-status")
@twilio_signed
@quiet_webhook
def message_status():
    """Twilio's status callback for an SMS: sent, delivered, undelivered or failed."""
    form = request.form
    return _follow_status("MessageSid", lambda sid, attempt: outbox.message_status(
        form.get("MessageStatus") or form.get("SmsStatus", ""), sid, attempt, form.get("ErrorCode"), app_now()))
