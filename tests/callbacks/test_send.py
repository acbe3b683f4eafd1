"""Callbacks end to end: the app on loopback HTTP, the worker, and the Twilio stand-in calling back, signed."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from db.models import Contact
from tests.call_support import press, start
from tests.callback_support import (IVR_NUMBER, MOBILE, SWITCHBOARD, add_contact, add_school, callbacks_of, decide,
                                    only_callback, send)
from tests.conftest import IN_HOURS, OUT_OF_HOURS
from tests.twilio_client import call_params, said

pytestmark = pytest.mark.twilio_stand_in

EVENING = IN_HOURS.replace(hour=19)
NEXT_MORNING = IN_HOURS + timedelta(days=1, hours=-1, minutes=-30)  # Wednesday 08:30


def test_a_dsl_calling_from_a_mobile_gets_the_reference_by_text_straight_after_the_call_even_at_night(
        app, twilio, engine, clock, live):
    clock.now = OUT_OF_HOURS
    press(twilio, start(twilio, caller=MOBILE), "1", caller=MOBILE)
    assert twilio.post("/voice/status", call_params(caller=MOBILE, CallStatus="completed", CallDuration="40")
                       ).status_code == 204
    assert send(app, live) == 1
    [sms] = live.stand_in.log()["messages"]
    [callback] = callbacks_of(engine)
    with Session(engine) as session:
        reference = session.exec(select(Contact)).one().reference
    assert (sms["to"], sms["from"]) == (MOBILE, IVR_NUMBER)
    assert sms["body"].startswith(f"Warwickshire MASH, contact reference {reference}: we have received your contact.")
    assert "We aim to decide by 5:30pm on Wednesday 25 November" in sms["body"]
    assert sms["events"] == ["sent", "delivered"]
    assert (callback.state, callback.attempts, callback.twilio_sid) == ("delivered", 1, sms["sid"])


def test_a_landline_caller_gets_no_reference_text(app, twilio, engine, live):
    press(twilio, start(twilio, caller=SWITCHBOARD), "1", caller=SWITCHBOARD)
    twilio.post("/voice/status", call_params(caller=SWITCHBOARD, CallStatus="completed"))
    assert callbacks_of(engine) == [] and send(app, live) == 0


def test_a_decision_rings_the_school_and_a_person_hears_the_outcome_from_our_signed_twiml(app, engine, live,
                                                                                         contact):
    decide(app, engine, contact, "early_help")
    assert send(app, live) == 1
    [call] = live.stand_in.log()["calls"]
    assert (call["to"], call["from"], call["machine_detection"]) == (SWITCHBOARD, IVR_NUMBER, "DetectMessageEnd")
    assert call["twiml_status"] == 200  # our app accepted the stand-in's signature
    heard = " ".join(call["said"])
    assert f"contact reference {' '.join(contact.reference)}" in heard
    assert "passed to Early Help" in heard and "Early Help will contact the family" in heard
    assert ("If this answered your question, press 1. If you still need to speak to someone, press 2. "
            "To hear this again, press 3.") in heard
    callback = only_callback(engine, contact)
    assert (callback.state, callback.attempts) == ("delivered", 1)
    assert callback.last_status == "completed (human), heard: a person pressed for the update"


def test_an_answering_machine_is_left_the_reference_only(app, engine, live, contact):
    live.stand_in.answer = "machine"
    decide(app, engine, contact, "no_further_action", reason_code="below_threshold")
    send(app, live)
    heard = " ".join(live.stand_in.log()["calls"][0]["said"])
    assert " ".join(contact.reference) in heard
    assert "no further action" not in heard and "Threshold" not in heard
    assert only_callback(engine, contact).state == "delivered"


def test_busy_or_no_answer_is_retried_three_times_at_least_30_minutes_apart_then_fails(app, engine, clock, live,
                                                                                        contact):
    live.stand_in.script(SWITCHBOARD, "busy", "no-answer", "busy", "no-answer")
    decide(app, engine, contact)
    tries = []
    for _ in range(4):
        callback = only_callback(engine, contact)
        clock.now = callback.due_at
        tries.append(clock.now)
        assert send(app, live) == 1
    callback = only_callback(engine, contact)
    assert (callback.state, callback.attempts) == ("failed", 4)
    assert "no-answer after 4 attempts" in callback.last_error
    assert all(later - earlier >= timedelta(minutes=30) for earlier, later in zip(tries, tries[1:]))
    assert all(app.config["SETTINGS"].opening_hours.is_open(t) for t in tries)
    assert len(live.stand_in.log()["calls"]) == 4


def test_a_retry_that_is_answered_is_delivered(app, engine, clock, live, contact):
    live.stand_in.script(SWITCHBOARD, "busy")
    decide(app, engine, contact)
    send(app, live)
    clock.now = only_callback(engine, contact).due_at
    send(app, live)
    callback = only_callback(engine, contact)
    assert (callback.state, callback.attempts) == ("delivered", 2)


def test_twilio_repeating_a_status_callback_does_not_add_a_retry(app, engine, twilio, live, contact):
    live.stand_in.answer = "busy"
    decide(app, engine, contact)
    send(app, live)
    before = only_callback(engine, contact)
    [webhook] = [w for w in live.stand_in.log()["webhooks"] if "callback-status" in w["url"]]
    path = webhook["url"][len(live.app_url):]
    assert twilio.post(path, webhook["params"]).status_code == 204
    after = only_callback(engine, contact)
    assert (after.state, after.attempts, after.due_at) == (before.state, before.attempts, before.due_at)


def test_an_undelivered_text_is_marked_failed_with_twilios_error(app, engine, live):
    live.stand_in.sms_outcome = "undelivered"
    with Session(engine, expire_on_commit=False) as session:
        add_school(session, numbers={MOBILE: "DSL mobile"})
        contact = add_contact(session, IN_HOURS, caller=MOBILE)
    decide(app, engine, contact)
    send(app, live)
    callback = only_callback(engine, contact)
    assert (callback.channel, callback.state) == ("sms", "failed")
    assert callback.last_error == "undelivered (Twilio error 30003)"


def test_a_decision_made_in_the_evening_waits_for_the_morning(app, engine, clock, live, contact):
    clock.now = EVENING
    decide(app, engine, contact, now=EVENING)
    assert send(app, live) == 0
    clock.now = NEXT_MORNING
    assert send(app, live) == 1
    assert only_callback(engine, contact).state == "delivered"


def test_when_twilio_cannot_be_reached_the_callback_is_tried_again_later(app, engine, clock, live, contact):
    settings = app.config["SETTINGS"]
    app.config["SETTINGS"] = dataclasses.replace(settings, twilio_api_base_url="http://127.0.0.1:9")
    decide(app, engine, contact)
    assert send(app, live) == 0
    callback = only_callback(engine, contact)
    assert (callback.state, callback.attempts) == ("scheduled", 1)
    assert callback.last_error == "Twilio could not be reached: ConnectionError"
    assert callback.due_at == IN_HOURS + timedelta(minutes=30)
    app.config["SETTINGS"] = settings
    clock.now = callback.due_at
    assert send(app, live) == 1
    assert only_callback(engine, contact).state == "delivered"


def test_pressing_3_after_a_voice_callback_repeats_it_and_silence_says_goodbye(app, engine, twilio, live, contact):
    decide(app, engine, contact, "social_care_assessment")
    callback = only_callback(engine, contact)
    params = call_params(Direction="outbound-api", Digits="3")
    again = twilio.twiml(f"/voice/callback/{callback.id}?step=verdict", params)
    assert callback.body in said(again) and "To hear this again, press 3." in said(again)
    params.pop("Digits")
    assert said(twilio.twiml(f"/voice/callback/{callback.id}?step=verdict", params)) == "Goodbye."


def test_a_call_in_progress_when_the_verdict_came_in_can_still_press_1_to_hear_it_again(app, engine, twilio, live,
                                                                                       contact):
    decide(app, engine, contact, "social_care_assessment")
    callback = only_callback(engine, contact)
    again = twilio.twiml(f"/voice/callback/{callback.id}?repeat=1", call_params(Direction="outbound-api", Digits="1"))
    assert callback.body in said(again)


def test_a_callback_twiml_request_for_an_unknown_callback_still_gives_the_number_to_ring(twilio, live):
    doc = twilio.twiml("/voice/callback/424242", call_params(Direction="outbound-api", AnsweredBy="human"))
    assert said(doc) == ("This is Warwickshire MASH with an update on your contact. "
                         "Please ring 0 2 0, 7 9 4 6, 0 0 0 1.")
    assert doc.find("Hangup") is not None
