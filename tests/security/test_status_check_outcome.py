"""Attack: anyone who knows or guesses a reference (900,000 of them) hears its outcome through option 4."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import Session

from contacts.states import save_status
from tests.call_support import press, start
from tests.callback_support import SCHOOL_URN, STRANGER, SWITCHBOARD, add_contact, add_school
from tests.conftest import IN_HOURS
from tests.twilio_client import said

OUTCOME = "The outcome is: no further action."


@pytest.fixture
def decided(app, engine):
    """A decided contact made from the school's switchboard, with a second, unrelated number on the school."""
    with Session(engine, expire_on_commit=False) as session:
        add_school(session, numbers={SWITCHBOARD: "switchboard", "+441214960123": "dsl"})
        contact = add_contact(session, IN_HOURS, caller=SWITCHBOARD, urn=SCHOOL_URN,
                              promised_by=datetime(2026, 11, 25, 17, 30, tzinfo=timezone.utc))
        save_status(session, contact.reference, "decided", outcome="no_further_action", reason_code="school_support",
                    actor="Sam Staff", settings=app.config["SETTINGS"], now=IN_HOURS)
    return contact


def hear(twilio, reference: str, caller: str) -> str:
    menu = start(twilio, caller=caller)
    return said(press(twilio, press(twilio, menu, "4", caller=caller), reference, caller=caller))


def test_a_stranger_with_the_reference_hears_only_that_a_decision_was_sent_to_the_school(twilio, decided):
    words = hear(twilio, decided.reference, STRANGER)
    assert "has a decision. It has been sent to the school that made the contact." in words
    assert "outcome" not in words.lower() and "no further action" not in words


def test_a_withheld_caller_hears_only_the_status(twilio, decided):
    assert OUTCOME not in hear(twilio, decided.reference, "anonymous")


def test_the_number_that_made_the_contact_hears_the_outcome(twilio, decided):
    assert OUTCOME in hear(twilio, decided.reference, SWITCHBOARD)


def test_another_number_of_the_same_identified_school_hears_the_outcome(twilio, decided):
    assert OUTCOME in hear(twilio, decided.reference, "+441214960123")
