"""Option 4 knows the caller: their open contacts from the last 30 days, by number or school, are read first."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session

from contacts.states import save_status
from db.contacts import save_contact
from db.models import Route
from tests.call_support import press, start
from tests.callback_support import DSL_DIRECT, SCHOOL_URN, STRANGER, SWITCHBOARD, add_contact, add_school
from tests.conftest import IN_HOURS, TEST_ENV
from tests.twilio_client import dialled, said

PROMISE = IN_HOURS + timedelta(days=1, hours=7, minutes=30)  # 5:30 pm on Wednesday


def option_4(twilio, caller):
    return press(twilio, start(twilio, caller=caller), "4", caller=caller)


def open_contacts(engine, count, *, caller=DSL_DIRECT, urn=None, days_ago=1):
    with Session(engine, expire_on_commit=False) as session:
        return [add_contact(session, IN_HOURS - timedelta(days=days_ago, minutes=n), caller=caller, urn=urn,
                            promised_by=PROMISE) for n in range(count)]


def spaced(reference):
    return " ".join(reference)


def test_a_caller_with_no_open_contacts_is_asked_for_the_reference(twilio, engine):
    doc = option_4(twilio, DSL_DIRECT)
    assert said(doc) == "Please enter the 6-digit contact reference, then press hash."


def test_a_caller_with_one_open_contact_hears_it_with_its_expected_time(twilio, engine):
    [contact] = open_contacts(engine, 1)
    doc = option_4(twilio, DSL_DIRECT)
    assert said(doc).startswith(f"You have 1 open contact. {spaced(contact.reference)}: received, "
                                "decision expected by 5 30 pm tomorrow, Wednesday.")
    assert ("If this answered your question, press 1. If you still need to speak to someone, press 2. "
            "If your concern is urgent, press 2 for MASH. To ask about another reference, press 3.") in said(doc)


def test_a_caller_with_two_open_contacts_hears_both_oldest_first_and_may_still_press_2_for_mash(twilio, engine):
    newer, older = open_contacts(engine, 2)
    doc = option_4(twilio, DSL_DIRECT)
    text = said(doc)
    assert text.startswith("You have 2 open contacts.")
    assert text.index(spaced(older.reference)) < text.index(spaced(newer.reference))
    assert dialled(press(twilio, doc, "2", caller=DSL_DIRECT)) == [TEST_ENV["MASH_NUMBER"]]


def test_pressing_3_after_the_list_asks_for_another_reference(twilio, engine):
    open_contacts(engine, 1)
    doc = press(twilio, option_4(twilio, DSL_DIRECT), "3", caller=DSL_DIRECT)
    assert doc.find("Gather").get("numDigits") == "6" and "contact reference" in said(doc)


def test_a_caller_with_four_open_contacts_is_asked_for_the_reference_instead(twilio, engine):
    contacts = open_contacts(engine, 4)
    doc = option_4(twilio, DSL_DIRECT)
    assert said(doc) == ("You have more than 3 open contacts. "
                         "Please enter the 6-digit contact reference, then press hash.")
    assert not any(spaced(c.reference) in said(doc) for c in contacts)


def test_a_contact_from_another_number_at_the_callers_identified_school_is_read(twilio, engine):
    with Session(engine) as session:
        add_school(session)  # SWITCHBOARD is the school's registered number: the call is identified by it
    [contact] = open_contacts(engine, 1, caller=STRANGER, urn=SCHOOL_URN)
    assert spaced(contact.reference) in said(option_4(twilio, SWITCHBOARD))


def test_decided_contacts_and_those_over_30_days_old_are_not_read(app, twilio, engine):
    [decided] = open_contacts(engine, 1)
    open_contacts(engine, 1, days_ago=31)
    with Session(engine) as session:
        save_status(session, decided.reference, "decided", outcome="other", actor="Sam",
                    settings=app.config["SETTINGS"], now=IN_HOURS)
    assert said(option_4(twilio, DSL_DIRECT)).startswith("Please enter the 6-digit contact reference")


def test_a_withheld_caller_is_asked_for_the_reference_even_when_withheld_contacts_are_open(twilio, engine):
    open_contacts(engine, 2, caller="withheld")
    assert said(option_4(twilio, "anonymous")).startswith("Please enter the 6-digit contact reference")


@pytest.mark.parametrize("service, words", [(Route.DSL_INFOLINE, "with the DSL Infoline, received."),
                                            (Route.EARLY_HELP, "with Early Help, received.")])
def test_a_service_contact_is_read_with_its_service(twilio, engine, service, words):
    with Session(engine, expire_on_commit=False) as session:
        contact = save_contact(session, call_id=None, school_urn=None, caller=DSL_DIRECT, created_at=IN_HOURS,
                               promised_by=None, service=service)
        session.commit()
    assert f"{spaced(contact.reference)}: {words}" in said(option_4(twilio, DSL_DIRECT))


@pytest.mark.parametrize("caller, words", [
    (DSL_DIRECT, "with the DSL Infoline, has an outcome. The outcome is: advice given."),
    (STRANGER, "with the DSL Infoline, has an outcome. It was given to the school on the call that made the contact."),
])
def test_a_typed_infoline_reference_is_read_with_its_outcome_only_to_the_caller_who_made_it(
        app, twilio, engine, caller, words):
    with Session(engine, expire_on_commit=False) as session:
        contact = save_contact(session, call_id=None, school_urn=None, caller=DSL_DIRECT, created_at=IN_HOURS,
                               promised_by=None, service=Route.DSL_INFOLINE)
        session.commit()
        save_status(session, contact.reference, "decided", outcome="advice_given", actor="Infoline",
                    settings=app.config["SETTINGS"], now=IN_HOURS)
    heard = press(twilio, option_4(twilio, caller), contact.reference, caller=caller)
    assert f"Contact reference {spaced(contact.reference)}, {words}" in said(heard)
