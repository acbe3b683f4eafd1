"""The alert call to a duty number: one that answers after another accepted, or after staff closed the message, is
told so and asked nothing; the first acceptance stands."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from callbacks import alarm
from db.models import Call, Callback, Message
from messages.states import save_state
from tests.call_support import leave_urgent_message
from tests.staff_support import page, signed_in_client
from tests.twilio_client import call_params, said

pytestmark = pytest.mark.twilio_stand_in

FIRST, SECOND = "+442079460501", "+442079460502"
ANSWERED = call_params(Direction="outbound-api", AnsweredBy="human")


@pytest.fixture
def settings_env(settings_env):
    return dict(settings_env, DUTY_NUMBERS=f"{FIRST}, {SECOND}", ALERT_ESCALATE_AFTER="300")


@pytest.fixture
def two_steps(twilio, app, engine, clock) -> list[int]:
    """An urgent message whose alert has rung the first duty number and then the second."""
    leave_urgent_message(twilio)
    with Session(engine, expire_on_commit=False) as session:
        call_id = session.exec(select(Call.id)).one()
        alarm.queue_step(session, call_id, 1, app.config["SETTINGS"], clock.now)
        session.commit()
        return list(session.exec(select(Callback.id).where(Callback.channel == "voice").order_by(Callback.id)))


def test_a_second_duty_number_pressing_1_after_the_first_accepted_hears_who_did_and_changes_nothing(twilio, engine,
                                                                                                   two_steps):
    first, second = two_steps
    accepted = twilio.twiml(f"/voice/alert/{first}/ack", dict(ANSWERED, Digits="1"))
    assert said(accepted).startswith("Thank you. You have accepted it")
    with Session(engine) as session:  # the second number's call is in flight when its duty officer presses 1
        session.get(Callback, second).state, session.get(Callback, second).twilio_sid = "sent", "CA" + "5" * 32
        session.commit()
    late = twilio.twiml(f"/voice/alert/{second}/ack", dict(ANSWERED, Digits="1"))
    assert said(late) == ("This urgent message was already accepted, by 0 2 0, 7 9 4 6, 0 5 0 1 at 10 am. "
                          "No action is needed. Goodbye.")
    answered_late = twilio.twiml(f"/voice/alert/{second}", ANSWERED)
    assert [verb.tag for verb in answered_late] == ["Say", "Hangup"] and "already accepted" in said(answered_late)
    with Session(engine) as session:
        assert session.exec(select(Call.alert_acknowledged_by)).one() == FIRST
        assert session.get(Callback, second).last_status is None, "a late press records no acceptance"


def test_a_duty_number_answering_after_staff_closed_the_message_is_told_it_is_closed_and_cannot_accept(
        twilio, engine, clock, two_steps):
    with Session(engine) as session:
        save_state(session, session.exec(select(Message.id)).one(), "closed", actor="sam", now=clock.now)
    answered = twilio.twiml(f"/voice/alert/{two_steps[1]}", ANSWERED)
    assert [verb.tag for verb in answered] == ["Say", "Hangup"]  # told, never asked for a key
    assert said(answered) == "This urgent message has already been closed by staff. No action is needed. Goodbye."
    pressed = twilio.twiml(f"/voice/alert/{two_steps[1]}/ack", dict(ANSWERED, Digits="1"))
    assert "already been closed" in said(pressed)
    with Session(engine) as session:
        assert session.exec(select(Call.alert_acknowledged_by)).one() is None, "no one accepted it"


def test_the_message_page_says_how_many_duty_calls_were_made_and_that_a_closed_message_rings_no_more(
        twilio, app, engine, clock, two_steps):
    with Session(engine) as session:
        message_id = session.exec(select(Message.id)).one()
    client = signed_in_client(app, "supervisor")

    def shown() -> str:
        return page(client.get(f"/messages/{message_id}")).xpath("string(//*[@id='message-alert'])")

    assert shown() == "Not accepted yet: the first duty call is being placed"
    with Session(engine) as session:  # the worker places both calls
        for row in session.exec(select(Callback).where(Callback.channel == "voice")):
            row.state, row.twilio_sid = "sent", f"CA{row.id:032d}"
        session.commit()
    assert shown() == "Not accepted yet: the duty numbers are being rung (2 calls so far)"
    with Session(engine) as session:
        save_state(session, message_id, "closed", actor="sam", now=clock.now)
    assert shown() == "Not accepted: the message was closed, so no more duty numbers are rung"

