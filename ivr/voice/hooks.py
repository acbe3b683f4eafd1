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
    from callbacks.planner import send_reference

    settings, now = current_app.config["SETTINGS"], current_app.config["CLOCK"]()
    contact = open_contact(session, call, settings, now)
    if contact is not None and call.ended_at is not None:
        # Twilio's status callback came first (this webhook was late): the reference goes now instead.
        send_reference(session, call, settings, now)


def service_chosen(session, call, service: str, in_hours: bool) -> VoiceResponse:
    """Infoline or Early Help was chosen: identify the school if needed, then connect."""
    from ivr.voice.identify import identify_or_connect

    return identify_or_connect(session, call, service, in_hours)


def status_check(session, call, in_hours: bool) -> VoiceResponse:
    """Option 4: ask for the contact reference, then read its status."""
    from callbacks.voice_views import ask_reference

    return ask_reference()


def on_call_ended(session, call) -> None:
    """The call ended: a MASH caller on a mobile gets their reference by text, whatever order webhooks came in."""
    from callbacks.contacts import open_contact
    from callbacks.planner import send_reference

    settings, now = current_app.config["SETTINGS"], current_app.config["CLOCK"]()
    # A MASH call with no contact yet (the fail-safe answered it, or the webhook that routed it was lost)
    # opens one now, so its caller still gets a reference; a contact already open is kept as it is.
    open_contact(session, call, settings, now)
    send_reference(session, call, settings, now)
