"""Shared call steps: connect a route, take a message, connect a chosen service."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from flask import current_app, g, request
from sqlmodel import Session

from callbacks.planner import send_reference
from contacts.states import close_unanswered, open_contact
from db.calls import get_or_create_call, save_step
from db.models import Call, Route
from db.session import get_write_session
from ivr.voice import twiml
from ivr.voice.record import TERMINAL_STATUSES, set_route
from ivr.webhook import settings
from ivr.line_settings import current_line
from routing import prompts
from routing.prompts import SERVICE_NAMES
from routing.line import LineState
from routing.transfer import decide_service_connection
from trials.assign import variant_wording


def now():
    """This request's moment from the app's clock, read once so every stamp and the hours agree."""
    if "now" not in g:
        g.now = current_app.config["CLOCK"]()
    return g.now


def line_state() -> LineState:
    """The line's settings (hours, closures, announcement, emergency mode, wording) for this request."""
    return current_line().state


def is_open_now() -> bool:
    """Whether MASH is open at this moment (else urgent calls go to EDT), worked out once per request."""
    if "in_hours" not in g:
        g.in_hours = line_state().is_open(Route.MASH, now())
    return g.in_hours


def greeting(session, call) -> list[str]:
    """The menu this call hears now: the published wording (or its trial variant) shaped by the line's settings."""
    state = line_state()
    return state.greeting(variant_wording(session, call, state.wording), now())


# Left out of a step's key: Twilio's delivery stamps differ between retries, and the caller's number
# must not be recoverable from a key that outlives its anonymisation.
UNKEYED_FIELDS = frozenset({"Timestamp", "SequenceNumber", "From", "Caller"})


def step_key(unkeyed: frozenset[str] = frozenset()) -> str:
    """This webhook request's key, to spot Twilio's repeated deliveries: an HMAC keyed with the app's secret."""
    left_out = UNKEYED_FIELDS | unkeyed
    items = sorted((k, str(v)) for k, v in request.form.items() if k not in left_out)
    message = repr((request.full_path, items)).encode()
    return hmac.new(current_app.secret_key.encode(), message, hashlib.sha256).hexdigest()


def caller_gone() -> bool:
    """Whether Twilio says the caller has hung up: it still requests a <Dial> or <Record> action then."""
    return (request.form.get("CallStatus") or "").strip().lower() in TERMINAL_STATUSES


@dataclass
class StepContext:
    """One webhook's step of a live call: its session, the call, and whether this delivery is the step's first."""

    session: Session
    call: Call
    is_new: bool

    def commit(self) -> None:
        """Keep this step's changes, unless it is a late repeat: then answer alike but change nothing."""
        if self.is_new:
            self.session.commit()
        else:
            self.session.rollback()


def call_step(step: str, digits: str | None = None, detail: str | None = None,
              unkeyed: frozenset[str] = frozenset()) -> StepContext:
    """This webhook's call and step, recorded once; a repeated delivery changes nothing when it commits.

    `unkeyed` names form fields left out of the step's key too: a typed phone number must not be recoverable
    from a key that outlives it."""
    # Everything that needs no database is worked out before the write lock is taken, so it is held briefly.
    call_sid, in_hours, at, key = request.form["CallSid"], is_open_now(), now(), step_key(unkeyed)
    session = get_write_session()
    call = get_or_create_call(session, call_sid, in_hours, at)
    return StepContext(session, call, save_step(session, call, step, key, at, digits, detail))


def hold_typed_number(step: str, number: str | None, detail: str) -> StepContext:
    """The step of a typed number: neither its digits nor its key keep the number, which waits on the call
    (`text_to`) until it is confirmed or the call ends, cleared like the caller's own number."""
    ctx = call_step(step, None, detail, unkeyed=frozenset({"Digits"}))
    if ctx.is_new:
        ctx.call.text_to = number
    return ctx


def connect(ctx: StepContext, route: str, attempt: int = 1, service: str | None = None):
    """Route the call and transfer it; a MASH route opens a contact."""
    set_route(ctx.call, route, now(), service)
    if ctx.call.ended_at is not None:
        call_ended(ctx.session, ctx.call)  # Twilio's status callback came first (this webhook was late): end it now
    else:
        open_contact(ctx.session, ctx.call, settings(), now())
    ctx.commit()
    return twiml.dial(settings(), route, attempt)


def call_ended(session, call) -> None:
    """The call ended: a MASH caller on a mobile gets their reference by text, whatever order webhooks came in."""
    # A MASH call with no contact yet (the fail-safe answered it, or the webhook that routed it was lost)
    # opens one now, so its caller still gets a reference; a contact already open is kept as it is.
    open_contact(session, call, settings(), now())
    if not close_unanswered(session, call, settings(), now()):
        send_reference(session, call, settings(), now())  # no "logged under this reference" for a call no one took


def take_message(ctx: StepContext, service: str, urgent: bool, reason: str | None = None,
                 before: str | None = None):
    """Ask for a short message for a service (after `before`, when something else could not be done)."""
    set_route(ctx.call, Route.VOICEMAIL, now(), service)
    ctx.call.service = service
    ctx.commit()
    name = SERVICE_NAMES.get(service, "MASH")
    if reason == "closed":
        prompt = prompts.LEAVE_MESSAGE_CLOSED.format(Service=prompts.capitalised(name))
    elif urgent:
        prompt = prompts.LEAVE_MESSAGE_URGENT.format(service=name)
    else:
        prompt = prompts.LEAVE_MESSAGE.format(service=name)
    return twiml.record(settings(), f"{before} {prompt}" if before else prompt, service, urgent)


def connect_service(ctx: StepContext, service: str):
    """Connect a chosen non-urgent service, or take a message when it is closed (after its closure's sentence)."""
    decision = decide_service_connection(service, line_state().is_open(service, now()))
    if decision.action == "connect":
        return connect(ctx, service)
    closure = line_state().closure(service, now())
    return take_message(ctx, service, urgent=False, reason="closed", before=closure.say if closure else None)
