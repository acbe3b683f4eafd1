"""Infoline and Early Help calls open contacts too: a reference, the service's own outcomes, no decision flow."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from contacts.cli import contacts_group
from contacts.states import ContactError
from db.models import Contact, Route
from tests.call_support import choose, press, start
from tests.callback_support import callbacks_of
from tests.contacts.test_contacts import change, contacts_in
from tests.conftest import TEST_ENV
from tests.twilio_client import call_params, dialled


@pytest.mark.parametrize("key, service", [("2", Route.DSL_INFOLINE), ("3", Route.EARLY_HELP)])
def test_a_call_put_through_to_a_service_opens_a_contact_for_that_service_with_no_promised_decision(
        twilio, engine, key, service):
    choose(twilio, start(twilio), key)
    [contact] = contacts_in(engine)
    assert (contact.service, contact.status, contact.promised_by) == (service, "received", None)
    assert len(contact.reference) == 6 and contact.caller == call_params()["From"]


def test_a_mash_contact_says_it_is_mash_s(twilio, engine):
    press(twilio, start(twilio), "1")
    [contact] = contacts_in(engine)
    assert contact.service == Route.MASH and contact.promised_by is not None


def test_a_caller_whose_infoline_call_went_on_to_mash_keeps_one_reference_and_mash_owes_a_decision(twilio, engine):
    put_through = choose(twilio, start(twilio), "2")
    offered = press(twilio, put_through, None, DialCallStatus="no-answer")
    assert dialled(press(twilio, offered, "1")) == [TEST_ENV["MASH_NUMBER"]]
    [contact] = contacts_in(engine)
    assert contact.service == Route.MASH and contact.promised_by is not None
    assert contact.first_promised_by == contact.promised_by, "MASH's first promise is the one made then"


def service_contact(twilio, engine) -> Contact:
    choose(twilio, start(twilio), "2")
    [contact] = contacts_in(engine)
    return contact


@pytest.mark.parametrize("outcome", ["advice_given", "passed_to_mash", "early_help_offered", "other"])
def test_the_infoline_notes_its_outcome_and_nothing_is_sent_to_the_school(app, twilio, engine, outcome):
    contact = service_contact(twilio, engine)
    change(app, engine, contact.reference, "decided", outcome=outcome)
    with Session(engine) as session:
        stored = session.exec(select(Contact)).one()
    assert (stored.status, stored.outcome) == ("decided", outcome)
    assert [c.kind for c in callbacks_of(engine, contact.id)] == []  # the DSL heard the outcome on the call


def test_a_service_contact_refuses_mash_s_decisions_and_names_its_own_outcomes(app, twilio, engine):
    contact = service_contact(twilio, engine)
    with pytest.raises(ContactError, match="Use one of: advice_given, passed_to_mash, early_help_offered, other"):
        change(app, engine, contact.reference, "decided", outcome="strategy_discussion")


def test_a_mash_contact_refuses_a_service_s_outcome(app, twilio, engine):
    press(twilio, start(twilio), "1")
    [contact] = contacts_in(engine)
    with pytest.raises(ContactError, match="Unknown outcome 'advice_given'"):
        change(app, engine, contact.reference, "decided", outcome="advice_given")


def test_the_command_notes_a_service_outcome(app, twilio, engine):
    from_cli = app.test_cli_runner().invoke(contacts_group, ["set-status", service_contact(twilio, engine).reference,
                                                             "decided", "--outcome", "advice_given", "--actor", "Jo"])
    assert from_cli.exit_code == 0, from_cli.output
    assert from_cli.output.strip().endswith("is now decided (advice_given).")
