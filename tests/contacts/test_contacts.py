"""Contacts: a MASH call opens one with a reference; staff move it forward; every change is kept."""
from __future__ import annotations

import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from contacts.cli import contacts_group
from contacts.states import ContactError, save_status
from db import contacts as contact_queries
from db.models import AuditEvent, Call, Contact, Route
from tests.call_support import press, start
from tests.callback_support import (SCHOOL_URN, STRANGER, SWITCHBOARD, add_contact, add_school, callbacks_of,
                                    events_of)
from tests.conftest import IN_HOURS, OUT_OF_HOURS, TEST_ENV
from tests.twilio_client import call_params, dialled

EVENING = datetime(2026, 11, 24, 19, 0, tzinfo=timezone.utc)


def contacts_in(engine) -> list[Contact]:
    with Session(engine) as session:
        return list(session.exec(select(Contact).order_by(Contact.id)))


def change(app, engine, reference, status, **kwargs):
    with Session(engine, expire_on_commit=False) as session:
        return save_status(session, reference, status, actor=kwargs.pop("actor", "Sam Staff"),
                           settings=app.config["SETTINGS"], now=kwargs.pop("now", IN_HOURS), **kwargs)


# ---- opening a contact from a call ----

def test_pressing_1_opens_a_contact_with_a_six_digit_reference_without_delaying_the_transfer(twilio, engine):
    doc = press(twilio, start(twilio), "1")
    assert dialled(doc) == [TEST_ENV["MASH_NUMBER"]]
    assert doc.find(".//Say") is None  # the reference is not read out before the transfer
    [contact] = contacts_in(engine)
    assert re.fullmatch(r"[1-9][0-9]{5}", contact.reference)
    assert contact.status == "received" and contact.caller == call_params()["From"]
    # Tuesday 10:00 -> the end of Wednesday, the next working day.
    assert contact.promised_by == datetime(2026, 11, 25, 17, 30, tzinfo=timezone.utc)
    assert contact.first_promised_by == contact.promised_by, "the first promise is kept beside it"


def test_an_urgent_call_out_of_hours_to_the_emergency_duty_team_opens_a_contact_too(twilio, engine, clock):
    clock.now = OUT_OF_HOURS
    press(twilio, start(twilio), "1")
    [contact] = contacts_in(engine)
    with Session(engine) as session:
        assert session.get(Call, contact.call_id).route == Route.EDT


def test_a_status_check_call_opens_no_contact(twilio, engine):
    press(twilio, start(twilio), "4")
    assert contacts_in(engine) == []


def test_a_repeated_webhook_opens_one_contact(twilio, engine):
    greeting = start(twilio)
    press(twilio, greeting, "1")
    press(twilio, greeting, "1")
    assert len(contacts_in(engine)) == 1


def test_two_calls_get_different_references(twilio, engine):
    press(twilio, start(twilio, call_sid="CA" + "a" * 32), "1", call_sid="CA" + "a" * 32)
    press(twilio, start(twilio, call_sid="CA" + "b" * 32), "1", call_sid="CA" + "b" * 32)
    first, second = contacts_in(engine)
    assert first.reference != second.reference


def test_a_reference_already_taken_is_never_reused_a_fresh_one_is_drawn(engine, monkeypatch):
    with Session(engine, expire_on_commit=False) as session:
        taken = add_contact(session, IN_HOURS, urn=None).reference
        draws = iter([taken, taken, "654321"])
        monkeypatch.setattr(contact_queries, "new_reference", lambda: next(draws))
        fresh = add_contact(session, IN_HOURS, urn=None)
    assert fresh.reference == "654321"
    assert sorted(c.reference for c in contacts_in(engine)) == sorted([taken, "654321"])


def test_if_the_contact_cannot_be_saved_the_caller_still_reaches_mash_and_the_call_is_recorded(twilio, engine):
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE contact CASCADE" if engine.dialect.name == "postgresql" else "DROP TABLE contact"))
    try:
        doc = press(twilio, start(twilio), "1")
        assert dialled(doc) == [TEST_ENV["MASH_NUMBER"]]
        with Session(engine) as session:
            assert session.exec(select(Call)).one().route == Route.MASH
    finally:
        SQLModel.metadata.create_all(engine)


# ---- the status machine ----

@pytest.fixture
def contact(engine) -> Contact:
    with Session(engine, expire_on_commit=False) as session:
        add_school(session)
        return add_contact(session, IN_HOURS)


def test_staff_move_a_contact_forward_and_each_change_is_kept_with_who_and_when(app, engine, contact):
    change(app, engine, contact.reference, "being_assessed", actor="Sam Staff", now=IN_HOURS)
    change(app, engine, contact.reference, "decided", outcome="early_help", actor="Pat Lead", now=EVENING)
    events = events_of(engine, contact.id)
    assert [(e.status, e.outcome, e.actor, e.at) for e in events] == [
        ("being_assessed", None, "Sam Staff", IN_HOURS), ("decided", "early_help", "Pat Lead", EVENING)]
    with Session(engine) as session:
        stored = session.get(Contact, contact.id)
        audit = session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert (stored.status, stored.outcome, stored.decided_at) == ("decided", "early_help", EVENING)
    assert [(a.actor, a.action) for a in audit] == [("Sam Staff", "contact_status"), ("Pat Lead", "contact_status")]
    assert contact.reference in audit[-1].detail


