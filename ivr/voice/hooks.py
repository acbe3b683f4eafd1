"""Where the call flow meets the other features: schools, contacts, trials, status checks."""
from __future__ import annotations

from flask import current_app
from twilio.twiml.voice_response import VoiceResponse

from routing.menu import Wording
from trials.assign import assign_trial_variant, variant_wording


def on_incoming(session, call) -> None:
    """A new call: identify the school from caller ID and assign a trial variant (never asks anything)."""
    from ivr.voice.identify import identify_by_caller_id

    identify_by_caller_id(session, call)
    assign_trial_variant(session, call, current_app.config["CLOCK"]())


def wording_for(session, call) -> Wording:
    """The menu wording this call hears: a trial variant, or the default."""
    return variant_wording(session, call)


def on_routed(session, call) -> None:
    """The call was routed: a MASH route opens a contact."""


def service_chosen(session, call, service: str, in_hours: bool) -> VoiceResponse:
    """Infoline or Early Help was chosen: identify the school if needed, then connect."""
    from ivr.voice.identify import identify_or_connect

    return identify_or_connect(session, call, service, in_hours)


def status_check(session, call, in_hours: bool) -> VoiceResponse:
    """Option 4: not yet available, so say so and offer the menu again."""
    from flask import current_app

    from ivr.voice import twiml

    return twiml.menu(current_app.config["SETTINGS"], wording_for(session, call), in_hours, attempt=1,
                      notice="Checking on a contact by phone is not available yet.")


def on_call_ended(session, call) -> None:
    """The call ended: a MASH caller on a mobile gets their reference by text."""
