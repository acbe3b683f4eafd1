"""The DSL's verdict after a voice status update: 1 it answered them, 2 puts them through to MASH (EDT when closed)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from db.verdicts import get_verdict_counts
from tests.call_support import failing_queries
from tests.callback_support import decide, only_callback, send
from tests.conftest import IN_HOURS, OUT_OF_HOURS, TEST_ENV
from tests.twilio_client import call_params, dialled, last_verb, said

pytestmark = pytest.mark.twilio_stand_in

QUESTION = "If this answered your question, press 1. If you still need to speak to someone, press 2."


def counts(engine) -> dict:
    with Session(engine) as session:
        return get_verdict_counts(session, IN_HOURS - timedelta(days=1), OUT_OF_HOURS + timedelta(days=1))


@pytest.fixture
def heard(app, engine, live, contact):
    """A status update rung through the Twilio stand-in: a person pressed 1 and heard it, then pressed nothing."""
    decide(app, engine, contact, "early_help")
    assert send(app, live) == 1
    assert QUESTION in " ".join(live.stand_in.log()["calls"][0]["said"])
    return only_callback(engine, contact)


def dialled_result(twilio, callback, status: str):
    """Twilio telling the transfer's action how the Dial ended."""
    transfer = next_url_of(verdict(twilio, callback, "2"))
    return twilio.twiml(transfer, call_params(Direction="outbound-api", DialCallStatus=status))


def next_url_of(doc) -> str:
    return doc.find("Dial").get("action")


def verdict(twilio, callback, digits: str | None):
    params = call_params(Direction="outbound-api")
    if digits is not None:
        params["Digits"] = digits
    return twilio.twiml(f"/voice/callback/{callback.id}?step=verdict", params)


def test_a_person_who_hears_the_update_is_asked_once_and_no_key_is_no_answer(engine, heard):
    assert counts(engine) == {"asked": 1, "answered_yes": 0, "needs_more": 0, "rate": 0.0}


def test_pressing_1_thanks_them_and_counts_the_update_as_answering_their_question(twilio, engine, heard):
    doc = verdict(twilio, heard, "1")
    assert said(doc) == "Thank you. Goodbye." and last_verb(doc) == "Hangup"
    assert counts(engine) == {"asked": 1, "answered_yes": 1, "needs_more": 0, "rate": 1.0}


def test_pressing_2_in_hours_puts_them_through_to_mash(twilio, engine, heard):
    doc = verdict(twilio, heard, "2")
    assert dialled(doc) == [TEST_ENV["MASH_NUMBER"]]
    assert said(doc) == "Putting you through to MASH."
    assert counts(engine)["needs_more"] == 1


@pytest.mark.parametrize("status", ["no-answer", "busy", "failed"])
def test_a_transfer_no_one_answers_gives_the_number_to_ring_never_silence(twilio, heard, status):
    doc = dialled_result(twilio, heard, status)
    assert said(doc) == ("No one could answer just now. Please ring 0 2 0, 7 9 4 6, 0 0 0 1 and choose from the menu. "
                         "Goodbye.")
    assert last_verb(doc) == "Hangup"


def test_a_finished_conversation_ends_the_call_without_a_word(twilio, heard):
    doc = dialled_result(twilio, heard, "completed")
    assert said(doc) == "" and [el.tag for el in doc] == ["Hangup"]


def test_pressing_2_still_puts_them_through_when_the_answer_cannot_be_saved(twilio, engine, heard):
    with failing_queries(engine, "UPDATE verdict"):
        doc = verdict(twilio, heard, "2")
    assert dialled(doc) == [TEST_ENV["MASH_NUMBER"]]
    assert counts(engine)["needs_more"] == 0


def test_pressing_2_out_of_hours_puts_them_through_to_the_emergency_duty_team(twilio, engine, clock, heard):
    clock.now = OUT_OF_HOURS
    assert dialled(verdict(twilio, heard, "2")) == [TEST_ENV["EDT_NUMBER"]]


def test_the_first_answer_stands_whatever_is_pressed_or_repeated_after_it(twilio, engine, heard):
    verdict(twilio, heard, "1")
    verdict(twilio, heard, "2")
    verdict(twilio, heard, "1")
    assert counts(engine) == {"asked": 1, "answered_yes": 1, "needs_more": 0, "rate": 1.0}


def test_another_key_says_goodbye_and_answers_nothing(twilio, engine, heard):
    assert said(verdict(twilio, heard, "9")) == "Goodbye."
    assert counts(engine)["answered_yes"] + counts(engine)["needs_more"] == 0


def test_an_answering_machine_is_never_asked(app, engine, live, contact):
    live.stand_in.answer = "machine"
    decide(app, engine, contact, "early_help")
    send(app, live)
    assert counts(engine)["asked"] == 0
