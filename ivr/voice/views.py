"""Twilio Voice webhooks: thin views over routing decisions and db query functions."""
from __future__ import annotations

import logging

from flask import g, request

from db.calls import get_or_create_call, save_new_call, save_step
from db.contacts import get_contact_for_call
from db.models import Call, Route
from db.session import get_write_session
from ivr.twilio_auth import signature_noted, twilio_signed
from ivr.voice import twiml
from ivr.voice.blueprint import bp
from ivr.voice.callback_request import offer_after_unanswered, start_call_back
from ivr.voice.failsafe import failsafe_line, failsafe_response, in_hours_safely, live_call, record_failsafe
from ivr.voice.identify import identify_by_caller_id, identify_or_connect
from ivr.voice.reference import say_reference
from ivr.voice.record import count_failure, end_call, set_recording, set_route, set_transfer
from ivr.voice.status_check import start_status_check
from ivr.voice.steps import (call_ended, call_step, caller_gone, connect, greeting, is_open_now, line_state, now,
                             settings, step_key, take_message)
from ivr.webhook import quiet_webhook
from messages.states import receive_message
from routing import prompts
from routing.menu import decide_menu, parse_attempt
from routing.phone import caller_number
from routing.prompts import SERVICE_NAMES
from routing.recording import recording_audio_url
from routing.references import reference_speech
from routing.transfer import decide_after_dial, decide_after_offer
from trials.assign import assign_trial_variant

ROUTES = set(SERVICE_NAMES)
log = logging.getLogger("ivr.voice")


def _service_arg(default: str = Route.MASH) -> str:
    service = request.args.get("service", default)
    return service if service in ROUTES else default


@bp.post("/incoming")
@twilio_signed
@live_call
def incoming():
    """Answer a new call: record it and play the menu."""
    in_hours, key = is_open_now(), step_key()
    call = Call(call_sid=request.form["CallSid"], caller=caller_number(request.form.get("From")),
                called=request.form.get("To"), in_hours=in_hours, started_at=now())
    session = get_write_session()  # after the work that needs no database, so the write lock is held briefly
    # School and trial variant are settled before the insert, so the first webhook is one INSERT.
    identify_by_caller_id(session, call)
    assign_trial_variant(session, call, now())
    call = save_new_call(session, call)
    save_step(session, call, "incoming", key, now())
    session.commit()
    return twiml.menu(settings(), greeting(session, call), attempt=1)


@bp.post("/menu")
@twilio_signed
@live_call
def menu():
    """Act on the key pressed in the menu, or on silence."""
    attempt = parse_attempt(request.args.get("attempt"))
    digits = request.form.get("Digits")
    ctx = call_step("menu", digits, f"attempt {attempt}")
    session, call = ctx.session, ctx.call
    if caller_gone():
        ctx.commit()  # no route: the status callback counts the call as abandoned, which it was
        return twiml.hangup()
    in_hours = is_open_now()
    decision = decide_menu(digits, attempt, in_hours, line_state().emergency)
    count_failure(call, decision.reason)
    if decision.action == "repeat":
        ctx.commit()
        return twiml.menu(settings(), greeting(session, call), attempt + 1, decision.reason)
    if decision.action == "status_check":
        set_route(call, Route.STATUS_CHECK, now())
        return start_status_check(ctx, in_hours)
    if decision.action == "choose":
        call.service = decision.route  # committed with the step the chosen service takes
        return identify_or_connect(ctx, decision.route)
    return connect(ctx, decision.route)


@bp.post("/dial-result")
@twilio_signed
@live_call
def dial_result():
    """Hear how a transfer ended: done, retry MASH, offer MASH, or take a message."""
    service = _service_arg()
    attempt = parse_attempt(request.args.get("attempt"))
    status = request.form.get("DialCallStatus")
    ctx = call_step("dial_result", status, service)
    set_transfer(ctx.call, status, request.form.get("DialCallDuration"))
    if caller_gone():
        ctx.commit()  # the route tried and how the transfer ended are the real outcome; no message was left
        return twiml.hangup()
    decision = decide_after_dial(service, status, attempt)
    if decision.action == "message":
        return take_message(ctx, service, urgent=True)  # one transaction: it commits the transfer too
    if decision.action == "done":
        # The service ended the transfer and the caller is still here: they leave with their reference.
        contact = get_contact_for_call(ctx.session, ctx.call.id)
        ctx.commit()
        return say_reference(contact) if contact is not None else twiml.goodbye(settings(), prompts.THANKS_GOODBYE)
    ctx.commit()
    if decision.action == "retry":
        return twiml.dial(settings(), service, attempt + 1,
                          intro=prompts.TRYING_AGAIN.format(service=SERVICE_NAMES[service]))
    return offer_after_unanswered(service)


