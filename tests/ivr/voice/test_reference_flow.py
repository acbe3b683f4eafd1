"""After a transfer the service ended first, the caller hears their reference and may have it texted to a mobile."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from db.models import CallStep, Contact, Route
from tests.call_support import choose, press, recorded_call, start
from tests.callback_support import MOBILE, callbacks_of
from tests.twilio_client import call_params, said

LANDLINE = "+442079460999"
TYPED = "07400123456"
TYPED_E164 = "+447400123456"


def the_contact(engine) -> Contact:
    with Session(engine) as session:
        return session.exec(select(Contact)).one()


def digit_by_digit(reference: str) -> str:
    return " ".join(reference)


def mash_ends_the_transfer(twilio, caller: str = LANDLINE):
    """Press 1, be put through, and MASH hangs up first: the caller is still on the line."""
    put_through = press(twilio, start(twilio, caller=caller), "1", caller=caller)
    return press(twilio, put_through, DialCallStatus="completed", DialCallDuration="300", caller=caller)


@pytest.mark.parametrize("caller", [LANDLINE, "anonymous"], ids=["landline", "withheld"])
def test_when_mash_hangs_up_first_the_caller_hears_the_reference_digit_by_digit_and_the_promised_time(
        twilio, engine, caller):
    doc = mash_ends_the_transfer(twilio, caller)
    contact = the_contact(engine)
    assert said(doc).startswith(f"Your reference is {digit_by_digit(contact.reference)}. "
                                "MASH will decide by 5 30 pm tomorrow, Wednesday.")  # 5:30 pm is read as a time
    assert "To hear it again, press 1. To have it sent by text to a mobile, press 2." in said(doc)
    assert doc.find("Gather").get("numDigits") == "1"
    assert recorded_call(engine).route == Route.MASH  # the route stays what it was


def test_pressing_1_reads_the_reference_again(twilio, engine):
    again = press(twilio, mash_ends_the_transfer(twilio), "1")
    assert f"Your reference is {digit_by_digit(the_contact(engine).reference)}." in said(again)


def test_silence_at_the_offer_says_goodbye(twilio, engine):
    end = press(twilio, mash_ends_the_transfer(twilio))
    assert said(end) == "Thank you for calling. Goodbye." and end.find("Hangup") is not None
    assert callbacks_of(engine) == []


def test_a_caller_who_hung_up_first_hears_nothing_more(twilio, engine):
    put_through = press(twilio, start(twilio), "1")
    end = press(twilio, put_through, DialCallStatus="completed", CallStatus="completed")
    assert said(end) == "" and end.find("Hangup") is not None


def test_an_infoline_caller_hears_their_reference_too(twilio, engine):
    put_through = choose(twilio, start(twilio), "2")
    doc = press(twilio, put_through, DialCallStatus="completed")
    reference = the_contact(engine).reference
    assert said(doc).startswith(f"Your reference is {digit_by_digit(reference)}. "
                                "Quote it if you call about this concern again.")
    assert recorded_call(engine).route == Route.DSL_INFOLINE


def ask_for_the_text(twilio, caller: str = LANDLINE):
    return press(twilio, mash_ends_the_transfer(twilio, caller), "2", caller=caller)


def test_a_landline_caller_types_a_mobile_hears_it_read_back_confirms_and_the_text_is_queued_once(twilio, engine):
    asked = ask_for_the_text(twilio)
    assert "type the mobile number" in said(asked)
    assert (asked.find("Gather").get("numDigits"), asked.find("Gather").get("finishOnKey")) == ("11", "#")
    read_back = press(twilio, asked, TYPED)
    assert "You typed 0 7 4 0 0, 1 2 3 4 5 6. To send the text to this number, press 1." in said(read_back)
    done = press(twilio, read_back, "1")
    assert said(done) == "Thank you. Your reference will be texted to that number. Goodbye."
    press(twilio, read_back, "1")  # Twilio delivers the same webhook twice
    [text] = callbacks_of(engine)
    contact = the_contact(engine)
    assert (text.kind, text.channel, text.to_number, text.state) == ("reference", "sms", TYPED_E164, "scheduled")
    assert contact.reference in text.body and "We aim to decide by" in text.body


def test_a_mobile_caller_who_types_another_mobile_gets_one_text_to_the_typed_one_when_the_call_ends(twilio, engine):
    read_back = press(twilio, ask_for_the_text(twilio, caller=MOBILE), TYPED, caller=MOBILE)
    press(twilio, read_back, "1", caller=MOBILE)
    assert twilio.post("/voice/status", call_params(caller=MOBILE, CallStatus="completed")).status_code == 204
    assert [(c.kind, c.to_number) for c in callbacks_of(engine)] == [("reference", TYPED_E164)]


def test_the_typed_number_is_in_no_url_no_step_and_no_step_key_and_goes_from_the_call_once_confirmed(twilio, engine):
    read_back = press(twilio, ask_for_the_text(twilio), TYPED)
    assert recorded_call(engine).text_to == TYPED_E164  # it waits on the call, cleared like the caller's number
    urls = [el.get("action") or el.text or "" for el in read_back.iter("Gather", "Redirect")]
    assert urls and not any(TYPED_E164[1:] in url or TYPED[1:] in url for url in urls)
    press(twilio, read_back, "1")
    assert recorded_call(engine).text_to is None
    with Session(engine) as session:
        steps = session.exec(select(CallStep)).all()
    typed = [s for s in steps if s.step == "reference_mobile"]
    assert typed and not any(TYPED[1:] in (s.digits or "") + (s.detail or "") for s in steps)


def test_two_different_numbers_typed_at_the_same_step_share_one_key_so_the_key_cannot_reveal_either(twilio, engine):
    asked = ask_for_the_text(twilio)
    press(twilio, asked, TYPED)
    press(twilio, asked, "07400999999")  # the same step delivered again, with other digits: one step, one key
    with Session(engine) as session:
        typed = session.exec(select(CallStep).where(CallStep.step == "reference_mobile")).all()
    assert len(typed) == 1
    assert recorded_call(engine).text_to == TYPED_E164  # the repeat changed nothing


def test_a_number_typed_and_never_confirmed_goes_when_the_call_ends(twilio, engine):
    press(twilio, ask_for_the_text(twilio), TYPED)
    assert twilio.post("/voice/status", call_params(caller=LANDLINE, CallStatus="completed")).status_code == 204
    assert recorded_call(engine).text_to is None and callbacks_of(engine) == []


def test_on_the_last_try_the_read_back_offers_no_second_retype(twilio, engine):
    again = press(twilio, ask_for_the_text(twilio), "01926414144")
    read_back = press(twilio, again, TYPED)
    assert "To send the text to this number, press 1." in said(read_back)
    assert "type it again" not in said(read_back)


def test_pressing_2_at_the_read_back_types_the_number_again(twilio, engine):
    read_back = press(twilio, ask_for_the_text(twilio), "07400999999")
    again = press(twilio, read_back, "2")
    assert "type the mobile number" in said(again)
    press(twilio, press(twilio, again, TYPED), "1")
    assert [c.to_number for c in callbacks_of(engine)] == [TYPED_E164]


def test_silence_at_the_read_back_sends_nothing(twilio, engine):
    end = press(twilio, press(twilio, ask_for_the_text(twilio), TYPED))
    assert "No text will be sent" in said(end) and end.find("Hangup") is not None
    assert callbacks_of(engine) == []


@pytest.mark.parametrize("typed", ["01926414144", "0740012", "+33612345678"])
def test_a_number_that_is_not_a_uk_mobile_is_refused_asked_once_more_then_goodbye_and_nothing_is_sent(
        twilio, engine, typed):
    asked = ask_for_the_text(twilio)
    again = press(twilio, asked, typed)
    assert said(again).startswith("That is not a UK mobile number. Please type the mobile number")
    end = press(twilio, again, typed)
    assert said(end).startswith("That is not a UK mobile number.") and "Goodbye" in said(end)
    assert [verb.tag for verb in end] == ["Say", "Hangup"]  # said, then ended: no gather asks a third time
    assert callbacks_of(engine) == []
    assert the_contact(engine).status == "received"  # nothing is lost: the contact stands


def test_silence_at_the_number_asks_once_more_then_says_goodbye(twilio, engine):
    again = press(twilio, ask_for_the_text(twilio))
    assert said(again).startswith("Sorry, I did not hear a number.")
    end = press(twilio, again)
    assert end.find("Hangup") is not None and callbacks_of(engine) == []


def test_a_caller_who_leaves_an_urgent_message_after_mash_did_not_answer_hears_their_reference(twilio, engine):
    put_through = press(twilio, start(twilio), "1")
    retry = press(twilio, put_through, DialCallStatus="no-answer")
    record = press(twilio, retry, DialCallStatus="no-answer")
    taken = press(twilio, record, RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/"
                                               f"{'AC' + '0' * 32}/Recordings/RE{'4' * 32}")
    reference = digit_by_digit(the_contact(engine).reference)
    assert said(taken) == ("Thank you. Your message has been passed to MASH as urgent. "
                           f"Your reference is {reference}. MASH will decide by 5 30 pm tomorrow, Wednesday. "
                           "If a child is in immediate danger, call 999. Goodbye.")


def test_an_infoline_call_no_one_answered_and_the_caller_left_is_closed_and_no_text_says_it_was_logged(
        twilio, engine):
    put_through = choose(twilio, start(twilio, caller=MOBILE), "2")
    press(twilio, put_through, DialCallStatus="no-answer", caller=MOBILE)  # the caller hangs up at the offer
    assert twilio.post("/voice/status", call_params(caller=MOBILE, CallStatus="completed")).status_code == 204
    contact = the_contact(engine)
    assert contact.status == "closed" and callbacks_of(engine) == []


def test_an_infoline_call_that_was_answered_keeps_its_contact_open_for_the_service_s_outcome(twilio, engine):
    put_through = choose(twilio, start(twilio, caller=MOBILE), "2")
    press(twilio, put_through, DialCallStatus="completed", CallStatus="completed", caller=MOBILE)
    assert twilio.post("/voice/status", call_params(caller=MOBILE, CallStatus="completed")).status_code == 204
    assert the_contact(engine).status == "received"
    assert [c.kind for c in callbacks_of(engine)] == ["reference"]
