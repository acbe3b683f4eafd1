"""Where the call flow meets the other features: schools, contacts, trials, status checks."""
from __future__ import annotations

from flask import current_app
from twilio.twiml.voice_response import VoiceResponse

from routing.menu import Wording
from trials.assign import assign_trial_variant, variant_wording


def on_incoming(session, call) -> None:
    """A new call, before its row is inserted: school from caller ID and trial variant (never asks anything)."""
    from ivr.voice.identify import identify_by_caller_id

    identify_by_caller_id(session, call)
    assign_trial_variant(session, call, current_app.config["CLOCK"]())


def wording_for(session, call) -> Wording:
    """The menu wording this call hears: a trial variant, or the default."""
    return variant_wording(session, call)


def on_routed(session, call) -> None:
    """The call was routed: a MASH (or EDT) route opens a contact with a fresh reference (one insert)."""
    from callbacks.contacts import open_contact

    open_contact(session, call, current_app.config["SETTINGS"], current_app.config["CLOCK"]())


def service_chosen(session, call, service: str, in_hours: bool) -> VoiceResponse:
    """Infoline or Early Help was chosen: identify the school if needed, then connect."""
    from ivr.voice.identify import identify_or_connect

    return identify_or_connect(session, call, service, in_hours)


def status_check(session, call, in_hours: bool) -> VoiceResponse:
    """Option 4: ask for the contact reference, then read its status."""
    from callbacks.voice_views import ask_reference

    return ask_reference()


def on_call_ended(session, call) -> None:
    """The call ended: a MASH caller on a mobile gets their reference by text."""
    from callbacks.planner import send_reference

    send_reference(session, call, current_app.config["SETTINGS"], current_app.config["CLOCK"]())
