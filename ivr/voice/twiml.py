"""TwiML documents for each step of the call, built with twilio's VoiceResponse."""
from __future__ import annotations

from flask import url_for
from twilio.twiml.voice_response import VoiceResponse

from ivr.config import Settings
from ivr.webhook import gather, goodbye, hangup, say, say_element, twiml_response
from routing import prompts
from routing.menu import urgent_route
from routing.prompts import NOT_AN_OPTION, SERVICE_NAMES, SHORT_REPLAY

# The shared primitives are part of this module's vocabulary: the call's views build with `twiml.*` alone.
__all__ = ["gather", "goodbye", "hangup", "say", "say_element", "twiml_response"]
RECORD_MAX_S = 120


def menu(settings: Settings, sentences: list[str], attempt: int, reason: str | None = None,
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
        say(g, settings, " ".join(sentences))
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
    d.number(settings.number_for(route))
    return resp


def record(settings: Settings, prompt: str, service: str, urgent: bool) -> VoiceResponse:
    """Take a short message; the recording link is stored, never the audio."""
    resp = VoiceResponse()
    say(resp, settings, prompt)
    resp.record(action=url_for("voice.recording", service=service, urgent=int(urgent)), method="POST",
                max_length=RECORD_MAX_S, finish_on_key="#", play_beep=True, timeout=5)
    # Reached only when nothing was recorded: end with words, never a silent hang-up.
    say(resp, settings, prompts.NO_MESSAGE)
    resp.hangup()
    return resp


def ask(settings: Settings, action: str, text: str, **gather_options) -> VoiceResponse:
    """Say text while listening for keys; silence posts an empty choice to the same action."""
    resp = VoiceResponse()
    g = gather(settings, action, **gather_options)
    say(g, settings, text)
    resp.append(g)
    resp.redirect(action, method="POST")
    return resp


NUMBER_DIGITS = 11  # a UK number typed from its 0: the keys end at the eleventh digit or at hash
NUMBER_TIMEOUT_S = 10


def ask_number(settings: Settings, action: str, text: str) -> VoiceResponse:
    """Ask the caller to type a phone number."""
    return ask(settings, action, text, num_digits=NUMBER_DIGITS, finish_on_key="#", timeout=NUMBER_TIMEOUT_S)


def offer_mash_or_message(settings: Settings, service: str, in_hours: bool,
                          call_back_when: str | None = None) -> VoiceResponse:
    """A non-urgent line did not answer: offer to call back (when `call_back_when` says when), MASH if urgent,
    else a message."""
    names = {"service": SERVICE_NAMES[service], "urgent": SERVICE_NAMES[urgent_route(in_hours)]}
    text = (prompts.SERVICE_BUSY_CALL_BACK.format(when=call_back_when, **names) if call_back_when
            else prompts.SERVICE_BUSY.format(**names))
    return ask(settings, url_for("voice.unanswered", service=service), text)


def failsafe(settings: Settings, in_hours: bool, attempt: int = 1) -> VoiceResponse:
    """Connect straight to MASH (EDT out of hours), then the other line; needs no database."""
    lines = [settings.mash_number, settings.edt_number] if in_hours else [settings.edt_number, settings.mash_number]
    resp = VoiceResponse()
    if attempt > len(lines):
        say(resp, settings, prompts.NO_ONE_ANSWERED)
        resp.hangup()
        return resp
    d = resp.dial(action=url_for("voice.fallback_result", attempt=attempt), method="POST",
                  timeout=settings.dial_timeout, answer_on_bridge=True)
    d.number(lines[attempt - 1])
    return resp