def test_a_decision_schedules_one_callback_to_the_school(app, engine, contact):
    change(app, engine, contact.reference, "decided", outcome="no_further_action", reason_code="below_threshold")
    [callback] = callbacks_of(engine, contact.id)
    assert (callback.kind, callback.channel, callback.to_number, callback.state) == (
        "decision", "voice", SWITCHBOARD, "scheduled")
    assert "no further action" in callback.body and "Not a safeguarding concern: see the threshold guide" in callback.body


def test_closing_after_a_decision_sends_nothing_more(app, engine, contact):
    change(app, engine, contact.reference, "decided", outcome="other")
    change(app, engine, contact.reference, "closed")
    assert [c.kind for c in callbacks_of(engine, contact.id)] == ["decision"]


def test_closing_without_a_decision_tells_the_dsl_it_is_closed(app, engine, contact):
    change(app, engine, contact.reference, "closed", note="Duplicate of another contact")
    [callback] = callbacks_of(engine, contact.id)
    assert callback.kind == "closed" and "contact is now closed" in callback.body


def test_a_contact_from_an_unknown_school_gets_no_callback_and_says_why(app, engine):
    with Session(engine, expire_on_commit=False) as session:
        orphan = add_contact(session, IN_HOURS, caller=STRANGER, urn=None)
    change(app, engine, orphan.reference, "decided", outcome="strategy_discussion")
    [callback] = callbacks_of(engine, orphan.id)
    assert callback.state == "failed" and callback.to_number == ""
    assert "the school is not known" in callback.last_error


@pytest.mark.parametrize("status, kwargs, message", [
    ("received", {}, "cannot move back from being assessed to received"),
    ("being_assessed", {}, "already being assessed"),
    ("decided", {"outcome": "sent to the moon"}, "Unknown outcome 'sent to the moon'"),
    ("decided", {}, "A decision needs an outcome"),
    ("decided", {"outcome": "no_further_action"}, "No further action needs a standard reason"),
    ("decided", {"outcome": "nfa", "reason_code": "   "}, "No further action needs a standard reason"),
    ("decided", {"outcome": "nfa", "reason_code": "Jane Doe aged 7"}, "Unknown standard reason"),
    ("closed", {"outcome": "early_help"}, "only be recorded with the status decided"),
    ("finished", {}, "Unknown status 'finished'"),
])
def test_a_wrong_change_is_refused_with_a_clear_message_and_changes_nothing(app, engine, contact, status, kwargs,
                                                                             message):
    change(app, engine, contact.reference, "being_assessed")
    before = (len(events_of(engine, contact.id)), len(callbacks_of(engine)))
    with pytest.raises(ContactError, match=message):
        change(app, engine, contact.reference, status, **kwargs)
    with Session(engine) as session:
        assert session.get(Contact, contact.id).status == "being_assessed"
        assert len(session.exec(select(AuditEvent)).all()) == 1
    assert (len(events_of(engine, contact.id)), len(callbacks_of(engine))) == before


def test_an_unknown_reference_is_refused(app, engine, contact):
    with pytest.raises(ContactError, match="No contact has the reference '999999'"):
        change(app, engine, "999999", "closed")


# ---- the commands ----

def invoke(app, *args):
    return app.test_cli_runner().invoke(contacts_group, list(args))


def test_contacts_list_prints_reference_callsid_urn_and_status(app, twilio, engine):
    with Session(engine) as session:
        add_school(session)
    press(twilio, start(twilio, caller=SWITCHBOARD), "1", caller=SWITCHBOARD)
    with Session(engine) as session:
        session.exec(select(Contact)).one().school_urn = SCHOOL_URN  # as the school feature would have found
        session.commit()
    [contact] = contacts_in(engine)
    result = invoke(app, "list")
    assert result.exit_code == 0
    assert result.output.split() == [contact.reference, call_params()["CallSid"], str(SCHOOL_URN), "received"]


def test_set_status_moves_a_contact_and_names_the_actor(app, engine, contact):
    result = invoke(app, "set-status", contact.reference, "decided", "--outcome", "nfa",
                    "--reason-code", "below_threshold", "--note", "Threshold not met", "--actor", "Pat Lead")
    assert result.exit_code == 0, result.output
    assert f"{contact.reference} is now decided (no_further_action)." in result.output
    [event] = events_of(engine, contact.id)
    assert (event.actor, event.outcome, event.reason_code, event.reason) == (
        "Pat Lead", "no_further_action", "below_threshold", "Threshold not met")


@pytest.mark.parametrize("args, message", [
    (["123456", "closed"], "No contact has the reference '123456'"),
    (["{ref}", "decided", "--outcome", "banana"], "Unknown outcome 'banana'"),
    (["{ref}", "decided", "--outcome", "no_further_action"], "No further action needs a standard reason"),
    (["{ref}", "decided", "--outcome", "nfa", "--reason", "Jane Doe aged 7"], "needs a standard reason"),
])
def test_set_status_errors_exit_non_zero_and_change_nothing(app, engine, contact, args, message):
    result = invoke(app, "set-status", *[a.format(ref=contact.reference) for a in args])
    assert result.exit_code == 1
    assert message in result.output
    assert events_of(engine, contact.id) == [] and callbacks_of(engine) == []


def test_set_status_refuses_a_move_backwards(app, engine, contact):
    assert invoke(app, "set-status", contact.reference, "decided", "--outcome", "early_help").exit_code == 0
    result = invoke(app, "set-status", contact.reference, "received")
    assert result.exit_code == 1 and "cannot move back from decided to received" in result.output
    assert [e.status for e in events_of(engine, contact.id)] == ["decided"]
