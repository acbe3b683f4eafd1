"""The Fallback URL always puts the caller through, even when signing is broken; late actions hang up."""
from __future__ import annotations

import logging
import time

import pytest
from sqlmodel import Session, select

from db.models import Call, Contact, Route
from ivr import create_app
from ivr.config import load_settings
from tests.conftest import OUT_OF_HOURS, TEST_ENV
from tests.twilio_client import TwilioClient, call_params, dialled, next_url, parse_twiml, sign

MASH, EDT = TEST_ENV["MASH_NUMBER"], TEST_ENV["EDT_NUMBER"]
FALLBACK = "/voice/fallback"


def calls(engine) -> list[Call]:
    with Session(engine) as session:
        return session.exec(select(Call)).all()


def recorded_soon(engine, sid: str, seconds: float = 10.0) -> Call | None:
    """The row the background fail-safe recorder writes, if it writes one within a few seconds."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with Session(engine) as session:
            call = session.exec(select(Call).where(Call.call_sid == sid)).first()
        if call is not None:
            return call
        time.sleep(0.05)
    return None


@pytest.mark.parametrize("signature", [None, "bm90LWEtc2lnbmF0dXJl"])
def test_an_unsigned_or_forged_fallback_request_still_puts_the_caller_through_to_mash(twilio, engine, signature):
    response = twilio.post(FALLBACK, call_params(), signed=False, signature=signature)
    assert response.status_code == 200 and dialled(parse_twiml(response.data)) == [MASH]
    assert recorded_soon(engine, call_params()["CallSid"], seconds=0.5) is None  # nothing unsigned is stored


def test_a_fallback_signed_for_the_wrong_url_reaches_edt_out_of_hours(twilio, clock):
    clock.now = OUT_OF_HOURS
    params = call_params()
    wrong = sign(TEST_ENV["TWILIO_AUTH_TOKEN"], "http://10.0.0.5:8000" + FALLBACK, params)  # a proxy's inside URL
    assert dialled(parse_twiml(twilio.post(FALLBACK, params, signature=wrong).data)) == [EDT]


def test_the_fallback_result_answers_unsigned_too_and_tries_the_other_line(twilio):
    first = twilio.twiml(FALLBACK, call_params())
    response = twilio.post(next_url(first), call_params(DialCallStatus="no-answer"), signed=False)
    assert dialled(parse_twiml(response.data)) == [EDT]


def test_a_request_signed_with_the_secondary_token_is_accepted_while_the_token_is_rotated(engine, clock):
    env = dict(TEST_ENV, DATABASE_URL=str(engine.url.render_as_string(hide_password=False)),
               TWILIO_AUTH_TOKEN="the-new-token", TWILIO_AUTH_TOKEN_SECONDARY=TEST_ENV["TWILIO_AUTH_TOKEN"])
    app = create_app(load_settings(env))
    app.config["CLOCK"] = clock
    old = TwilioClient(app.test_client(), TEST_ENV["TWILIO_AUTH_TOKEN"], TEST_ENV["PUBLIC_BASE_URL"])
    new = TwilioClient(app.test_client(), "the-new-token", TEST_ENV["PUBLIC_BASE_URL"])
    assert old.post("/voice/incoming", call_params()).status_code == 200
    assert new.post("/voice/incoming", call_params(call_sid="CA" + "2" * 32)).status_code == 200
    other = TwilioClient(app.test_client(), "a-third-token", TEST_ENV["PUBLIC_BASE_URL"])
    assert other.post("/voice/incoming", call_params(call_sid="CA" + "3" * 32)).status_code == 403


def test_the_fallback_logs_twilios_error_code_and_the_url_that_failed(twilio, caplog):
    params = call_params(ErrorCode="11200", ErrorUrl="https://ivr.example.test/voice/incoming")
    with caplog.at_level(logging.WARNING, logger="ivr.voice"):
        twilio.twiml(FALLBACK, params)
    [line] = [r for r in caplog.records if getattr(r, "event", None) == "twilio_fallback"]
    assert (line.error_code, line.error_url, line.signed) == ("11200", params["ErrorUrl"], True)


def test_a_signed_fallback_request_is_recorded_as_a_fail_safe_call(twilio, engine):
    sid = "CA" + "4" * 32
    twilio.twiml(FALLBACK, call_params(call_sid=sid))
    call = recorded_soon(engine, sid)
    assert call is not None and call.failsafe and call.route == Route.MASH


def start_transfer(twilio, sid: str):
    """A call that pressed 1 and is being put through to MASH."""
    menu = twilio.twiml("/voice/incoming", call_params(call_sid=sid))
    return twilio.twiml(next_url(menu), call_params(call_sid=sid, Digits="1"))


def test_a_dial_action_after_the_caller_hung_up_hangs_up_and_keeps_the_real_outcome(twilio, engine):
    sid = "CA" + "5" * 32
    dial = start_transfer(twilio, sid)
    late = twilio.twiml(next_url(dial), call_params(call_sid=sid, DialCallStatus="no-answer", CallStatus="completed"))
    assert [child.tag for child in late] == ["Hangup"]
    [call] = calls(engine)
    assert (call.route, call.transfer_status, call.recording_url) == (Route.MASH, "no-answer", None)


def test_a_menu_action_after_the_caller_hung_up_connects_no_one_and_opens_no_contact(twilio, engine):
    sid = "CA" + "6" * 32
    menu = twilio.twiml("/voice/incoming", call_params(call_sid=sid))
    late = twilio.twiml(next_url(menu), call_params(call_sid=sid, Digits="1", CallStatus="completed"))
    assert [child.tag for child in late] == ["Hangup"]
    with Session(engine) as session:
        assert session.exec(select(Contact)).all() == []
    assert calls(engine)[0].route is None


def test_a_message_recorded_as_the_caller_hangs_up_is_kept_and_the_answer_is_a_silent_hang_up(twilio, engine):
    sid = "CA" + "7" * 32
    url = f"{TEST_ENV['TWILIO_API_BASE_URL'] if 'TWILIO_API_BASE_URL' in TEST_ENV else 'https://api.twilio.com'}"
    recording = f"{url}/2010-04-01/Accounts/{TEST_ENV['TWILIO_ACCOUNT_SID']}/Recordings/RE{'1' * 32}"
    twilio.twiml("/voice/incoming", call_params(call_sid=sid))
    late = twilio.twiml("/voice/recording?service=EARLY_HELP&urgent=0",
                        call_params(call_sid=sid, RecordingUrl=recording, CallStatus="completed"))
    assert [child.tag for child in late] == ["Hangup"]
    [call] = calls(engine)
    assert (call.route, call.recording_url) == (Route.VOICEMAIL, recording)


def test_a_fallback_result_after_the_caller_hung_up_dials_no_other_line(twilio):
    first = twilio.twiml(FALLBACK, call_params())
    late = twilio.twiml(next_url(first), call_params(DialCallStatus="no-answer", CallStatus="completed"))
    assert [child.tag for child in late] == ["Hangup"]
