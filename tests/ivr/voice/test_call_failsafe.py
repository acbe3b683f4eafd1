"""A live call always ends in TwiML that reaches MASH (EDT out of hours), whatever breaks."""
from __future__ import annotations

import json
import logging
import time

import pytest
from sqlmodel import Session, select

from db.models import Call, Route
from ivr.logs import JsonFormatter
from ivr.twilio_auth import TWILIO_ROUTE_ATTR
from tests.call_support import failing_queries
from tests.conftest import OUT_OF_HOURS, TEST_ENV
from tests.twilio_client import call_params, dialled, next_url, parse_twiml

MASH = TEST_ENV["MASH_NUMBER"]
EDT = TEST_ENV["EDT_NUMBER"]
LIVE_STEPS = ["/voice/incoming", "/voice/menu?attempt=1", "/voice/dial-result?service=MASH&attempt=1",
              "/voice/unanswered?service=DSL_INFOLINE", "/voice/recording?service=EARLY_HELP&urgent=0"]


@pytest.mark.parametrize("path", LIVE_STEPS)
def test_with_the_database_unreachable_every_step_connects_to_mash(broken_db_twilio, path):
    doc = broken_db_twilio.twiml(path, call_params(Digits="2", DialCallStatus="busy"))
    assert dialled(doc) == [MASH]


def test_with_the_database_unreachable_out_of_hours_the_caller_reaches_edt(broken_db_twilio, clock):
    clock.now = OUT_OF_HOURS
    assert dialled(broken_db_twilio.twiml("/voice/incoming", call_params())) == [EDT]


def test_the_failure_is_logged_with_the_call_sid_for_reconciliation(broken_db_twilio, caplog):
    with caplog.at_level(logging.ERROR, logger="ivr"):
        broken_db_twilio.twiml("/voice/incoming", call_params(call_sid="CA" + "7" * 32))
    failures = [r for r in caplog.records if getattr(r, "event", None) == "failsafe"]
    assert failures and failures[0].call_sid == "CA" + "7" * 32
    line = json.loads(JsonFormatter().format(failures[0]))
    assert line["call_sid"] == "CA" + "7" * 32 and line["level"] == "error"


@pytest.mark.parametrize("path", LIVE_STEPS)
def test_an_exception_in_any_step_connects_to_mash_through_the_fail_safe(app, engine, twilio, path, caplog):
    # A bug anywhere in the step (here: the query layer) must not reach the caller.
    with failing_queries(engine), caplog.at_level(logging.ERROR, logger="ivr"):
        doc = twilio.twiml(path, call_params(Digits="1", DialCallStatus="busy"))
    assert dialled(doc) == [MASH]
    # Several steps reach MASH anyway: prove it was the fail-safe that answered, for this call.
    failsafe = [r for r in caplog.records if getattr(r, "event", None) == "failsafe"]
    assert [(r.call_sid, r.error) for r in failsafe] == [(call_params()["CallSid"], "RuntimeError")]


