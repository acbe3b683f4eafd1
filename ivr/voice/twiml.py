"""TwiML documents for each step of the call, built with twilio's VoiceResponse."""
from __future__ import annotations

from flask import Response, url_for
from twilio.twiml.voice_response import Gather, Say, VoiceResponse

from db.models import Route
from ivr.config import Settings
from routing.menu import MENU_TIMEOUT_S, NOT_AN_OPTION, SERVICE_NAMES, SHORT_REPLAY, Wording
from routing.spoken import spoken_parts

__all__ = ["MENU_TIMEOUT_S"]  # identify.py and others read the menu's wait from here
RECORD_MAX_S = 120


def twiml_response(resp: VoiceResponse) -> Response:
    """Serve a TwiML document."""
    return Response(str(resp), mimetype="text/xml")


def number_for(settings: Settings, route: str) -> str:
    """The line a route transfers to."""
    return {
        Route.MASH: settings.mash_number,
        Route.DSL_INFOLINE: settings.dsl_infoline_number,
        Route.EARLY_HELP: settings.early_help_number,
        Route.EDT: settings.edt_number,
    }[route]


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


def menu(settings: Settings, wording: Wording, in_hours: bool, attempt: int, reason: str | None = None,
         notice: str | None = None) -> VoiceResponse:
    """The greeting menu; any key acts at once (barge-in), silence posts an empty choice."""
    resp = VoiceResponse()
    action = url_for("voice.menu", attempt=attempt)
    g = gather(settings, action)
    if reason == "no_input":
        # Only the short form after silence, so a silent caller reaches MASH within SILENT_CALLER_LIMIT_S.
        say(g, settings, SHORT_REPLAY)
    else:
        if reason == "invalid":
            say(g, settings, NOT_AN_OPTION)
        if notice:
            say(g, settings, notice)
        say(g, settings, " ".join(wording.sentences(in_hours)))
    resp.append(g)
    # Twilio without actionOnEmptyResult falls through to here: post the empty choice ourselves.
    resp.redirect(action, method="POST")
    return resp


def dial(settings: Settings, route: str, attempt: int = 1, intro: str | None = None) -> VoiceResponse:
    """Transfer to a service's line; the action URL hears how the transfer ended."""
    resp = VoiceResponse()
    if intro:
        say(resp, settings, intro)
    d = resp.dial(action=url_for("voice.dial_result", service=route, attempt=attempt), method="POST",
                  timeout=settings.dial_timeout, answer_on_bridge=True)
    d.number(number_for(settings, route))
    return resp


def record(settings: Settings, prompt: str, service: str, urgent: bool) -> VoiceResponse:
    """Take a short message; the recording link is stored, never the audio."""
    resp = VoiceResponse()
    say(resp, settings, prompt)
    resp.record(action=url_for("voice.recording", service=service, urgent=int(urgent)), method="POST",
                max_length=RECORD_MAX_S, finish_on_key="#", play_beep=True, timeout=5)
    # Reached only when nothing was recorded: end with words, never a silent hang-up.
    say(resp, settings, "We did not receive a message. If a child is in immediate danger, call 999. Goodbye.")
    resp.hangup()
    return resp


def offer_mash_or_message(settings: Settings, service: str, in_hours: bool) -> VoiceResponse:
    """A non-urgent line did not answer: offer MASH if urgent, else a message."""
    resp = VoiceResponse()
    action = url_for("voice.unanswered", service=service)
    g = gather(settings, action)
    urgent_line = "MASH" if in_hours else "the Emergency Duty Team"
    say(g, settings, f"Sorry, {SERVICE_NAMES[service]} cannot answer just now. "
                     f"If your concern is urgent, press 1 for {urgent_line}. "
                     "Otherwise, press 2, or stay on the line, to leave a message.")
    resp.append(g)
    resp.redirect(action, method="POST")
    return resp


def goodbye(settings: Settings, text: str) -> VoiceResponse:
    """Say a closing line and hang up."""
    resp = VoiceResponse()
    say(resp, settings, text)
    resp.hangup()
    return resp


def hangup() -> VoiceResponse:
    """End the call without a word: the caller has already gone (Twilio asked for an action after hang-up)."""
    resp = VoiceResponse()
    resp.hangup()
    return resp


def failsafe(settings: Settings, in_hours: bool, attempt: int = 1) -> VoiceResponse:
    """Connect straight to MASH (EDT out of hours), then the other line; needs no database."""
    lines = [settings.mash_number, settings.edt_number] if in_hours else [settings.edt_number, settings.mash_number]
    resp = VoiceResponse()
    if attempt > len(lines):
        say(resp, settings, "Sorry, no one could answer. If a child is in immediate danger, call 999.")
        resp.hangup()
        return resp
    d = resp.dial(action=url_for("voice.fallback_result", attempt=attempt), method="POST",
                  timeout=settings.dial_timeout, answer_on_bridge=True)
    d.number(lines[attempt - 1])
    return resp
