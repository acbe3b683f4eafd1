"""Every branch of the call flow, driven by signed webhooks and checked as parsed TwiML."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlmodel import Session, select

from db.models import Call, Route
from routing.prompts import SHORT_REPLAY
from tests.call_support import choose, press, recorded_call, recorded_steps, start
from tests.conftest import OUT_OF_HOURS, TEST_ENV
from tests.twilio_client import call_params, dialled, said, say_text

MASH = TEST_ENV["MASH_NUMBER"]
INFOLINE = TEST_ENV["DSL_INFOLINE_NUMBER"]
EARLY_HELP = TEST_ENV["EARLY_HELP_NUMBER"]
EDT = TEST_ENV["EDT_NUMBER"]
RECORDING = f"https://api.twilio.com/2010-04-01/Accounts/{TEST_ENV['TWILIO_ACCOUNT_SID']}/Recordings/RE{'1' * 32}"


def test_the_greeting_warns_about_999_before_anything_else(twilio):
    doc = start(twilio)
    gather = doc.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    first = say_text(gather.find("Say"))
    assert first.startswith("If a child is in immediate danger, hang up and call 999.")
    heard = said(doc).lower()
    assert heard.index("press 1") < heard.index("press 2") < heard.index("press 3") < heard.index("press 4")


def test_the_greeting_is_spoken_inside_the_gather_so_a_key_interrupts_it(twilio):
    doc = start(twilio)
    assert all(say.getparent().tag == "Gather" for say in doc.iter("Say"))
    assert doc.find("Gather/Say").get("voice") == "Polly.Amy"
    assert doc.find("Gather/Say").get("language") == "en-GB"


def test_pressing_1_dials_mash_with_no_further_words(twilio, engine):
    doc = press(twilio, start(twilio), "1")
    assert dialled(doc) == [MASH]
    assert said(doc) == ""
    dial = doc.find("Dial")
    assert dial.get("action").startswith("/voice/dial-result") and int(dial.get("timeout")) > 0
    call = recorded_call(engine)
    assert call.route == Route.MASH and call.routed_at is not None


def test_pressing_2_connects_to_the_dsl_infoline(twilio, engine):
    doc = choose(twilio, start(twilio), "2")
    assert INFOLINE in dialled(doc)
    assert recorded_call(engine).route == Route.DSL_INFOLINE


def test_pressing_3_connects_to_early_help(twilio, engine):
    doc = choose(twilio, start(twilio), "3")
    assert EARLY_HELP in dialled(doc)
    assert recorded_call(engine).route == Route.EARLY_HELP


def test_silence_replays_only_the_short_form_once_then_connects_to_mash(twilio, engine):
    first = start(twilio)
    second = press(twilio, first, None)
    assert said(second) == SHORT_REPLAY
    assert second.find("Gather") is not None and not dialled(second)
    third = press(twilio, second, None)
    assert dialled(third) == [MASH]
    call = recorded_call(engine)
    assert call.route == Route.MASH and call.no_input_count == 2


def test_an_invalid_key_says_so_and_replays_the_menu(twilio, engine):
    doc = press(twilio, start(twilio), "9")
    assert said(doc).startswith("That is not an option.")
    assert doc.find("Gather") is not None
    assert recorded_call(engine).invalid_count == 1


def test_a_second_invalid_key_connects_to_mash(twilio, engine):
    doc = press(twilio, press(twilio, start(twilio), "7"), "#")
    assert dialled(doc) == [MASH]
    call = recorded_call(engine)
    assert call.route == Route.MASH and call.invalid_count == 2


def test_an_invalid_key_then_a_valid_choice_is_honoured(twilio):
    doc = choose(twilio, press(twilio, start(twilio), "8"), "3")
    assert EARLY_HELP in dialled(doc)


def test_without_action_on_empty_result_the_redirect_posts_the_empty_choice(twilio):
    doc = start(twilio)
    redirect = doc.find("Redirect")
    assert redirect is not None and redirect.text == doc.find("Gather").get("action")
    assert doc.find("Gather").get("actionOnEmptyResult") == "true"


def test_a_mash_transfer_that_is_answered_ends_politely_once_the_caller_has_heard_their_reference(twilio, engine):
    doc = press(twilio, start(twilio), "1")
    end = press(twilio, doc, DialCallStatus="completed", DialCallDuration="240")
    assert "Your reference is" in said(end)
    goodbye = press(twilio, end)  # silence at the offer
    assert goodbye.find("Hangup") is not None and "Goodbye" in said(goodbye)
    call = recorded_call(engine)
    assert call.transfer_status == "completed" and call.transfer_duration_s == 240


@pytest.mark.parametrize("status", ["busy", "no-answer", "failed"])
def test_mash_not_answering_is_tried_again_once(twilio, status):
    doc = press(twilio, start(twilio), "1")
    retry = press(twilio, doc, DialCallStatus=status)
    assert dialled(retry) == [MASH]
    assert "Trying once more" in said(retry)


def test_mash_not_answering_twice_takes_an_urgent_message_flagged_for_staff(twilio, engine):
    doc = press(twilio, start(twilio), "1")
    retry = press(twilio, doc, DialCallStatus="no-answer")
    message = press(twilio, retry, DialCallStatus="busy")
    record = message.find("Record")
    assert record is not None and record.get("finishOnKey") == "#"
    assert "urgent" in said(message)
    thanks = press(twilio, message, RecordingUrl=RECORDING, RecordingDuration="30")
    assert thanks.find("Hangup") is not None and "passed to MASH as urgent" in said(thanks)
    call = recorded_call(engine)
    assert call.urgent_flag and call.recording_url == RECORDING
    assert call.route == Route.VOICEMAIL and call.service == Route.MASH


def test_a_busy_infoline_offers_mash_for_an_urgent_concern(twilio, engine):
    doc = choose(twilio, start(twilio), "2")
    offer = press(twilio, doc, DialCallStatus="busy")
    assert "press 1 for MASH" in said(offer)
    assert offer.find("Gather") is not None
    mash = press(twilio, offer, "1")
    assert dialled(mash) == [MASH]
    assert recorded_call(engine).route == Route.MASH


def test_a_busy_infoline_lets_the_caller_leave_a_message_by_staying_on_the_line(twilio, engine):
    doc = choose(twilio, start(twilio), "2")
    offer = press(twilio, doc, DialCallStatus="no-answer")
    message = press(twilio, offer, None)
    assert message.find("Record") is not None
    assert "DSL Infoline" in said(message)
    press(twilio, message, RecordingUrl=RECORDING)
    call = recorded_call(engine)
    assert call.route == Route.VOICEMAIL and call.service == Route.DSL_INFOLINE and not call.urgent_flag


def test_a_message_that_records_nothing_still_ends_with_words_not_silence(twilio):
    doc = press(twilio, choose(twilio, start(twilio), "3"), DialCallStatus="busy")
    message = press(twilio, doc, "3")
    verbs = [el.tag for el in message]
    after_record = verbs[verbs.index("Record") + 1:]
    assert after_record == ["Say", "Hangup"]


def test_out_of_hours_the_menu_says_mash_is_closed_and_urgent_calls_go_to_edt(twilio, clock, engine):
    clock.now = OUT_OF_HOURS
    doc = start(twilio)
    assert "MASH is closed" in said(doc) and "Emergency Duty Team" in said(doc)
    urgent = press(twilio, doc, "1")
    assert dialled(urgent) == [EDT]
    call = recorded_call(engine)
    assert call.route == Route.EDT and call.in_hours is False


def test_out_of_hours_silence_twice_reaches_the_emergency_duty_team(twilio, clock):
    clock.now = OUT_OF_HOURS
    doc = press(twilio, press(twilio, start(twilio), None), None)
    assert dialled(doc) == [EDT]


def test_out_of_hours_the_infoline_takes_a_message(twilio, clock, engine):
    clock.now = OUT_OF_HOURS
    doc = choose(twilio, start(twilio), "2")
    assert doc.find("Record") is not None and not dialled(doc)
    assert "closed" in said(doc)
    assert recorded_call(engine).service == Route.DSL_INFOLINE


def test_a_bank_holiday_weekday_is_out_of_hours(twilio, clock):
    clock.now = datetime(2026, 12, 28, 11, 0, tzinfo=timezone.utc)  # substitute Boxing Day
    assert dialled(press(twilio, start(twilio), "1")) == [EDT]


def test_friday_closes_earlier_than_thursday(twilio, clock):
    clock.now = datetime(2026, 11, 27, 17, 15, tzinfo=timezone.utc)  # Friday 17:15 GMT
    assert dialled(press(twilio, start(twilio), "1")) == [EDT]
    clock.now = datetime(2026, 11, 26, 17, 15, tzinfo=timezone.utc)  # Thursday 17:15 GMT
    assert dialled(press(twilio, start(twilio, call_sid="CA" + "2" * 32), "1", call_sid="CA" + "2" * 32)) == [MASH]


def test_summer_time_is_respected(twilio, clock):
    clock.now = datetime(2026, 7, 14, 16, 45, tzinfo=timezone.utc)  # 17:45 BST on a Tuesday: closed
    assert dialled(press(twilio, start(twilio), "1")) == [EDT]


def test_option_4_is_recorded_as_a_status_check(twilio, engine):
    doc = press(twilio, start(twilio), "4")
    assert doc.find("Gather") is not None
    assert recorded_call(engine).route == Route.STATUS_CHECK


def test_every_step_and_key_is_recorded_in_order(twilio, engine):
    doc = choose(twilio, press(twilio, start(twilio), "9"), "2")
    press(twilio, doc, DialCallStatus="completed", DialCallDuration="60")
    steps = recorded_steps(engine)
    assert [(s.step, s.digits) for s in steps] == [
        ("incoming", None), ("menu", "9"), ("menu", "2"), ("identify", "*"), ("dial_result", "completed")]
    assert all(s.at is not None for s in steps)


def test_the_call_row_carries_caller_number_and_number_called(twilio, engine):
    start(twilio, caller="0121 496 0123")
    call = recorded_call(engine)
    assert call.caller == "+441214960123" and call.called == "+442079460001" and call.in_hours


def test_a_withheld_caller_is_recorded_as_withheld(twilio, engine):
    start(twilio, caller="anonymous")
    assert recorded_call(engine).caller == "withheld"


def test_a_webhook_delivered_twice_creates_one_row_and_one_step(twilio, engine):
    start(twilio)
    start(twilio)
    first = start(twilio)
    press(twilio, first, "9")
    press(twilio, first, "9")
    with Session(engine) as session:
        assert len(session.exec(select(Call)).all()) == 1
    steps = recorded_steps(engine)
    assert [s.step for s in steps] == ["incoming", "menu"]
    assert recorded_call(engine).invalid_count == 1


def test_hanging_up_in_the_menu_is_recorded_as_abandoned(twilio, engine):
    start(twilio)
    resp = twilio.post("/voice/status", call_params(CallStatus="completed", CallDuration="7"))
    assert resp.status_code == 204
    call = recorded_call(engine)
    assert call.route == Route.ABANDONED and call.duration_s == 7 and call.ended_at is not None


def test_the_status_callback_keeps_the_chosen_route(twilio, engine):
    choose(twilio, start(twilio), "3")
    twilio.post("/voice/status", call_params(CallStatus="completed", CallDuration="90"))
    call = recorded_call(engine)
    assert call.route == Route.EARLY_HELP and call.call_status == "completed"


def test_a_status_callback_before_the_last_step_loses_nothing(twilio, engine):
    doc = start(twilio)
    twilio.post("/voice/status", call_params(CallStatus="completed", CallDuration="20"))
    press(twilio, doc, "1")
    assert recorded_call(engine).route == Route.MASH
