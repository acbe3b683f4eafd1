"""A busy Infoline or Early Help keeps its caller: called back, put through to MASH, or a message."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import Session, select

from db.models import CallStep, Message, Route
from tests.call_support import RECORDING, choose, failing_queries, press, recorded_call, start
from tests.conftest import OUT_OF_HOURS, TEST_ENV
from tests.twilio_client import call_params, dialled, said

LANDLINE = "+442079460999"  # the test caller's own number
TYPED = "01926414144"
TYPED_E164 = "+441926414144"
MASH = TEST_ENV["MASH_NUMBER"]


def inbox(engine) -> list[Message]:
    with Session(engine) as session:
        return list(session.exec(select(Message)))


def busy_line(twilio, key: str = "2", caller: str = LANDLINE):
    """Choose the Infoline (2) or Early Help (3), skip the school question, and the line does not answer."""
    put_through = choose(twilio, start(twilio, caller=caller), key) if caller == LANDLINE else None
    if put_through is None:
        asked = press(twilio, start(twilio, caller=caller), key, caller=caller)
        put_through = press(twilio, asked, "*", caller=caller)
    return press(twilio, put_through, DialCallStatus="no-answer", caller=caller)


def test_in_hours_a_busy_infoline_first_offers_a_call_back_today_then_mash_then_a_message(twilio):
    offer = busy_line(twilio)
    assert said(offer) == ("To be called back by the DSL Infoline today, press 2. If your concern is urgent, "
                           "press 1 for MASH. Or press 3 to leave a message.")
    assert offer.find("Gather").get("numDigits") == "1"


def test_early_help_offers_its_own_call_back(twilio):
    assert said(busy_line(twilio, "3")).startswith("To be called back by Early Help today, press 2.")


def test_late_in_the_day_the_offer_says_when_the_call_back_will_be(twilio, clock):
    clock.now = datetime(2026, 11, 24, 16, 45, tzinfo=timezone.utc)  # Tuesday, 45 minutes before closing
    assert said(busy_line(twilio)).startswith("To be called back by the DSL Infoline tomorrow, press 2.")


def test_pressing_1_puts_the_caller_through_to_mash(twilio, engine):
    mash = press(twilio, busy_line(twilio), "1")
    assert dialled(mash) == [MASH]
    call = recorded_call(engine)
    assert (call.route, call.service) == (Route.MASH, Route.DSL_INFOLINE)


@pytest.mark.parametrize("key", ["3", None], ids=["pressing 3", "silence"])
def test_pressing_3_or_staying_silent_leaves_a_message_as_before(twilio, engine, key):
    message = press(twilio, busy_line(twilio), key)
    assert message.find("Record") is not None and "message for the DSL Infoline" in said(message)
    press(twilio, message, RecordingUrl=RECORDING)
    assert [(m.kind, m.service) for m in inbox(engine)] == [("message", Route.DSL_INFOLINE)]


def test_pressing_2_reads_the_callers_own_number_back_and_1_puts_the_request_in_the_inbox(twilio, engine):
    confirm = press(twilio, busy_line(twilio), "2")
    assert said(confirm) == ("To be called back on 0 2 0, 7 9 4 6, 0 9 9 9, press 1. "
                             "To give another number, press 2.")
    done = press(twilio, confirm, "1")
    assert said(done) == "Thank you. The DSL Infoline will call you back by 12 pm today. Goodbye."
    assert done.find("Hangup") is not None
    [request] = inbox(engine)
    assert (request.kind, request.service, request.callback_number, request.state) == (
        "callback_request", Route.DSL_INFOLINE, LANDLINE, "new")
    assert request.due_by == datetime(2026, 11, 24, 12, 0, tzinfo=timezone.utc)  # 2 working hours on
    assert recorded_call(engine).text_to is None


def test_pressing_2_again_takes_another_typed_number(twilio, engine):
    asked = press(twilio, press(twilio, busy_line(twilio), "2"), "2")
    assert "type the number to call you back on" in said(asked)
    assert (asked.find("Gather").get("numDigits"), asked.find("Gather").get("finishOnKey")) == ("11", "#")
    read_back = press(twilio, asked, "07400123456")
    assert said(read_back).endswith("press 1. To give another number, press 2.")
    last = press(twilio, press(twilio, read_back, "2"), TYPED)
    assert said(last) == "To be called back on 0 1 9 2 6, 4 1 4 1 4 4, press 1."  # the last try: no retype
    press(twilio, last, "1")
    assert [m.callback_number for m in inbox(engine)] == [TYPED_E164]


def test_a_withheld_caller_is_asked_to_type_a_number_and_a_mobile_will_do(twilio, engine):
    asked = press(twilio, busy_line(twilio, caller="anonymous"), "2", caller="anonymous")
    assert said(asked) == "Please type the number to call you back on, starting 0, then press hash."
    read_back = press(twilio, asked, "07400123456", caller="anonymous")
    assert said(read_back).startswith("To be called back on 0 7 4 0 0, 1 2 3 4 5 6, press 1. To give another")
    press(twilio, read_back, "1", caller="anonymous")
    assert [m.callback_number for m in inbox(engine)] == ["+447400123456"]


def test_a_foreign_caller_is_asked_to_type_a_uk_number(twilio):
    asked = press(twilio, busy_line(twilio, caller="+33612345678"), "2", caller="+33612345678")
    assert "type the number to call you back on" in said(asked)


def test_a_bad_number_twice_offers_a_message_instead(twilio, engine):
    asked = press(twilio, busy_line(twilio, caller="anonymous"), "2", caller="anonymous")
    again = press(twilio, asked, "12345", caller="anonymous")
    assert said(again).startswith("That is not a UK phone number. Please type the number")
    message = press(twilio, again, "0044", caller="anonymous")
    assert message.find("Record") is not None
    assert said(message).startswith("That is not a UK phone number. We could not take a number to call you back "
                                    "on. Please leave a short message for the DSL Infoline")
    assert inbox(engine) == []


def test_silence_at_the_read_back_takes_a_message_so_no_caller_leaves_with_nothing(twilio, engine):
    message = press(twilio, press(twilio, busy_line(twilio), "2"), None)
    assert message.find("Record") is not None
    assert recorded_call(engine).text_to is None


def test_the_number_to_call_back_is_in_no_url_step_or_key(twilio, engine):
    asked = press(twilio, busy_line(twilio, caller="anonymous"), "2", caller="anonymous")
    read_back = press(twilio, asked, TYPED, caller="anonymous")
    assert recorded_call(engine).text_to == TYPED_E164  # waiting on the call until confirmed
    done = press(twilio, read_back, "1", caller="anonymous")
    urls = [el.get("action") or "" for doc in (asked, read_back, done) for el in doc.iter()]
    call = recorded_call(engine)
    with Session(engine) as session:
        steps = list(session.exec(select(CallStep).where(CallStep.call_id == call.id)))
    kept = " ".join(urls + [f"{s.digits} {s.detail}" for s in steps])
    assert TYPED[1:] not in kept
    assert call.text_to is None


def test_two_numbers_typed_at_the_same_step_share_one_key_so_the_key_cannot_reveal_either(twilio, engine):
    asked = press(twilio, busy_line(twilio, caller="anonymous"), "2", caller="anonymous")
    press(twilio, asked, TYPED, caller="anonymous")
    press(twilio, asked, "07400999999", caller="anonymous")  # the same step delivered again, with other digits
    with Session(engine) as session:
        typed = session.exec(select(CallStep).where(CallStep.step == "callback_number")).all()
    assert len(typed) == 1
    assert recorded_call(engine).text_to == TYPED_E164  # the repeat changed nothing


def test_a_number_never_confirmed_goes_when_the_call_ends_and_no_request_is_made(twilio, engine):
    press(twilio, press(twilio, busy_line(twilio, caller="anonymous"), "2", caller="anonymous"), TYPED,
          caller="anonymous")
    assert twilio.post("/voice/status", call_params(caller="anonymous", CallStatus="completed")).status_code == 204
    assert recorded_call(engine).text_to is None and inbox(engine) == []


def test_a_repeated_confirmation_puts_one_request_in_the_inbox(twilio, engine):
    confirm = press(twilio, busy_line(twilio), "2")
    first, second = press(twilio, confirm, "1"), press(twilio, confirm, "1")
    assert said(first) == said(second)
    assert len(inbox(engine)) == 1


def test_out_of_hours_the_offer_is_unchanged(twilio, clock, engine):
    # A line rung just before closing answers after it: no one could call back soon, so 2 still leaves a message.
    put_through = choose(twilio, start(twilio), "2")
    clock.now = OUT_OF_HOURS
    offer = press(twilio, put_through, DialCallStatus="no-answer")
    assert said(offer) == ("Sorry, the DSL Infoline cannot answer just now. If your concern is urgent, press 1 for "
                           "the Emergency Duty Team. Otherwise, press 2, or stay on the line, to leave a message.")
    assert press(twilio, offer, "2").find("Record") is not None
    assert inbox(engine) == []


def test_an_error_while_taking_the_request_ends_in_the_fail_safe(twilio, engine, app):
    confirm = press(twilio, busy_line(twilio), "2")
    with failing_queries(app.extensions["db_engine"], "INSERT INTO message"):
        doc = press(twilio, confirm, "1")
    assert dialled(doc) == [MASH] and inbox(engine) == []
