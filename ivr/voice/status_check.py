"""Menu option 4: a caller enters a contact reference and hears its status, then gives their verdict or reaches MASH."""
from __future__ import annotations

from flask import request, url_for
from twilio.twiml.voice_response import VoiceResponse

from callbacks import messages
from db.contacts import get_contact_by_reference, get_open_contacts_of
from db.verdicts import ANSWERED, NEEDS_MORE, STATUS_CHECK, save_verdict_answer, save_verdict_asked
from ivr.twilio_auth import twilio_signed
from ivr.voice import twiml
from ivr.voice.blueprint import bp
from ivr.voice.failsafe import live_call
from ivr.voice.steps import StepContext, call_step, connect, greeting, is_open_now, now, settings
from routing import prompts
from routing.menu import clean_digits, parse_attempt, urgent_route
from routing.prompts import ASK_REFERENCE, NOT_FOUND_MENU, SERVICE_NAMES
from routing.references import MAX_READ_OUT, OPEN_WITHIN, OpenContact, open_contacts_speech
from routing.vocabulary import OPEN_STATUSES

REFERENCE_DIGITS = 6
REFERENCE_TIMEOUT_S = 10
# The keys after a status are named in the URL: a caller who heard the older "press 1 for MASH" just before a
# deploy (no `keys` in their URL) still gets MASH for 1 and another reference for 2.
VERDICT_KEYS = "verdict"
OLDER_KEYS = {"1": "2", "2": "3"}


def ask_reference(attempt: int = 1, before: str | None = None) -> VoiceResponse:
    """Ask for a 6-digit reference; the keys end at the sixth digit or at hash."""
    resp = VoiceResponse()
    action = url_for("voice.status_check", attempt=attempt)
    g = twiml.gather(settings(), action, num_digits=REFERENCE_DIGITS, finish_on_key="#", timeout=REFERENCE_TIMEOUT_S)
    twiml.say(g, settings(), f"{before} {ASK_REFERENCE}" if before else ASK_REFERENCE)
    resp.append(g)
    resp.redirect(action, method="POST")
    return resp


def status_and_offer(text: str, in_hours: bool, offer: str = prompts.STATUS_THEN_URGENT) -> VoiceResponse:
    """Read a status, then ask whether it answered the question: 2 reaches MASH (EDT out of hours)."""
    resp = VoiceResponse()
    action = url_for("voice.status_check_next", keys=VERDICT_KEYS)
    line = SERVICE_NAMES[urgent_route(in_hours)]
    g = twiml.gather(settings(), action)
    twiml.say(g, settings(), offer.format(status=text, urgent=line))
    resp.append(g)
    resp.redirect(action, method="POST")
    return resp


def start_status_check(ctx: StepContext, in_hours: bool) -> VoiceResponse:
    """Option 4: a caller with open contacts (by number or school) hears them first; more than 3, or none, asks."""
    call = ctx.call
    mine = get_open_contacts_of(ctx.session, call.caller, call.school_urn, now() - OPEN_WITHIN, OPEN_STATUSES,
                                limit=MAX_READ_OUT + 1)
    if 0 < len(mine) <= MAX_READ_OUT:  # the verdict is asked once per call, about the one contact if only one
        save_verdict_asked(ctx.session, STATUS_CHECK, call.id, mine[0].id if len(mine) == 1 else None, now())
    ctx.commit()
    if not mine:
        return ask_reference()
    if len(mine) > MAX_READ_OUT:
        return ask_reference(before=prompts.MANY_OPEN_CONTACTS.format(count=MAX_READ_OUT))
    text = open_contacts_speech([OpenContact(c.reference, c.service, c.status, c.promised_by) for c in mine], now())
    return status_and_offer(text, in_hours, offer=f"{{status}} {prompts.OPEN_CONTACTS_NEXT}")


@bp.post("/status-check")
@twilio_signed
@live_call
def status_check():
    """Look up the reference entered; read its status, or ask once more, then go back to the menu."""
    attempt = parse_attempt(request.args.get("attempt"))
    digits = clean_digits(request.form.get("Digits")).replace("#", "").replace("*", "")
    ctx = call_step("status_check", digits, f"attempt {attempt}")
    session, call = ctx.session, ctx.call
    in_hours = is_open_now()
    contact = get_contact_by_reference(session, digits) if len(digits) == REFERENCE_DIGITS else None
    if contact is not None:
        save_verdict_asked(session, STATUS_CHECK, call.id, contact.id, now())
    ctx.commit()
    if contact is not None:
        allowed = messages.may_hear_outcome(call.caller, call.school_urn, contact.caller, contact.school_urn)
        text = messages.status_speech(contact.reference, contact.status, contact.outcome, contact.promised_by, now(),
                                      with_outcome=allowed, service=contact.service)
        return status_and_offer(text, in_hours)
    if attempt < 2:
        problem = prompts.NO_REFERENCE_HEARD if not digits else prompts.REFERENCE_NOT_FOUND
        return ask_reference(attempt + 1, before=problem)
    return twiml.menu(settings(), greeting(session, call), attempt=1, notice=NOT_FOUND_MENU)


@bp.post("/status-check/next")
@twilio_signed
@live_call
def status_check_next():
    """After hearing a status: 1 it answered them, 2 connects to MASH (EDT out of hours), 3 asks for another
    reference; anything else ends kindly."""
    digits = (request.form.get("Digits") or "").strip()
    ctx = call_step("status_check_next", digits)
    if request.args.get("keys") != VERDICT_KEYS:
        digits = OLDER_KEYS.get(digits, "")
    if digits in ("1", "2"):
        save_verdict_answer(ctx.session, STATUS_CHECK, ctx.call.id, ANSWERED if digits == "1" else NEEDS_MORE, now())
    if digits == "2":
        return connect(ctx, urgent_route(is_open_now()))
    ctx.commit()
    if digits == "3":
        return ask_reference()
    return twiml.goodbye(settings(), prompts.VERDICT_THANKS if digits == "1" else prompts.THANKS_GOODBYE)
