"""Fail-safe wrappers: a live call always ends in TwiML that reaches MASH (EDT out of hours)."""
from __future__ import annotations

import functools
import logging
import threading

from flask import Response, current_app, request
from sqlmodel import Session
from twilio.twiml.voice_response import VoiceResponse

from db.calls import get_call_by_sid, save_call
from db.models import Route
from ivr.voice import twiml
from ivr.voice.record import mark_failsafe
from ivr.webhook import discard_session
from ivr.line_settings import Line, line_cache
from routing.phone import caller_number

log = logging.getLogger("ivr.voice")


def failsafe_line() -> Line:
    """The last good revision of the line this process read (its numbers and hours), touching no database."""
    return line_cache().last_good()


def in_hours_safely() -> bool:
    """Whether MASH is open by the last good revision; MASH if even that fails."""
    try:
        return failsafe_line().state.is_open(Route.MASH, current_app.config["CLOCK"]())
    except Exception:
        return True  # MASH's own line is the safer guess when even the clock fails


def _record(app, call_sid: str, caller: str | None, called: str | None, route: str, at,
            dial_status: str | None) -> None:
    try:
        with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
            call = (get_call_by_sid(session, call_sid)
                    or save_call(session, call_sid, caller, called, route == Route.MASH, at))
            mark_failsafe(call, caller, route, at, dial_status)
            session.commit()
    except Exception as exc:
        log.warning("fail-safe call not recorded; reconcile from the log", extra={
            "call_sid": call_sid, "event": "failsafe_unrecorded", "error": type(exc).__name__})


def record_failsafe(dial_status: str | None = None) -> None:
    """Record in the background that the fail-safe answered this call, so the caller never waits on the database."""
    try:
        call_sid = str(request.form.get("CallSid") or "")[:64]
        if not call_sid:
            return
        route = Route.MASH if in_hours_safely() else Route.EDT
        caller = caller_number(request.form.get("From"))
        threading.Thread(target=_record, name="failsafe-recorder", daemon=True, args=(
            current_app._get_current_object(), call_sid, caller, str(request.form.get("To") or "")[:32] or None,
            route, current_app.config["CLOCK"](), dial_status)).start()
    except Exception:
        log.warning("could not start recording a fail-safe call", exc_info=True, extra={"event": "failsafe_unrecorded"})


def failsafe_response() -> Response:
    """TwiML that connects the caller to MASH (EDT out of hours); touches no database."""
    return twiml.twiml_response(twiml.failsafe(failsafe_line().settings, in_hours_safely()))


def body_too_large(exc):
    """A webhook body past MAX_BODY_BYTES is not read, but a live caller still reaches MASH (any /voice/ route)."""
    log.warning("webhook body too large; answered fail-safe", extra={"event": "failsafe", "path": request.path})
    return failsafe_response()


def live_call(view):
    """Run a live-call step; on any error, log it with the CallSid and connect the caller to MASH."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            result = view(*args, **kwargs)
            return twiml.twiml_response(result) if isinstance(result, VoiceResponse) else result
        except Exception as exc:
            discard_session()
            log.error("call step failed; caller sent straight to MASH", exc_info=True, extra={
                "call_sid": request.form.get("CallSid"), "event": "failsafe", "path": request.path,
                "error": type(exc).__name__})
            record_failsafe()
            return failsafe_response()

    return wrapper
