"""A voice callback plays the update only to someone who presses 1: a machine (or Twilio's "unknown") is left the
reference and the number to ring, a fax fails, and a callback is delivered only once it was heard."""
from __future__ import annotations

from datetime import timedelta

import pytest

from callbacks import outbox
from db.models import Callback
from tests.callback_support import decide, only_callback, send
from tests.conftest import IN_HOURS

pytestmark = pytest.mark.twilio_stand_in



@pytest.mark.parametrize("answer", ["unknown", "machine", "human-silent"])
def test_no_key_pressed_means_only_the_reference_and_number_are_left_never_the_outcome(app, engine, live, contact,
                                                                                       answer):
    live.stand_in.answer = answer
    decide(app, engine, contact, "no_further_action", reason_code="below_threshold")
    send(app, live)
    heard = " ".join(live.stand_in.log()["calls"][0]["said"])
    assert " ".join(contact.reference) in heard and "quote this reference" in heard
    assert "no further action" not in heard and "decision has been made" not in heard
    callback = only_callback(engine, contact)
    assert (callback.state, callback.last_status.split(", ", 1)[1]) == ("delivered", outbox.MACHINE_MESSAGE)


def test_a_person_hears_the_update_only_after_pressing_1(app, engine, live, contact):
    decide(app, engine, contact, "early_help")
    send(app, live)
    said = live.stand_in.log()["calls"][0]["said"]
    offer = next(i for i, line in enumerate(said) if "To hear your update, press 1." in line)
    outcome = next(i for i, line in enumerate(said) if "passed to Early Help" in line)
    assert offer < outcome and "passed to Early Help" not in said[offer]


def test_a_fax_hears_nothing_and_the_callback_fails(app, engine, live, contact):
    live.stand_in.answer = "fax"
    decide(app, engine, contact, "early_help")
    send(app, live)
    assert live.stand_in.log()["calls"][0]["said"] == []
    callback = only_callback(engine, contact)
    assert (callback.state, callback.last_error) == ("failed", "a fax machine answered")


def row(**values) -> Callback:
    return Callback(contact_id=1, kind="decision", channel="voice", to_number="+442079460999", body="b",
                    due_at=IN_HOURS, state="sent", attempts=1, created_at=IN_HOURS, updated_at=IN_HOURS, **values)


def test_a_call_answered_but_hung_up_before_the_update_was_heard_is_tried_again(app):
    hours = app.config["SETTINGS"].opening_hours
    change = outbox.call_status("completed", "human", None, 1, hours, IN_HOURS)(row())
    assert change["state"] == "scheduled" and change["due_at"] >= IN_HOURS + timedelta(minutes=30)
    assert change["last_error"] == "answered, but the update was not heard"


def test_a_person_pressing_is_never_downgraded_by_a_later_short_message(app):
    pressed = row(last_status=outbox.HEARD_BY_PERSON)
    assert outbox.heard(outbox.MACHINE_MESSAGE, None, 1, IN_HOURS)(pressed) is None
