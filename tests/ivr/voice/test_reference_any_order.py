"""A MASH caller on a mobile gets their reference text whatever order Twilio's webhooks arrive in, and even
when the first webhook was lost and the Fallback URL answered."""
from __future__ import annotations

import time

from sqlmodel import Session, select

from db.models import Call, Callback, Contact
from tests.callback_support import MOBILE, callbacks_of
from tests.twilio_client import call_params, next_url


def references(engine) -> list[Callback]:
    return [c for c in callbacks_of(engine) if c.kind == "reference"]


def contact_reference(engine) -> str:
    with Session(engine) as session:
        return session.exec(select(Contact)).one().reference


def test_a_status_callback_before_the_webhook_that_routed_to_mash_still_queues_the_reference(twilio, engine):
    menu = twilio.twiml("/voice/incoming", call_params(caller=MOBILE))
    twilio.post("/voice/status", call_params(caller=MOBILE, CallStatus="completed", CallDuration="12"))
    assert references(engine) == []  # the call had no route yet: nothing to tell
    twilio.twiml(next_url(menu), call_params(caller=MOBILE, Digits="1"))  # the late webhook: pressed 1
    [text] = references(engine)
    assert text.to_number == MOBILE and contact_reference(engine) in text.body


def test_when_the_first_webhook_was_lost_the_fallbacks_mash_call_gets_its_reference_at_the_end(twilio, engine):
    sid = "CA" + "8" * 32
    twilio.twiml("/voice/fallback", call_params(call_sid=sid, caller=MOBILE, ErrorCode="11200"))
    deadline = time.monotonic() + 10  # the fail-safe records the call in the background
    while time.monotonic() < deadline:
        with Session(engine) as session:
            if session.exec(select(Call).where(Call.call_sid == sid)).first() is not None:
                break
        time.sleep(0.05)
    twilio.post("/voice/status", call_params(call_sid=sid, caller=MOBILE, CallStatus="completed", CallDuration="60"))
    [text] = references(engine)
    assert contact_reference(engine) in text.body


def test_the_usual_order_still_queues_exactly_one_reference(twilio, engine):
    menu = twilio.twiml("/voice/incoming", call_params(caller=MOBILE))
    twilio.twiml(next_url(menu), call_params(caller=MOBILE, Digits="1"))
    twilio.post("/voice/status", call_params(caller=MOBILE, CallStatus="completed", CallDuration="12"))
    twilio.post("/voice/status", call_params(caller=MOBILE, CallStatus="completed", CallDuration="12"))
    assert len(references(engine)) == 1
