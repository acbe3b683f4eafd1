"""A text or call goes once: a send whose answer never came, or whose worker died, is looked up at Twilio (the
stand-in, over its REST API) before it is made again; if Twilio cannot be asked, the row waits for staff."""
from __future__ import annotations

import pytest

import dataclasses
from datetime import timedelta

from sqlmodel import Session

from callbacks import sender
from callbacks.worker import Worker
from db.models import Callback, Contact
from tests.callback_support import MOBILE, add_contact, callbacks_of
from tests.conftest import IN_HOURS
from tests.staff_support import page, signed_in_client, table_rows

pytestmark = pytest.mark.twilio_stand_in

BODY = "Warwickshire MASH, contact reference 123456: we have received your contact."


def row_left_sending(engine, clock) -> Callback:
    """A text a worker claimed ten minutes ago and never recorded (it died, or could not save 'sent')."""
    clock.now = IN_HOURS
    with Session(engine, expire_on_commit=False) as session:
        contact = add_contact(session, IN_HOURS - timedelta(hours=1), caller=MOBILE, urn=None)
        callback = Callback(contact_id=contact.id, kind="reference", channel="sms", to_number=MOBILE, body=BODY,
                            due_at=IN_HOURS - timedelta(minutes=10), state="sending", attempts=1, claimed_by="gone:1",
                            claimed_at=IN_HOURS - timedelta(minutes=10), created_at=IN_HOURS, updated_at=IN_HOURS)
        session.add(callback)
        session.commit()
        return callback


def texts(live) -> list[dict]:
    return live.stand_in.log()["messages"]


def test_a_text_twilio_accepted_but_whose_answer_never_came_is_not_sent_again(app, engine, live, clock):
    callback = row_left_sending(engine, clock)
    with Session(engine) as session:  # due again, as after a timed-out attempt
        row = session.get(Callback, callback.id)
        row.state, row.attempts, row.claimed_by, row.claimed_at = "scheduled", 0, None, None
        session.add(row)
        session.commit()
    live.stand_in.lose_answers, live.stand_in.stall = 1, 1.5
    live.stand_in.delay = 1  # its status callbacks come later, so the worker's own lookup settles the doubt
    worker = Worker(app, rest_timeout=0.5)
    assert worker.send_due() == 0  # the answer never came: in doubt, not failed, not retried blind
    assert callbacks_of(engine)[0].state == "unconfirmed"
    worker.send_due()
    [sms] = texts(live)
    [row] = callbacks_of(engine)
    assert (row.state, row.twilio_sid, row.attempts) == ("sent", sms["sid"], 1)


def test_a_text_left_sending_by_a_dead_worker_after_twilio_accepted_it_is_recorded_not_resent(app, engine, live,
                                                                                              clock):
    callback = row_left_sending(engine, clock)
    accepted = sender.make_client(app.config["SETTINGS"]).messages.create(to=MOBILE, from_="+442079460001", body=BODY)
    Worker(app).send_due()
    assert [m["sid"] for m in texts(live)] == [accepted.sid]
    [row] = callbacks_of(engine)
    assert (row.id, row.twilio_sid) == (callback.id, accepted.sid) and row.state in ("sent", "delivered")


def test_a_text_left_sending_that_never_reached_twilio_is_sent_once(app, engine, live, clock):
    row_left_sending(engine, clock)
    Worker(app).send_due()
    [sms] = texts(live)
    [row] = callbacks_of(engine)
    assert (row.twilio_sid, row.attempts, sms["body"]) == (sms["sid"], 2, BODY)
    assert row.state in ("sent", "delivered")


def test_another_rows_text_to_the_same_number_is_not_mistaken_for_this_one(app, engine, live, clock):
    callback = row_left_sending(engine, clock)
    other = sender.make_client(app.config["SETTINGS"]).messages.create(to=MOBILE, from_="+442079460001", body=BODY)
    with Session(engine) as session:
        session.add(Callback(contact_id=1, kind="reference", channel="sms", to_number=MOBILE, body=BODY,
                             due_at=IN_HOURS, state="delivered", attempts=1, twilio_sid=other.sid,
                             created_at=IN_HOURS, updated_at=IN_HOURS))
        session.commit()
    Worker(app).send_due()
    assert len(texts(live)) == 2
    with Session(engine) as session:
        assert session.get(Callback, callback.id).twilio_sid not in (None, other.sid)


def test_when_twilio_cannot_be_asked_the_text_is_held_as_uncertain_and_staff_see_it(app, engine, live, clock):
    row_left_sending(engine, clock)
    app.config["SETTINGS"] = dataclasses.replace(app.config["SETTINGS"], twilio_api_base_url="http://127.0.0.1:9")
    Worker(app).send_due()
    [row] = callbacks_of(engine)
    assert row.state == "uncertain" and "Check the Twilio console" in row.last_error
    client = signed_in_client(app, "staff")
    with Session(engine) as session:
        reference = session.get(Contact, row.contact_id).reference
    [cells] = table_rows(page(client.get(f"/contacts/{reference}")), "callbacks")
    assert "Uncertain: check Twilio before sending again" in cells and texts(live) == []
