"""Which school is calling: caller-ID matching on arrival, and keypad URN entry for the advice routes."""
from __future__ import annotations

from flask import request, url_for
from twilio.twiml.voice_response import VoiceResponse

from db.models import SchoolMatch
from db.dsls import get_caller_matches
from db.schools import get_school
from ivr.twilio_auth import twilio_signed
from ivr.voice import twiml
from ivr.voice.blueprint import bp
from ivr.voice.failsafe import live_call
from ivr.voice.steps import StepContext, call_step, connect_service, settings
from routing.identify import (ASKING_SERVICES, UrnStep,
                              asks_for_urn, decide_confirm, decide_lookup, decide_urn_entry,
                              identify_from_matches, parse_urn, spoken_reason)
from routing.menu import MENU_TIMEOUT_S, parse_attempt
from routing.phone import WITHHELD
from routing.prompts import CONFIRMED, KNOWN_CALLER, READ_BACK, URN_PROMPT

URN_TIMEOUT_S = 8


def identify_by_caller_id(session, call) -> None:
    """Match the caller ID against the register and record the result; never asks the caller anything."""
    caller = call.caller
    urns, dsls = ([], []) if not caller or caller == WITHHELD else get_caller_matches(session, caller)
    found = identify_from_matches(caller, urns, dsls)
    call.school_urn, call.school_match, call.dsl_id = found.urn, found.method, found.dsl_id


def identify_or_connect(ctx: StepContext, service: str) -> VoiceResponse:
    """An advice route: name the school found by caller ID and connect, or ask for the URN first."""
    session, call = ctx.session, ctx.call
    if asks_for_urn(service, call.school_urn):
        ctx.commit()
        return urn_prompt(service, attempt=1)
    known = service in ASKING_SERVICES and call.school_urn is not None
    school = get_school(session, call.school_urn) if known else None  # read before the step commits
    resp = connect_service(ctx, service)
    if school is not None:
        _say_first(resp, KNOWN_CALLER.format(name=school.name))
    return resp


def urn_prompt(service: str, attempt: int, reprompt: str | None = None) -> VoiceResponse:
    """Ask for the 6-digit URN, finished by hash; star skips (it arrives as the digit '*')."""
    action = url_for("voice.identify", service=service, attempt=attempt)
    return _gather(action, [reprompt, URN_PROMPT], num_digits=None, finish_on_key="#", timeout=URN_TIMEOUT_S)


def read_back(service: str, attempt: int, urn: int, name: str) -> VoiceResponse:
    """Say the school's name and ask for 1 to confirm or 2 to try again."""
    action = url_for("voice.identify_confirm", service=service, attempt=attempt, urn=urn)
    return _gather(action, [READ_BACK.format(name=name)], num_digits=1, finish_on_key=None,
                   timeout=MENU_TIMEOUT_S)


def _gather(action: str, lines: list[str | None], num_digits, finish_on_key, timeout) -> VoiceResponse:
    resp = VoiceResponse()
    gather = twiml.gather(settings(), action, num_digits=num_digits, finish_on_key=finish_on_key, timeout=timeout)
    for line in filter(None, lines):
        twiml.say(gather, settings(), line)
    resp.append(gather)
    # Twilio without actionOnEmptyResult falls through to here: post the empty answer ourselves.
    resp.redirect(action, method="POST")
    return resp


def _say_first(resp: VoiceResponse, text: str) -> None:
    """Put a sentence before the rest of a document (the transfer or the message that follows)."""
    resp.verbs.insert(0, twiml.say_element(settings(), text))


def _service() -> str:
    """The advice service from the URL; anything else is an error, so the fail-safe sends the caller to MASH."""
    service = request.args.get("service")
    if service not in ASKING_SERVICES:
        raise ValueError(f"identification for an unexpected service {service!r}")
    return service


def _carry_on(ctx: StepContext, service: str, attempt: int, step: UrnStep) -> VoiceResponse:
    """Retry the URN, or connect the service (confirmed, skipped, or unidentified after two failures)."""
    if step.action == "retry":
        ctx.commit()
        return urn_prompt(service, attempt + 1, spoken_reason(step))
    note = spoken_reason(step)
    if step.action == "confirm":
        ctx.call.school_urn, ctx.call.school_match = step.urn, SchoolMatch.URN_KEYPAD
        note = CONFIRMED
    resp = connect_service(ctx, service)
    if note:
        _say_first(resp, note)
    return resp


def _step(name: str, detail: str = ""):
    """An identification webhook's service, attempt and keys, with its call; the keys are recorded as a step."""
    service = _service()
    attempt = parse_attempt(request.args.get("attempt"))
    digits = request.form.get("Digits")
    return service, attempt, digits, call_step(name, digits, f"{service} attempt {attempt}{detail}")


@bp.post("/identify")
@twilio_signed
@live_call
def identify():
    """The URN typed at the prompt: read the school back, re-prompt, skip, or give up."""
    service, attempt, digits, ctx = _step("identify")
    step = decide_urn_entry(digits, attempt)
    if step.action == "lookup":
        school = get_school(ctx.session, step.urn)
        step = decide_lookup(step.urn, school is not None, attempt)
        if step.action == "read_back":
            ctx.commit()
            return read_back(service, attempt, school.urn, school.name)
    return _carry_on(ctx, service, attempt, step)


@bp.post("/identify/confirm")
@twilio_signed
@live_call
def identify_confirm():
    """1 confirms the school read back; 2 (or anything else) tries again; star skips."""
    urn = parse_urn(request.args.get("urn"))
    service, attempt, digits, ctx = _step("identify_confirm", f" urn {urn}")
    step = decide_confirm(digits, urn, attempt)
    if step.action == "confirm" and get_school(ctx.session, step.urn) is None:
        step = decide_lookup(step.urn, False, attempt)  # removed from the register since it was read back
    return _carry_on(ctx, service, attempt, step)
