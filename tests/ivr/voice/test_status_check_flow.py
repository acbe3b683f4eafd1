"""Menu option 4: a DSL types a reference, hears where the contact stands, says whether that answered them, and
may still press 2 for MASH."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session

from contacts.states import save_status
from db.calls import get_call_by_sid
from db.models import Route
from db.verdicts import get_verdict_counts
from tests.call_support import press, start
from tests.callback_support import SWITCHBOARD, add_contact, add_school
from tests.conftest import IN_HOURS, OUT_OF_HOURS, TEST_ENV
from tests.twilio_client import call_params, dialled, last_verb, said


@pytest.fixture
def contact(engine):
    with Session(engine, expire_on_commit=False) as session:
        add_school(session)
        return add_contact(session, IN_HOURS, promised_by=datetime(2026, 11, 25, 17, 30, tzinfo=timezone.utc))


def option_4(twilio, **extra):
    return press(twilio, start(twilio, **extra), "4", **extra)


def route_of(engine) -> str:
    with Session(engine) as session:
        return get_call_by_sid(session, call_params()["CallSid"]).route


def test_pressing_4_asks_for_the_six_digit_reference_ending_with_hash(twilio, engine):
    doc = option_4(twilio)
    gather = doc.find("Gather")
    assert (gather.get("numDigits"), gather.get("finishOnKey"), gather.get("input")) == ("6", "#", "dtmf")
    assert "enter the 6-digit contact reference, then press hash" in said(doc)
    assert route_of(engine) == Route.STATUS_CHECK


def test_a_known_reference_is_read_back_with_its_status_and_the_expected_decision_time(twilio, contact):
    doc = press(twilio, option_4(twilio), contact.reference)
    spoken_reference = " ".join(contact.reference)
    assert f"Contact reference {spoken_reference} is received." in said(doc)
    # Said as "five thirty P M on Wednesday the twenty-fifth of November" (see tests/test_spoken_numbers.py).
    assert "We expect a decision by 5 30 pm on Wednesday the 25 of November." in said(doc)
    assert ("If this answered your question, press 1. If you still need to speak to someone, press 2. "
            "If your concern is urgent, press 2 for MASH.") in said(doc)


def test_a_decided_contact_gives_the_outcome_in_plain_words_but_never_the_written_reason(app, twilio, engine,
                                                                                          contact):
    with Session(engine) as session:
        save_status(session, contact.reference, "decided", outcome="no_further_action", reason_code="school_support",
                    note="Parent spoken to",
                    actor="Sam Staff", settings=app.config["SETTINGS"], now=IN_HOURS)
    doc = press(twilio, option_4(twilio, caller=SWITCHBOARD), contact.reference + "#", caller=SWITCHBOARD)
    assert "has a decision. The outcome is: no further action." in said(doc)
    assert "Parent spoken to" not in said(doc)


def verdicts(engine) -> dict:
    with Session(engine) as session:
        return get_verdict_counts(session, IN_HOURS - timedelta(days=1), OUT_OF_HOURS + timedelta(days=1))


def test_after_hearing_the_status_pressing_2_connects_to_mash_and_counts_as_needing_more(twilio, engine, contact):
    doc = press(twilio, press(twilio, option_4(twilio), contact.reference), "2")
    assert dialled(doc) == [TEST_ENV["MASH_NUMBER"]]
    assert route_of(engine) == Route.MASH
    assert verdicts(engine) == {"asked": 1, "answered_yes": 0, "needs_more": 1, "rate": 0.0}


def test_pressing_1_after_the_status_thanks_the_caller_and_counts_as_answered(twilio, engine, contact):
    doc = press(twilio, press(twilio, option_4(twilio), contact.reference), "1")
    assert said(doc) == "Thank you. Goodbye." and last_verb(doc) == "Hangup"
    assert verdicts(engine) == {"asked": 1, "answered_yes": 1, "needs_more": 0, "rate": 1.0}


def test_out_of_hours_pressing_2_after_the_status_reaches_the_emergency_duty_team(twilio, clock, contact):
    clock.now = OUT_OF_HOURS
    doc = press(twilio, option_4(twilio), contact.reference)
    assert "press 2 for the Emergency Duty Team" in said(doc)
    assert dialled(press(twilio, doc, "2")) == [TEST_ENV["EDT_NUMBER"]]


def test_silence_after_the_status_ends_the_call_with_a_goodbye(twilio, engine, contact):
    doc = press(twilio, press(twilio, option_4(twilio), contact.reference), None)
    assert said(doc) == "Thank you for calling. Goodbye."
    assert last_verb(doc) == "Hangup"
    assert route_of(engine) == Route.STATUS_CHECK
    assert verdicts(engine) == {"asked": 1, "answered_yes": 0, "needs_more": 0, "rate": 0.0}


def test_an_unknown_reference_is_asked_for_once_more_then_the_menu_returns(twilio, contact):
    wrong = "999999" if contact.reference != "999999" else "888888"
    again = press(twilio, option_4(twilio), wrong)
    assert said(again).startswith("Sorry, that reference was not found. Please enter the 6-digit contact reference")
    assert again.find("Gather").get("numDigits") == "6"
    menu = press(twilio, again, wrong)
    assert said(menu).startswith("That reference was not found.")
    assert "press 1" in said(menu) and "press 4" in said(menu)


def test_the_second_try_may_succeed(twilio, contact):
    again = press(twilio, option_4(twilio), "12")
    assert "Sorry, that reference was not found." in said(again)
    assert f"Contact reference {' '.join(contact.reference)}" in said(press(twilio, again, contact.reference))


def test_no_keys_at_all_says_the_reference_was_not_heard(twilio, contact):
    assert said(press(twilio, option_4(twilio), None)).startswith("Sorry, I did not hear a reference.")


def test_garbage_keys_are_treated_as_a_wrong_reference_not_an_error(twilio, contact):
    doc = press(twilio, option_4(twilio), "12ab*#")
    assert said(doc).startswith("Sorry, that reference was not found.")


def test_a_caller_who_heard_the_older_keys_before_a_deploy_still_gets_mash_for_1(twilio, engine, contact):
    press(twilio, option_4(twilio), contact.reference)
    doc = twilio.twiml("/voice/status-check/next", call_params(Digits="1"))  # the URL before the verdict
    assert dialled(doc) == [TEST_ENV["MASH_NUMBER"]]
    again = twilio.twiml("/voice/status-check/next", call_params(Digits="2", CallSid="CA" + "7" * 32))
    assert "contact reference" in said(again)
