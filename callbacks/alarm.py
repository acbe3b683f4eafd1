"""Urgent alerts: ring the duty numbers in order, one outbox row per step, until one accepts or staff close it."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlmodel import Session

from callbacks import messages, outbox
from db.alerts import (get_alert_subject, get_calls_wanting_first_alert, get_escalating_steps, save_acknowledgement,
                       save_alert_cancelled)
from db.audit import save_audit_event
from db.contacts import get_contact_for_call
from db.messages import save_message_for_call
from db.models import Call, Callback
from db.outbox import save_once
from db.session import statement_savepoint
from routing.phone import is_uk_mobile, mask_number
from routing.transfer import ANSWERED
from routing.vocabulary import CALLBACK_REQUEST, Route

log = logging.getLogger("callbacks.alarm")

ESCALATE_BATCH = 200
# The fail-safe saves a call's dial status in the background: an ended call is judged only once that has landed.
FAILSAFE_SETTLE = timedelta(seconds=5)
SWEEP_WINDOW = timedelta(days=1)  # older urgent calls are long in the inbox, highlighted; nobody is rung for them
CALL_OVER = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


def _alert(session: Session, call_id: int) -> messages.Alert:
    """The alert's words' facts, read afresh for each step (the school may have been identified meanwhile)."""
    call, message, school = get_alert_subject(session, call_id)
    contact = get_contact_for_call(session, call_id)
    unanswered = call.recording_url is None  # no message was left: a fail-safe call no one answered
    at = (call.ended_at or call.started_at) if unanswered or message is None else message.created_at
    return messages.Alert(message.service if message is not None else (call.route or Route.MASH), school,
                          call.caller, at, contact.reference if contact else None, unanswered_call=unanswered)


def step_rows(call_id: int, step: int, numbers: tuple[str, ...], alert: messages.Alert,
              now: datetime) -> list[Callback]:
    """Step n rings the n-th duty number (round and round the list), and texts it too if it is a UK mobile."""
    number = numbers[step % len(numbers)]
    channels = {"voice": messages.alert_voice_text(alert)}
    if is_uk_mobile(number):
        channels["sms"] = messages.alert_sms_text(alert)
    return [Callback(call_id=call_id, alert_step=step, kind=outbox.ALERT, channel=channel, to_number=number,
                     body=body, due_at=now, dedupe_key=f"alert:{call_id}:{step}:{channel}", created_at=now,
                     updated_at=now)  # due at once, at any hour
            for channel, body in channels.items()]


def queue_step(session: Session, call_id: int, step: int, settings, now: datetime) -> bool:
    """Queue one step of a call's alert, once however many workers try; True if this call queued it."""
    numbers = settings.duty_numbers_at(now)
    if not numbers:
        # Production refuses to start without DUTY_NUMBERS; elsewhere say loudly that nothing rang.
        log.error("urgent alert not raised: no DUTY_NUMBERS", extra={"event": "alert_no_numbers", "call_id": call_id})
        return False
    rows = step_rows(call_id, step, numbers, _alert(session, call_id), now)
    queued = [save_once(session, row) for row in rows]
    if queued[0] is None:
        return False  # another worker, or a repeated webhook, queued this step already
    save_alert_cancelled(session, call_id, "superseded: the next duty number is rung", now, before_step=step)
    log.info("urgent alert step queued", extra={"event": "alert_step", "call_id": call_id, "step": step,
                                                "to_number": mask_number(rows[0].to_number)})
    return True


def raise_alert(session: Session, call: Call, settings, now: datetime) -> None:
    """An urgent message was recorded: ring the first duty number now. Never lets a failure cost the caller their
    goodbye: the worker's sweep (`raise_missed`) rings for any urgent message left without a first step."""
    try:
        with statement_savepoint(session):
            queue_step(session, call.id, 0, settings, now)
    except Exception:
        log.error("could not raise an urgent alert; the worker will", exc_info=True,
                  extra={"event": "alert_failed", "call_sid": call.call_sid})


def _each_in_its_own_transaction(session: Session, call_ids, queue) -> int:
    """queue(call_id) for each call, committing each apart: one alert that fails never stops the others."""
    queued = 0
    for call_id in call_ids:
        try:
            queued += queue(call_id)
            session.commit()
        except Exception:
            session.rollback()
            log.error("could not queue an urgent alert step; tried again next run", exc_info=True,
                      extra={"event": "alert_failed", "call_id": call_id})
    return queued


def _first_step(session: Session, call_id: int, settings, now: datetime) -> bool:
    """Ring for a call the webhook could not; a fail-safe call no one answered also goes in the line's inbox, urgent,
    as a request to call its caller back, so staff own it (and closing it stops the alert)."""
    call = session.get(Call, call_id)
    if call.failsafe and call.recording_url is None:
        known = call.caller if (call.caller or "").startswith("+") else None
        # The fail-safe keeps a route it found (VOICEMAIL, STATUS_CHECK, a non-urgent line): the entry goes to the
        # urgent line that failed to answer, which a team sees.
        line = call.route if call.route in Route.URGENT_LINES else (Route.MASH if call.in_hours else Route.EDT)
        save_message_for_call(session, call, now, line, CALLBACK_REQUEST if known else "message",
                              known, now if known else None, urgent=True)
    return queue_step(session, call_id, 0, settings, now)


def raise_missed(session: Session, settings, now: datetime) -> int:
    """Ring for every urgent message, and every fail-safe call over unanswered, that has no first step yet."""
    if not settings.duty_numbers_at(now):
        return 0  # nothing can ring: raise_alert said so when the message came
    call_ids = get_calls_wanting_first_alert(session, now - SWEEP_WINDOW, now - FAILSAFE_SETTLE,
                                             answered=ANSWERED, over=CALL_OVER, limit=ESCALATE_BATCH)
    session.rollback()  # the read's transaction ends before the writes, so each write is its own
    return _each_in_its_own_transaction(session, call_ids, lambda call_id: _first_step(session, call_id, settings,
                                                                                        now))


def escalate(session: Session, settings, now: datetime) -> int:
    """Queue the next step of every open alert whose current step failed or waited too long unaccepted."""
    wait = timedelta(seconds=settings.alert_escalate_after)
    due = {latest.call_id: latest.alert_step + 1 for latest in get_escalating_steps(session, ESCALATE_BATCH)
           if outbox.next_alert_step_due(latest, now, wait)}
    session.rollback()
    return _each_in_its_own_transaction(session, list(due),
                                        lambda call_id: queue_step(session, call_id, due[call_id], settings, now))


def acknowledge(session: Session, callback: Callback, now: datetime) -> bool:
    """A duty number pressed 1: record who and when on the call, audit it, and stop the escalation."""
    first = save_acknowledgement(session, callback, outbox.ACCEPTED, now)  # one transaction with all below
    if first:
        save_alert_cancelled(session, callback.call_id, "the alert was accepted", now)
        save_audit_event(session, callback.to_number, "alert_acknowledged",
                         f"call {callback.call_id}: urgent alert accepted (step {callback.alert_step})", at=now)
        log.info("urgent alert accepted", extra={"event": "alert_acknowledged", "call_id": callback.call_id,
                                                 "step": callback.alert_step})
    session.commit()
    return first


def stop_for_closed(session: Session, call_id: int, now: datetime) -> None:
    """Staff closed the message: its alert's steps not yet sent are cancelled (the caller commits)."""
    save_alert_cancelled(session, call_id, "the message was closed", now)