@bp.post("/unanswered")
@twilio_signed
@live_call
def unanswered():
    """After Infoline or Early Help did not answer: MASH if urgent, a callback request, else a message."""
    service = _service_arg(Route.DSL_INFOLINE)
    digits = request.form.get("Digits")
    ctx = call_step("unanswered", digits, service)
    if caller_gone():
        ctx.commit()
        return twiml.hangup()
    in_hours = is_open_now()
    decision = decide_after_offer(digits, in_hours)
    if decision.action == "connect":
        return connect(ctx, decision.route)
    if decision.action == "call_back":
        return start_call_back(ctx, service)
    return take_message(ctx, service, urgent=False)


def recording_link(url: str | None) -> str | None:
    """The RecordingUrl if it is one of our account's recordings; anything else is logged and not kept."""
    s = settings()
    if url and recording_audio_url(url, s.twilio_account_sid, s.twilio_api_base_url) is None:
        log.warning("a RecordingUrl that is not one of our recordings was not stored",
                    extra={"call_sid": request.form.get("CallSid"), "event": "recording_url_refused"})
        return None
    return url


@bp.post("/recording")
@twilio_signed
@live_call
def recording():
    """Store the link to a message left by the caller."""
    service = _service_arg()
    urgent = request.args.get("urgent") == "1"
    ctx = call_step("recording", None, service)
    set_recording(ctx.call, recording_link(request.form.get("RecordingUrl")), service, urgent, now())
    receive_message(ctx.session, ctx.call, settings(), now())  # in the same transaction as the link it lists
    contact = None if caller_gone() else get_contact_for_call(ctx.session, ctx.call.id)
    ctx.commit()
    if caller_gone():
        return twiml.hangup()  # the message is kept; there is no one left to thank
    # A caller whose transfer went unanswered still leaves with the reference the call opened.
    reference = reference_speech(contact.reference, contact.service, contact.promised_by, now()) if contact else ""
    if urgent:
        text = " ".join(filter(None, [prompts.URGENT_MESSAGE_PASSED, reference, prompts.DANGER_GOODBYE]))
    else:
        recorded = prompts.MESSAGE_RECORDED.format(service=SERVICE_NAMES.get(service, "MASH"))
        text = " ".join(filter(None, [recorded, reference, prompts.GOODBYE]))
    return twiml.goodbye(settings(), text)


@bp.post("/status")
@twilio_signed
@quiet_webhook
def status():
    """Twilio's call status callback: close the call; no route means ABANDONED."""
    call_sid = request.form.get("CallSid")
    if not call_sid:
        return ("", 204)
    in_hours = is_open_now()  # the line's settings are read before the write lock, as in every step
    session = get_write_session()
    call = get_or_create_call(session, call_sid, in_hours, now())
    save_step(session, call, "status", step_key(), now(), None,
              request.form.get("CallStatus"))
    end_call(call, request.form.get("CallStatus"), request.form.get("CallDuration"), now())
    call_ended(session, call)
    session.commit()
    return ("", 204)


@bp.post("/fallback")
@signature_noted
def fallback():
    """The number's Fallback URL: always the fail-safe TwiML (public numbers only); recorded when signed."""
    try:
        log_twilio_error()
        if g.twilio_signed:
            record_failsafe()
    except Exception:
        log.warning("fallback could not note the call", exc_info=True, extra={"event": "fallback_unrecorded"})
    return failsafe_response()


@bp.post("/fallback/result")
@signature_noted
def fallback_result():
    """After a fail-safe transfer: done if answered or the caller left, else the other line, then a spoken end."""
    try:
        attempt = parse_attempt(request.args.get("attempt"))
        dial_status = request.form.get("DialCallStatus")
        if g.twilio_signed:
            record_failsafe(dial_status)
        if caller_gone():
            return twiml.twiml_response(twiml.hangup())
        line_settings = failsafe_line().settings  # the fail-safe's path reads no database
        if decide_after_dial(Route.MASH, dial_status, 1).action == "done":
            return twiml.twiml_response(twiml.goodbye(line_settings, prompts.THANKS_GOODBYE))
        return twiml.twiml_response(twiml.failsafe(line_settings, in_hours_safely(), attempt + 1))
    except Exception:
        log.error("fallback result failed; caller sent straight to MASH", exc_info=True, extra={"event": "failsafe"})
        return failsafe_response()


def log_twilio_error() -> None:
    """Log why Twilio fell back (its ErrorCode and the URL that failed), so the fault can be found."""
    form = request.form
    log.warning("Twilio used the fallback URL", extra={
        "event": "twilio_fallback", "call_sid": str(form.get("CallSid") or "")[:64] or None,
        "error_code": str(form.get("ErrorCode") or "")[:16] or None,
        "error_url": str(form.get("ErrorUrl") or "")[:300] or None, "signed": g.twilio_signed})
