"""Only UK mobiles are texted and only UK numbers rung, at most 3 texts a number a day; the rest is recorded."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlmodel import Session

from callbacks import channel
from callbacks.allowed import why_not_sent
from callbacks.worker import Worker
from contacts.states import save_status
from db.models import Callback, Contact
from routing.hours import london_day_span
from routing.phone import is_uk_mobile, is_uk_number
from tests.call_support import start
from tests.callback_support import MOBILE, SCHOOL_URN, SWITCHBOARD, add_contact, add_school, callbacks_of
from tests.conftest import IN_HOURS
from tests.staff_support import page, signed_in_client, table_rows
from tests.twilio_client import call_params, next_url

pytestmark = pytest.mark.twilio_stand_in

US_SPOOF = "+12015550123"
NIGERIA = "+2348031234567"
ISLE_OF_MAN = "+447624123456"
JERSEY_LANDLINE = "+441534123456"
UK_PAGER = "+447640123456"
OTHER_MOBILE = "+447700123456"
UTC = timezone.utc


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


# ---- at most 3 texts a number a day ----

def test_a_fourth_text_to_a_number_in_a_day_is_not_sent_and_says_why(app, engine, clock, live):
    for hour in range(4):
        clock.now = IN_HOURS + timedelta(hours=hour)
        queue(engine, MOBILE, key=f"k{hour}", due=clock.now)
        Worker(app).send_due()
    assert live.stand_in.wait_idle(30)
    assert len(live.stand_in.log()["messages"]) == 3
    states = [(c.state, c.last_error) for c in callbacks_of(engine)]
    assert states[:3] == [("delivered", None)] * 3
    assert states[3] == ("failed", "Not sent: 3 texts already went to this number today, the most we send a number "
                                   "in a day.")


def test_the_daily_limit_is_per_number(app, engine, clock, live):
    for n in range(3):
        queue(engine, MOBILE, key=f"m{n}")
    queue(engine, OTHER_MOBILE, key="other")
    assert Worker(app).send_due() == 4


def test_the_day_is_londons_a_text_after_midnight_in_summer_time_starts_a_new_day(app, engine, clock, live):
    evening = datetime(2026, 6, 3, 22, 0, tzinfo=UTC)  # 23:00 BST
    for n in range(3):
        clock.now = evening + timedelta(minutes=n)
        queue(engine, MOBILE, key=f"e{n}", due=clock.now)
        assert Worker(app).send_due() == 1
    clock.now = datetime(2026, 6, 3, 23, 10, tzinfo=UTC)  # 00:10 BST on 4 June, still 3 June in UTC
    queue(engine, MOBILE, key="after-midnight", due=clock.now)
    assert Worker(app).send_due() == 1


def test_a_london_day_is_23_hours_when_the_clocks_go_forward():
    start, end = london_day_span(datetime(2026, 3, 29, 12, 0, tzinfo=UTC))
    assert (start.astimezone(UTC), end.astimezone(UTC)) == (datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
                                                           datetime(2026, 3, 29, 23, 0, tzinfo=UTC))


def test_of_two_texts_in_flight_at_once_past_the_limit_only_the_older_may_go(app, engine):
    for n in range(4):
        queue(engine, MOBILE, key=f"f{n}")
    with Session(engine) as session:
        rows = list(session.exec(Callback.__table__.select().order_by(Callback.id)))
        ids = [row.id for row in rows]
        for callback_id, state in zip(ids, ("sent", "delivered", "sending", "sending")):
            row = session.get(Callback, callback_id)
            row.state, row.claimed_at = state, IN_HOURS
        session.commit()
        third, fourth = session.get(Callback, ids[2]), session.get(Callback, ids[3])
        assert why_not_sent(session, third, IN_HOURS) is None
        assert "3 texts already went" in why_not_sent(session, fourth, IN_HOURS)


def test_texts_refused_or_never_sent_do_not_count_towards_the_limit(app, engine, clock, live):
    for n in range(3):
        queue(engine, MOBILE, key=f"x{n}")
    with Session(engine) as session:
        for row in session.exec(Callback.__table__.select()):
            callback = session.get(Callback, row.id)
            callback.state, callback.claimed_at, callback.last_error = "failed", IN_HOURS, "Not sent: test"
        session.commit()
    queue(engine, MOBILE, key="fresh")
    assert Worker(app).send_due() == 1


def test_a_text_twilio_accepted_but_could_not_deliver_still_counts(app, engine, live):
    for n in range(3):
        queue(engine, MOBILE, key=f"u{n}")
    with Session(engine) as session:
        for row in session.exec(Callback.__table__.select()):
            callback = session.get(Callback, row.id)
            callback.state, callback.claimed_at, callback.twilio_sid = "failed", IN_HOURS, f"SM{row.id:032d}"
        session.commit()
    queue(engine, MOBILE, key="fourth")
    assert Worker(app).send_due() == 0


def test_a_decision_to_a_school_outside_the_uk_is_recorded_as_not_sent(app, engine, live):
    with Session(engine, expire_on_commit=False) as session:
        add_school(session, numbers={NIGERIA: "switchboard"})
        contact = add_contact(session, IN_HOURS, caller=NIGERIA)
        save_status(session, contact.reference, "decided", outcome="early_help", actor="Sam Staff",
                    settings=app.config["SETTINGS"], now=IN_HOURS)
    [callback] = callbacks_of(engine)
    assert callback.state == "failed" and "outside the UK" in callback.last_error

