"""What every Twilio webhook shares, inbound or outbound: the TwiML reply, speech in the line's voice, a keypad
gather, and the quiet wrapper for status callbacks."""
from __future__ import annotations

import functools
import logging

from flask import Response, g, request
from twilio.twiml.voice_response import Gather, Say, VoiceResponse

from ivr.config import Settings
from ivr.line_settings import current_line
from routing.menu import MENU_TIMEOUT_S
from routing.spoken import spoken_parts

log = logging.getLogger("ivr.webhook")


def settings() -> Settings:
    """The app's Settings with the line's numbers and MASH's hours at this request's revision (ivr/line_settings.py)."""
    return current_line().settings


def twiml_response(resp: VoiceResponse) -> Response:
    """Serve a TwiML document."""
    return Response(str(resp), mimetype="text/xml")


def say_element(settings: Settings, text: str) -> Say:
    """A <Say> in the configured British voice, with numbers and letters marked up as they must be read."""
    element = Say(voice=settings.voice, language=settings.language)
    for words, interpret_as in spoken_parts(text):
        if interpret_as is None:
            element.nest(words)
        else:
            element.say_as(words, interpret_as=interpret_as)
    return element


def say(node, settings: Settings, text: str) -> None:
    """Speak in the configured British voice."""
    node.append(say_element(settings, text))


def gather(settings: Settings, action: str, num_digits: int | None = 1, finish_on_key: str | None = None,
           timeout: int = MENU_TIMEOUT_S) -> Gather:
    """A keypad Gather that posts even on silence, so no-input is always handled by us."""
    kwargs = {"input": "dtmf", "action": action, "method": "POST", "timeout": timeout,
              "action_on_empty_result": True}
    if num_digits:
        kwargs["num_digits"] = num_digits
    if finish_on_key is not None:
        kwargs["finish_on_key"] = finish_on_key
    return Gather(**kwargs)


def ask_one_key(settings: Settings, action: str, text: str) -> VoiceResponse:
    """Say `text` while waiting for one key, posted to `action` even on silence (the redirect only if it could not)."""
    resp, keys = VoiceResponse(), gather(settings, action)
    say(keys, settings, text)
    resp.append(keys)
    resp.redirect(action, method="POST")
    return resp


def goodbye(settings: Settings, text: str) -> VoiceResponse:
    """Say a closing line and hang up."""
    resp = VoiceResponse()
    say(resp, settings, text)
    resp.hangup()
    return resp


def put_through(settings: Settings, number: str, before: str, action: str) -> VoiceResponse:
    """Say `before` and dial `number`; `action` hears how the transfer ended (Twilio's DialCallStatus)."""
    resp = VoiceResponse()
    say(resp, settings, before)
    resp.dial(action=action, method="POST", timeout=settings.dial_timeout, answer_on_bridge=True).number(number)
    return resp


def hangup() -> VoiceResponse:
    """End the call without a word: the caller has already gone (Twilio asked for an action after hang-up)."""
    resp = VoiceResponse()
    resp.hangup()
    return resp


def discard_session() -> None:
    """Roll back and drop this request's database session after a failure, so nothing half-done is kept."""
    session = g.pop("db_session", None)
    if session is not None:
        try:
            session.rollback()
            session.close()
        except Exception:
            log.debug("could not roll back after a failure", exc_info=True)


def quiet_webhook(view):
    """Run a non-live webhook (status callbacks); on error, log with the CallSid and answer 204."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Exception as exc:
            discard_session()
            log.error("webhook failed; Twilio will not retry, reconcile from this line", exc_info=True,
                      extra={"call_sid": request.form.get("CallSid"), "event": "webhook_failed",
                             "path": request.path, "error": type(exc).__name__})
            return ("", 204)

    return wrapper