def wait_for_call(engine, sid: str, seconds: float = 10.0) -> Call:
    """The call row the background fail-safe recorder writes (it must not delay the caller)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with Session(engine) as session:
            call = session.exec(select(Call).where(Call.call_sid == sid, Call.failsafe.is_(True))).first()
        if call is not None:
            return call
        time.sleep(0.05)
    raise AssertionError(f"no fail-safe call {sid} was recorded")


def test_a_call_the_fail_safe_answered_is_recorded_as_routed_to_mash_not_abandoned(twilio, engine):
    sid = "CA" + "5" * 32
    with failing_queries(engine):  # the webhook's own queries fail; the fail-safe's recorder, off the request, does not
        assert dialled(twilio.twiml("/voice/incoming", call_params(call_sid=sid))) == [MASH]
        assert wait_for_call(engine, sid).route == Route.MASH
    # the bug is gone by the time the call ends
    twilio.post("/voice/status", call_params(call_sid=sid, CallStatus="completed", CallDuration="95"))
    with Session(engine) as session:
        call = session.exec(select(Call).where(Call.call_sid == sid)).one()
    assert call.route == Route.MASH and call.failsafe and call.duration_s == 95


def test_the_fallback_url_records_the_call_and_its_transfer_outcome(twilio, engine):
    sid = "CA" + "6" * 32
    doc = twilio.twiml("/voice/fallback", call_params(call_sid=sid))
    twilio.twiml(next_url(doc), call_params(call_sid=sid, DialCallStatus="completed"))
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        call = wait_for_call(engine, sid)
        if call.transfer_status == "completed":
            break
        time.sleep(0.05)
    assert call.route == Route.MASH and call.transfer_status == "completed"


def test_a_ringing_status_callback_does_not_end_the_call(twilio, engine):
    twilio.twiml("/voice/incoming", call_params())
    twilio.post("/voice/status", call_params(CallStatus="ringing"))
    with Session(engine) as session:
        call = session.exec(select(Call)).one()
    assert call.route is None and call.ended_at is None


def test_a_webhook_with_no_fields_at_all_still_connects_to_mash(twilio):
    doc = twilio.twiml("/voice/incoming", {})
    assert dialled(doc) == [MASH]


@pytest.mark.parametrize("digits", ["", "12", "abc", "１", "' OR 1=1 --", "9" * 5000, "\x00"])
def test_garbage_keys_are_treated_as_an_invalid_choice_not_an_error(twilio, digits):
    doc = twilio.twiml("/voice/incoming", call_params())
    reply = twilio.twiml(next_url(doc), call_params(Digits=digits))
    assert reply.find("Gather") is not None or dialled(reply) == [MASH]


def test_an_unknown_service_in_a_url_falls_back_to_mash(twilio):
    doc = twilio.twiml("/voice/dial-result?service=NOPE&attempt=banana", call_params(DialCallStatus="busy"))
    assert doc.find("Record") is not None or dialled(doc) == [MASH]


def test_the_fallback_url_dials_mash_then_edt_then_speaks(twilio):
    doc = twilio.twiml("/voice/fallback", call_params())
    assert dialled(doc) == [MASH]
    second = twilio.twiml(next_url(doc), call_params(DialCallStatus="no-answer"))
    assert dialled(second) == [EDT]
    last = twilio.twiml(next_url(second), call_params(DialCallStatus="busy"))
    assert "999" in "".join(last.itertext()) and last.find("Hangup") is not None


def test_the_fallback_url_ends_once_someone_answers(twilio):
    doc = twilio.twiml("/voice/fallback", call_params())
    done = twilio.twiml(next_url(doc), call_params(DialCallStatus="completed"))
    assert not dialled(done) and done.find("Hangup") is not None


def test_the_twiml_bin_document_in_the_readme_is_valid_twiml_that_dials_mash():
    readme = open("README.md", encoding="utf-8").read()
    xml = readme.split("```xml", 1)[1].split("```", 1)[0].strip()
    doc = parse_twiml(xml.encode())
    assert dialled(doc) == ["+441926414144"]


def test_every_twilio_route_but_the_fallback_refuses_an_unsigned_request(app, twilio):
    twilio_rules = [r for r in app.url_map.iter_rules() if r.rule.startswith("/voice")]
    assert len(twilio_rules) >= 8
    for rule in twilio_rules:
        view = app.view_functions[rule.endpoint]
        assert getattr(view, TWILIO_ROUTE_ATTR, False), f"{rule.rule} is not wrapped by twilio_signed"
        path = rule.rule.replace("<int:", "<").replace("<", "").replace(">", "")
        path = path.replace("callback_id", "1").replace("message_id", "1")
        unsigned = twilio.post(path, call_params(), signed=False)
        forged = twilio.post(path, call_params(), signature="bm90LWEtc2lnbmF0dXJl")
        if rule.rule.startswith("/voice/fallback"):  # answers the fail-safe either way: tests/test_fallback.py
            assert unsigned.status_code == 200 and set(dialled(parse_twiml(unsigned.data))) <= {MASH, EDT}, rule.rule
            continue
        assert unsigned.status_code == 403, rule.rule
        assert forged.status_code == 403, rule.rule


def test_a_signature_for_another_url_is_refused(twilio):
    from tests.twilio_client import sign

    sig = sign(TEST_ENV["TWILIO_AUTH_TOKEN"], TEST_ENV["PUBLIC_BASE_URL"] + "/voice/menu?attempt=1", call_params())
    assert twilio.post("/voice/incoming", call_params(), signature=sig).status_code == 403


def test_the_signature_is_checked_against_public_base_url_behind_a_proxy(twilio):
    # The test client talks to http://localhost, but Twilio signed the https public URL.
    assert twilio.post("/voice/incoming", call_params()).status_code == 200
