"""After a transfer the service ended first: the caller hears their reference, again, or has it texted to a mobile."""
from __future__ import annotations

from flask import request, url_for
from twilio.twiml.voice_response import VoiceResponse

from callbacks.planner import text_reference_to
from db.contacts import get_contact_for_call
from db.models import Contact
from ivr.twilio_auth import twilio_signed
from ivr.voice import twiml
from ivr.voice.blueprint import bp
from ivr.voice.failsafe import live_call
from ivr.voice.steps import call_step, hold_typed_number, now, settings
from routing import prompts
from routing.menu import parse_attempt
from routing.references import reference_speech, typed_mobile
from routing.spoken import national, spoken_digits

MAX_MOBILE_TRIES = 2


def say_reference(contact: Contact) -> VoiceResponse:
    """The reference digit by digit and the promised time, then: 1 to hear it again, 2 to have it texted."""
    # Silence posts an empty choice, which says goodbye.
    speech = reference_speech(contact.reference, contact.service, contact.promised_by, now())
    return twiml.ask(settings(), url_for("voice.reference"), f"{speech} {prompts.REFERENCE_OFFER}")


def ask_mobile(attempt: int, before: str | None = None) -> VoiceResponse:
    """Ask for the mobile to text the reference to."""
    return twiml.ask_number(settings(), url_for("voice.reference_mobile", attempt=attempt),
                            f"{before} {prompts.ASK_MOBILE}" if before else prompts.ASK_MOBILE)


def read_back(mobile: str, attempt: int) -> VoiceResponse:
    """Read the typed mobile back digit by digit; 1 sends the text, 2 types it again (while a try is left)."""
    text = prompts.MOBILE_READ_BACK.format(number=spoken_digits(national(mobile)))
    return twiml.ask(settings(), url_for("voice.reference_confirm", attempt=attempt),
                     f"{text} {prompts.TYPE_AGAIN}" if attempt < MAX_MOBILE_TRIES else text)


def goodbye(text: str = prompts.THANKS_GOODBYE):
    return twiml.goodbye(settings(), text)


@bp.post("/reference")
@twilio_signed
@live_call
def reference():
    """After hearing the reference: 1 hears it again, 2 has it texted to a mobile, anything else says goodbye."""
    digits = (request.form.get("Digits") or "").strip()
    ctx = call_step("reference", digits)
    contact = get_contact_for_call(ctx.session, ctx.call.id)
    ctx.commit()
    if contact is not None and digits == "1":
        return say_reference(contact)
    if contact is not None and digits == "2":
        return ask_mobile(attempt=1)
    return goodbye()


@bp.post("/reference/mobile")
@twilio_signed
@live_call
def reference_mobile():
    """Check the typed number is a UK mobile and read it back; otherwise ask once more, then say goodbye."""
    attempt = parse_attempt(request.args.get("attempt"))
    digits = request.form.get("Digits") or ""
    mobile = typed_mobile(digits)
    ctx = hold_typed_number("reference_mobile", mobile,
                            "a UK mobile" if mobile else f"not a UK mobile, attempt {attempt}")
    ctx.commit()
    if mobile is not None:
        return read_back(mobile, attempt)
    problem = prompts.NOT_A_UK_MOBILE if digits.strip("#* ") else prompts.NO_MOBILE_HEARD
    if attempt < MAX_MOBILE_TRIES:
        return ask_mobile(attempt + 1, before=problem)
    return goodbye(f"{problem} {prompts.NO_TEXT_SENT}")


@bp.post("/reference/confirm")
@twilio_signed
@live_call
def reference_confirm():
    """1 texts the reference to the number read back (once per contact); 2 types it again; silence sends nothing."""
    attempt = parse_attempt(request.args.get("attempt"))
    digits = (request.form.get("Digits") or "").strip()
    ctx = call_step("reference_confirm", digits)
    mobile, contact = ctx.call.text_to, get_contact_for_call(ctx.session, ctx.call.id)
    ctx.call.text_to = None  # confirmed (then it is on the outbox row), refused or abandoned: it goes now
    if digits == "1" and mobile is not None and contact is not None:
        queued = text_reference_to(ctx.session, contact, mobile, settings(), now())
        ctx.commit()
        return goodbye(prompts.TEXT_ON_ITS_WAY if queued is not None else prompts.TEXT_ALREADY_SENT)
    if digits == "1" and ctx.is_new is False:
        ctx.commit()
        return goodbye(prompts.TEXT_ON_ITS_WAY)  # Twilio's repeat of a confirmation already acted on
    ctx.commit()
    if digits == "2" and attempt < MAX_MOBILE_TRIES:
        return ask_mobile(attempt + 1)
    return goodbye(prompts.NO_TEXT_SENT)
