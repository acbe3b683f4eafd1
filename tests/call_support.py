"""Helpers for driving a call through the webhooks and reading what it recorded."""
from __future__ import annotations

from contextlib import contextmanager

from flask import has_request_context
from sqlalchemy import event
from sqlmodel import Session, select

from db.models import Call, CallStep
from tests.conftest import TEST_ENV
from tests.twilio_client import call_params, next_url, said

# A RecordingUrl as Twilio sends it for one of the test account's recordings.
RECORDING = f"https://api.twilio.com/2010-04-01/Accounts/{TEST_ENV['TWILIO_ACCOUNT_SID']}/Recordings/RE{'1' * 32}"


@contextmanager
def failing_queries(engine, matching: str = ""):
    """Every query a webhook runs (or each whose SQL contains `matching`) raises, injected through SQLAlchemy's
    engine events: a fault in the query layer, whatever module the query lives in."""
    def explode(_conn, _cursor, statement, *_args):
        if has_request_context() and matching.lower() in statement.lower():
            raise RuntimeError("injected failure")

    event.listen(engine, "before_cursor_execute", explode)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", explode)


def recorded_call(engine, sid: str = call_params()["CallSid"]) -> Call:
    with Session(engine) as session:
        return session.exec(select(Call).where(Call.call_sid == sid)).one()


def recorded_steps(engine, sid: str = call_params()["CallSid"]) -> list[CallStep]:
    call = recorded_call(engine, sid)
    with Session(engine) as session:
        return list(session.exec(select(CallStep).where(CallStep.call_id == call.id).order_by(CallStep.id)))


def start(twilio, **extra):
    """Answer a call and return the greeting."""
    return twilio.twiml("/voice/incoming", call_params(**extra))


def press(twilio, doc, digits=None, **extra):
    """Follow the document's action with the given keys (None means silence)."""
    params = call_params(**extra)
    if digits is not None:
        params["Digits"] = digits
    return twilio.twiml(next_url(doc), params)


def choose(twilio, doc, key):
    """Press 2 or 3, then skip the school question (the test caller's number matches no school)."""
    asked = press(twilio, doc, key)
    assert "URN" in said(asked)
    return press(twilio, asked, "*")


def reach_the_tone(twilio, key: str = "2", call_sid: str = call_params()["CallSid"]):
    """A call that chooses 2 (Infoline) or 3 (Early Help), skips the school question and finds the line unanswered:
    the Record verb (out of hours the service takes a message straight away)."""
    sid = {"call_sid": call_sid}
    asked = press(twilio, twilio.twiml("/voice/incoming", call_params(**sid)), key, **sid)
    doc = press(twilio, asked, "*", **sid)
    if doc.find("Record") is None:  # in hours: the line rang unanswered, then the caller stays on for a message
        doc = press(twilio, press(twilio, doc, DialCallStatus="no-answer", **sid), None, **sid)
    assert doc.find("Record") is not None
    return doc


def leave_message(twilio, key: str = "2", call_sid: str = call_params()["CallSid"], recording_url: str = RECORDING):
    """Leave a message for the Infoline (2) or Early Help (3) through the real webhooks; returns the goodbye."""
    return press(twilio, reach_the_tone(twilio, key, call_sid), RecordingUrl=recording_url, RecordingDuration="20",
                 call_sid=call_sid)


def leave_urgent_message(twilio, call_sid: str = call_params()["CallSid"]):
    """A MASH call unanswered twice whose caller leaves a message: the urgent message; returns the goodbye."""
    sid = {"CallSid": call_sid}
    doc = press(twilio, twilio.twiml("/voice/incoming", call_params(call_sid)), "1", **sid)
    doc = press(twilio, press(twilio, doc, DialCallStatus="no-answer", **sid), DialCallStatus="no-answer", **sid)
    return press(twilio, doc, RecordingUrl=RECORDING, **sid)
