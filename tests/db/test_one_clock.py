"""One clock: every time a call, its steps, its contact and its callbacks record comes from the app's clock."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlmodel import Session, select

from db.models import Callback, CallStep, Contact
from tests.call_support import press, recorded_call, start
from tests.callback_support import MOBILE
from tests.twilio_client import call_params

# A Monday in British Summer Time years away from any real "now", so a wall-clock stamp cannot pass for it.
ANSWERED = datetime(2031, 6, 2, 9, 15, tzinfo=timezone.utc)


def test_a_mash_call_is_stamped_throughout_by_the_apps_clock_not_the_wall_clock(twilio, engine, clock):
    clock.now = ANSWERED
    menu = start(twilio, caller=MOBILE)
    clock.now = ANSWERED + timedelta(seconds=12)
    press(twilio, menu, "1", caller=MOBILE)
    clock.now = ANSWERED + timedelta(minutes=4)
    twilio.post("/voice/status", call_params(caller=MOBILE, CallStatus="completed", CallDuration="240"))

    call = recorded_call(engine)
    assert (call.started_at, call.routed_at, call.ended_at) == (
        ANSWERED, ANSWERED + timedelta(seconds=12), ANSWERED + timedelta(minutes=4))
    with Session(engine) as session:
        steps = session.exec(select(CallStep.step, CallStep.at).order_by(CallStep.id)).all()
        contact = session.exec(select(Contact)).one()
        [text] = session.exec(select(Callback)).all()
    assert steps == [("incoming", ANSWERED), ("menu", ANSWERED + timedelta(seconds=12)),
                     ("status", ANSWERED + timedelta(minutes=4))]
    assert contact.created_at == ANSWERED + timedelta(seconds=12)
    assert text.kind == "reference" and text.created_at == text.updated_at == ANSWERED + timedelta(minutes=4)


def test_a_call_first_seen_mid_flow_starts_at_the_apps_time(twilio, engine, clock):
    clock.now = ANSWERED
    twilio.twiml("/voice/menu?attempt=1", call_params(Digits="2"))
    assert recorded_call(engine).started_at == ANSWERED
