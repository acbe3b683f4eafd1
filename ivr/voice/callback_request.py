"""A busy line's callback request: the caller's own number read back and confirmed, or a typed UK number."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import request, url_for
from twilio.twiml.voice_response import VoiceResponse

from callbacks.schedule import working_time_after
from db.models import Route
from ivr.twilio_auth import twilio_signed
from ivr.voice import twiml
from ivr.voice.blueprint import bp
from ivr.voice.failsafe import live_call
from ivr.voice.steps import (StepContext, call_step, hold_typed_number, is_open_now, line_state, now, settings,
                             take_message)
from messages.states import receive_callback_request
from routing import prompts
from routing.phone import is_uk_number
from routing.prompts import SERVICE_NAMES
from routing.references import day_spoken, typed_number, when_spoken
from routing.spoken import national, spoken_digits

MAX_NUMBER_TRIES = 2  # typed numbers; the caller's own number, read back first, is try 0
SERVICES = (Route.DSL_INFOLINE, Route.EARLY_HELP)


def _attempt() -> int:
    """The typed tries made so far, from the URL (0: the caller's own number was read back); anything odd counts
    as the last."""
    raw = request.args.get("attempt", "")
    return int(raw) if raw.isdigit() and int(raw) <= MAX_NUMBER_TRIES else MAX_NUMBER_TRIES


def _service() -> str:
    service = request.args.get("service", Route.DSL_INFOLINE)
    return service if service in SERVICES else Route.DSL_INFOLINE


def call_back_due(service: str) -> datetime:
    """When a request made now is to be called back by: CALLBACK_TARGET working hours on, by the service's hours."""
    return working_time_after(line_state().hours[service], now(), timedelta(hours=settings().callback_target_hours))


def offer_after_unanswered(service: str) -> VoiceResponse:
    """A busy line's offer: in hours, to be called back (on the day the target falls), MASH, or a message."""
    in_hours = is_open_now()
    when = day_spoken(call_back_due(service), now()) if in_hours else None  # closed: nobody could call back soon
    return twiml.offer_mash_or_message(settings(), service, in_hours, when)


def ask_number(service: str, attempt: int, before: str | None = None) -> VoiceResponse:
    """Ask for the UK number to be called back on (a landline or a mobile)."""
    text = f"{before} {prompts.ASK_CALL_BACK_NUMBER}" if before else prompts.ASK_CALL_BACK_NUMBER
    return twiml.ask_number(settings(), url_for("voice.callback_number", service=service, attempt=attempt), text)


def read_back(number: str, service: str, attempt: int) -> VoiceResponse:
    """The number digit by digit: 1 confirms it, 2 gives another (while a try is left)."""
    text = prompts.CALL_BACK_ON.format(number=spoken_digits(national(number)))
    if attempt < MAX_NUMBER_TRIES:
        text = f"{text} {prompts.GIVE_ANOTHER_NUMBER}"
    return twiml.ask(settings(), url_for("voice.callback_confirm", service=service, attempt=attempt), text)


def start_call_back(ctx: StepContext, service: str) -> VoiceResponse:
    """Pressed 2: read back the caller's own UK number, or ask for one when it is withheld or not UK."""
    own = ctx.call.caller if is_uk_number(ctx.call.caller) else None
    if own is not None and ctx.is_new:
        ctx.call.text_to = own  # held like a typed number, so the confirmation reads it from one place
    ctx.commit()
    return read_back(own, service, attempt=0) if own is not None else ask_number(service, attempt=1)


@bp.post("/callback-request/number")
@twilio_signed
@live_call
def callback_number():
    """Check the typed number is a UK one and read it back; otherwise ask once more, then take a message."""
    service, attempt = _service(), _attempt()
    digits = request.form.get("Digits") or ""
    number = typed_number(digits)
    ctx = hold_typed_number("callback_number", number,
                            "a UK number" if number else f"not a UK number, attempt {attempt}")
    if number is not None:
        ctx.commit()
        return read_back(number, service, attempt)
    problem = prompts.NOT_A_UK_NUMBER if digits.strip("#* ") else prompts.NO_MOBILE_HEARD
    if attempt < MAX_NUMBER_TRIES:
        ctx.commit()
        return ask_number(service, attempt + 1, before=problem)
    return take_message(ctx, service, urgent=False, before=f"{problem} {prompts.NO_CALL_BACK}")


@bp.post("/callback-request")
@twilio_signed
@live_call
def callback_confirm():
    """1 puts the request in the service's inbox with its target time; 2 gives another number; anything else,
    silence too, takes a message instead, so no caller leaves with nothing."""
    service, attempt = _service(), _attempt()
    digits = (request.form.get("Digits") or "").strip()
    ctx = call_step("callback_confirm", digits, service)
    number, ctx.call.text_to = ctx.call.text_to, None  # confirmed (then it is on the inbox entry) or not: it goes
    due = call_back_due(service)
    thanks = prompts.CALL_BACK_BY.format(Service=prompts.capitalised(SERVICE_NAMES[service]),
                                         when=when_spoken(due, now()))
    if digits == "1" and (number is not None or not ctx.is_new):  # or Twilio's repeat of one already taken
        if number is not None:
            # No safety net here: an entry that cannot be written is a fault the fail-safe answers.
            receive_callback_request(ctx.session, ctx.call, service, number, due, now())
        ctx.commit()
        return twiml.goodbye(settings(), thanks)
    if digits == "2" and attempt < MAX_NUMBER_TRIES:
        ctx.commit()
        return ask_number(service, attempt + 1)
    return take_message(ctx, service, urgent=False)
