"""Webhooks delivered twice, at once, or out of order: one row, one step each, the later step's route wins."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from lxml import etree
from sqlmodel import Session, func, select

from db.models import Call, CallStep, Route
from tests.conftest import TEST_ENV
from tests.twilio_client import TwilioClient, call_params, dialled, next_url

MASH = TEST_ENV["MASH_NUMBER"]
SID = call_params()["CallSid"]
RECORDING = f"https://api.twilio.com/2010-04-01/Accounts/{'AC' + '0' * 32}/Recordings/RE" + "4" * 32


def recorded(engine) -> tuple[Call, list[str]]:
    with Session(engine) as session:
        call = session.exec(select(Call).where(Call.call_sid == SID)).one()
        steps = list(session.exec(select(CallStep.step).where(CallStep.call_id == call.id).order_by(CallStep.id)))
    return call, steps


def twice(twilio, path, **extra):
    """Deliver the same webhook twice, as Twilio may; both replies must be the same document."""
    first = twilio.twiml(path, call_params(**extra))
    second = twilio.twiml(path, call_params(**extra))
    assert etree.tostring(first) == etree.tostring(second)
    return first


def to_urgent_message(twilio, deliver=None):
    """Press 1; MASH does not answer twice; the caller is asked for an urgent message. Returns each document."""
    deliver = deliver or (lambda path, **extra: twilio.twiml(path, call_params(**extra)))
    greeting = deliver("/voice/incoming")
    transfer = deliver(next_url(greeting), Digits="1")
    retry = deliver(next_url(transfer), DialCallStatus="no-answer")
    record = deliver(next_url(retry), DialCallStatus="no-answer")
    assert record.find("Record") is not None
    return [greeting, transfer, retry, record]


def test_every_webhook_of_a_call_delivered_twice_records_one_call_and_each_step_once(twilio, engine):
    docs = to_urgent_message(twilio, lambda path, **extra: twice(twilio, path, **extra))
    twice(twilio, next_url(docs[-1]), RecordingUrl=RECORDING, RecordingDuration="20")
    for _ in range(2):
        assert twilio.post("/voice/status", call_params(CallStatus="completed", CallDuration="95")).status_code == 204
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Call)).one() == 1
    call, steps = recorded(engine)
    assert steps == ["incoming", "menu", "dial_result", "dial_result", "recording", "status"]
    assert (call.route, call.urgent_flag, call.recording_url) == (Route.VOICEMAIL, True, RECORDING)


def test_a_redelivery_with_a_new_timestamp_is_still_recognised_as_the_same_webhook(twilio, engine):
    greeting = twilio.twiml("/voice/incoming", call_params())
    twilio.twiml(next_url(greeting), call_params(Digits="9", Timestamp="Tue, 24 Nov 2026 10:00:01 +0000"))
    twilio.twiml(next_url(greeting), call_params(Digits="9", Timestamp="Tue, 24 Nov 2026 10:00:16 +0000"))
    call, steps = recorded(engine)
    assert steps == ["incoming", "menu"] and call.invalid_count == 1


def test_simultaneous_copies_of_the_first_webhook_make_one_call_and_all_hear_the_menu(app, engine):
    copies = 6
    barrier = threading.Barrier(copies)

    def deliver(_):
        client = TwilioClient(app.test_client(), TEST_ENV["TWILIO_AUTH_TOKEN"], TEST_ENV["PUBLIC_BASE_URL"])
        barrier.wait()
        return client.twiml("/voice/incoming", call_params())

    with ThreadPoolExecutor(copies) as pool:
        docs = list(pool.map(deliver, range(copies)))
    assert all(doc.find("Gather") is not None for doc in docs), "a copy was sent down the fail-safe path"
    call, steps = recorded(engine)
    assert steps == ["incoming"]


def test_a_status_callback_before_the_transfer_result_keeps_both(twilio, engine):
    greeting = twilio.twiml("/voice/incoming", call_params())
    transfer = twilio.twiml(next_url(greeting), call_params(Digits="1"))
    assert dialled(transfer) == [MASH]
    twilio.post("/voice/status", call_params(CallStatus="completed", CallDuration="75"))
    twilio.twiml(next_url(transfer), call_params(DialCallStatus="completed", DialCallDuration="60"))
    call, steps = recorded(engine)
    assert steps == ["incoming", "menu", "status", "dial_result"]
    assert (call.route, call.transfer_status, call.transfer_duration_s) == (Route.MASH, "completed", 60)
    assert (call.call_status, call.duration_s) == ("completed", 75) and call.ended_at is not None


def test_a_message_whose_webhook_arrives_after_the_hang_up_is_kept_and_the_call_is_not_abandoned(twilio, engine):
    record = to_urgent_message(twilio)[-1]
    twilio.post("/voice/status", call_params(CallStatus="completed", CallDuration="95"))
    twilio.twiml(next_url(record), call_params(RecordingUrl=RECORDING, RecordingDuration="20"))
    call, steps = recorded(engine)
    assert steps[-2:] == ["status", "recording"]
    assert (call.route, call.urgent_flag, call.recording_url) == (Route.VOICEMAIL, True, RECORDING)


def test_a_choice_made_after_the_status_callback_replaces_abandoned(twilio, engine):
    greeting = twilio.twiml("/voice/incoming", call_params())
    twilio.post("/voice/status", call_params(CallStatus="completed", CallDuration="12"))
    assert recorded(engine)[0].route == Route.ABANDONED
    twilio.twiml(next_url(greeting), call_params(Digits="1"))
    call, steps = recorded(engine)
    assert call.route == Route.MASH and steps == ["incoming", "status", "menu"]


def test_a_late_copy_of_an_earlier_step_does_not_undo_the_later_route(twilio, engine):
    greeting, transfer, _, record = to_urgent_message(twilio)
    twilio.twiml(next_url(record), call_params(RecordingUrl=RECORDING))
    twilio.twiml(next_url(greeting), call_params(Digits="1"))  # Twilio's retry of the menu step, late
    call, steps = recorded(engine)
    assert call.route == Route.VOICEMAIL and call.urgent_flag
    assert steps.count("menu") == 1
