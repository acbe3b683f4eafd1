"""Only UK mobiles are texted and only UK numbers rung; anything else is recorded as not sent, with the reason."""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlmodel import Session

from callbacks import channel
from callbacks.contacts import save_status
from callbacks.worker import Worker
from db.models import Callback, Contact
from routing.phone import is_uk_mobile, is_uk_number
from tests.callback_support import (MOBILE, SCHOOL_URN, SWITCHBOARD, add_contact, add_school, callbacks_of,  # noqa: F401
                                    live, loopback, settings_env, twilio)
from tests.conftest import IN_HOURS
from tests.staff_support import page, signed_in_client, table_rows
from tests.test_call_flow import start
from tests.twilio_client import call_params, next_url

US_SPOOF = "+12015550123"
NIGERIA = "+2348031234567"
ISLE_OF_MAN = "+447624123456"
JERSEY_LANDLINE = "+441534123456"
UK_PAGER = "+447640123456"
OTHER_MOBILE = "+447700123456"


# ---- which numbers ----

@pytest.mark.parametrize("number, mobile, uk", [
    (MOBILE, True, True),
    (OTHER_MOBILE, True, True),
    (SWITCHBOARD, False, True),
    (UK_PAGER, False, True),            # +447, but a pager: no texts
    (US_SPOOF, False, False),
    (NIGERIA, False, False),
    (ISLE_OF_MAN, False, False),        # +447, but the Isle of Man, not the UK
    (JERSEY_LANDLINE, False, False),
    ("withheld", False, False),
])
def test_only_uk_mobiles_are_texted_and_only_uk_numbers_rung(number, mobile, uk):
    assert (is_uk_mobile(number), is_uk_number(number)) == (mobile, uk)


def test_a_school_number_outside_the_uk_is_never_rung_its_uk_number_is():
    dest = channel.status_destination(US_SPOOF, SCHOOL_URN, [US_SPOOF, SWITCHBOARD])
    assert (dest.number, dest.channel) == (SWITCHBOARD, "voice")


def test_a_school_with_only_numbers_outside_the_uk_gets_no_callback_and_the_reason_is_given():
    dest = channel.status_destination(NIGERIA, SCHOOL_URN, [NIGERIA])
    assert dest.number is None and "outside the UK" in dest.why


# ---- a spoofed caller ID ----

def silent_call_to_mash(twilio, caller: str) -> None:
    """A caller who presses nothing is put through to MASH, then hangs up."""
    doc = start(twilio, caller=caller)
    for _ in range(4):
        if doc.find(".//Dial") is not None:
            break
        doc = twilio.twiml(next_url(doc), call_params(caller=caller))
    assert doc.find(".//Dial") is not None, "the silent caller was never put through"
    assert twilio.post("/voice/status", call_params(caller=caller, CallStatus="completed")).status_code == 204


@pytest.mark.parametrize("spoofed", [US_SPOOF, NIGERIA, ISLE_OF_MAN])
def test_a_silent_caller_from_abroad_gets_no_text_and_staff_see_why(app, twilio, engine, live, spoofed):
    silent_call_to_mash(twilio, spoofed)
    [callback] = callbacks_of(engine)
    assert (callback.kind, callback.channel, callback.to_number, callback.state) == ("reference", "sms", spoofed,
                                                                                   "failed")
    assert callback.last_error == "Not sent: texts go only to UK mobiles, and this number is outside the UK."
    assert callback.body == "" and callback.attempts == 0
    assert Worker(app).send_due() == 0 and live.stand_in.log()["messages"] == []
    with Session(engine) as session:
        reference = session.get(Contact, callback.contact_id).reference
    rows = table_rows(page(signed_in_client(app).get(f"/contacts/{reference}")), "callbacks")
    assert rows[0][0] == "Reference" and rows[0][1] == "Text message" and rows[0][4] == "Failed"
    assert "texts go only to UK mobiles" in rows[0][6]


def test_a_silent_caller_on_a_uk_mobile_still_gets_the_reference_text(app, twilio, engine, live):
    silent_call_to_mash(twilio, MOBILE)
    assert Worker(app).send_due() == 1
    assert [m["to"] for m in live.stand_in.log()["messages"]] == [MOBILE]


# ---- checked again when sent ----

def queue(engine, to: str, kind: str = "reference", chan: str = "sms", key: str = "k", due: datetime = IN_HOURS):
    """An outbox row as an earlier release (or a school's number) could have left it."""
    with Session(engine, expire_on_commit=False) as session:
        contact = add_contact(session, due, caller=to, urn=None)
        session.add(Callback(contact_id=contact.id, kind=kind, channel=chan, to_number=to, body="MASH ref",
                             due_at=due, dedupe_key=key, created_at=due, updated_at=due))
        session.commit()


@pytest.mark.parametrize("to, chan, why", [
    (US_SPOOF, "sms", "Not sent: texts go only to UK mobiles, and this number is outside the UK."),
    (SWITCHBOARD, "sms", "Not sent: texts go only to UK mobiles, and this number is not a mobile."),
    (NIGERIA, "voice", "Not sent: calls go only to UK numbers, and this number is outside the UK."),
])
def test_a_queued_callback_to_a_number_we_may_not_use_is_not_sent_and_says_why(app, engine, live, to, chan, why):
    queue(engine, to, kind="decision", chan=chan)
    assert Worker(app).send_due() == 0
    log = live.stand_in.log()
    assert log["messages"] == [] and log["calls"] == []
    [callback] = callbacks_of(engine)
    assert (callback.state, callback.last_error) == ("failed", why)


def test_a_decision_to_a_school_outside_the_uk_is_recorded_as_not_sent(app, engine, live):
    with Session(engine, expire_on_commit=False) as session:
        add_school(session, numbers={NIGERIA: "switchboard"})
        contact = add_contact(session, IN_HOURS, caller=NIGERIA)
        save_status(session, contact.reference, "decided", outcome="early_help", actor="Sam Staff",
                    settings=app.config["SETTINGS"], now=IN_HOURS)
    [callback] = callbacks_of(engine)
    assert callback.state == "failed" and "outside the UK" in callback.last_error

