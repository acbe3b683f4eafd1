"""Fail-safe wrappers: a live call always ends in TwiML that reaches MASH (EDT out of hours)."""
from __future__ import annotations

import functools
import logging

from flask import Response, current_app, g, request
from twilio.twiml.voice_response import VoiceResponse

from ivr.voice import twiml

log = logging.getLogger("ivr.voice")


def _in_hours_safely() -> bool:
    try:
        return current_app.config["SETTINGS"].opening_hours.is_open(current_app.config["CLOCK"]())
    except Exception:
        return True  # MASH's own line is the safer guess when even the clock fails


def _discard_session() -> None:
    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.rollback()
            session.close()
        except Exception:
            log.debug("could not roll back after a failure", exc_info=True)


def failsafe_response() -> Response:
    """TwiML that connects the caller to MASH (EDT out of hours); touches no database."""
    return twiml.twiml_response(twiml.failsafe(current_app.config["SETTINGS"], _in_hours_safely()))


def live_call(view):
    """Run a live-call step; on any error, log it with the CallSid and connect the caller to MASH."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            result = view(*args, **kwargs)
            return twiml.twiml_response(result) if isinstance(result, VoiceResponse) else result
        except Exception as exc:
            _discard_session()
            log.error("call step failed; caller sent straight to MASH", exc_info=True, extra={
                "call_sid": request.form.get("CallSid"), "event": "failsafe", "path": request.path,
                "error": type(exc).__name__})
            return failsafe_response()

    return wrapper


def quiet_webhook(view):
    """Run a non-live webhook (status callbacks); on error, log with the CallSid and answer 204."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Exception as exc:
            _discard_session()
            log.error("webhook failed; Twilio will not retry, reconcile from this line", exc_info=True,
                      extra={"call_sid": request.form.get("CallSid"), "event": "webhook_failed",
                             "path": request.path, "error": type(exc).__name__})
            return ("", 204)

    return wrapper
