"""Structured logs: JSON lines, the CallSid on every line of a call, no full numbers, no child details."""
from __future__ import annotations

import json
import logging
import os

import pytest
import requests
from sqlmodel import Session

from db.models import Call
from db.session import make_engine
from ivr import create_app
from ivr.config import load_settings
from ivr.logs import mask_text
from tests.conftest import IN_HOURS, TEST_ENV
from tests.processes import base_url, loopback_socket, start_gunicorn
from tests.twilio_client import TwilioClient, call_params

CALLER = "+442079460987"
SLOW_START_S = 120  # a loaded 2-core machine can take this long to start gunicorn and import the app
SID = "CA" + "5" * 32


def test_a_line_logged_while_answering_a_webhook_carries_its_call_sid(app, json_log):
    with app.test_request_context("/voice/menu", method="POST", data={"CallSid": SID}):
        logging.getLogger("schools.lookup").info("no school matched the caller ID")
    assert json_log()[-1]["call_sid"] == SID


def test_a_line_outside_any_call_has_no_call_sid(app, json_log):
    with app.test_request_context("/health"):
        logging.getLogger("ivr").info("health checked")
    assert "call_sid" not in json_log()[-1]


def test_every_line_of_a_failing_call_carries_the_call_sid_and_no_full_number(clock, json_log):
    app = create_app(load_settings(dict(TEST_ENV, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:9/none")))
    app.config["CLOCK"] = clock
    twilio = TwilioClient(app.test_client(), TEST_ENV["TWILIO_AUTH_TOKEN"], TEST_ENV["PUBLIC_BASE_URL"])
    twilio.twiml("/voice/incoming", call_params(call_sid=SID, caller=CALLER))
    twilio.post("/voice/status", call_params(call_sid=SID, caller=CALLER, CallStatus="completed"))
    lines = json_log()
    assert len(lines) >= 2
    assert all(line.get("call_sid") == SID for line in lines)
    assert CALLER not in json_log.text() and CALLER[1:] not in json_log.text()


def test_numbers_in_fields_and_inside_messages_are_masked_to_the_last_three_digits(json_log):
    logging.getLogger("callbacks").info("texting %s about 123456", "07700 900123", extra={"caller": CALLER})
    line = json_log()[-1]
    assert line["caller"].endswith("987") and "2079460" not in line["caller"]
    assert line["message"] == "texting ********123 about 123456"


def test_call_sids_references_and_times_are_not_mistaken_for_numbers():
    text = f"{SID} ref 123456 at 2026-11-24 10:00:00"
    assert mask_text(text) == text


@pytest.mark.postgres
def test_a_database_error_quoting_the_callers_number_is_masked_in_the_log(pg_schema_url, json_log):
    # PostgreSQL enforces the CallSid's length, and its error quotes every parameter of the INSERT.
    engine = make_engine(pg_schema_url)
    with Session(engine) as session:
        session.add(Call(call_sid="CA" + "x" * 100, caller=CALLER, started_at=IN_HOURS))
        try:
            session.commit()
        except Exception:
            logging.getLogger("ivr").exception("could not save the call")
    engine.dispose()
    line = json_log()[-1]
    # The engine hides parameters, and the masking catches any number PostgreSQL's own message quotes.
    assert "exception" in line and CALLER not in line["exception"] and "2079460" not in line["exception"]


def test_what_a_caller_said_about_a_child_is_never_logged(json_log):
    logging.getLogger("ivr").info("speech received", extra={"SpeechResult": "my pupil Jane Doe has bruises"})
    assert "Jane" not in json_log.text()


@pytest.mark.slow
def test_under_gunicorn_every_line_on_stderr_is_json_with_numbers_masked(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in TEST_ENV}
    env.update(TEST_ENV, DATABASE_URL=f"sqlite:///{tmp_path / 'g.sqlite3'}")
    sock = loopback_socket()
    proc = start_gunicorn(sock, env, "--workers", "1", "ivr.wsgi:app")
    try:
        # The socket listens already: the request waits in its queue until a worker has started.
        reply = requests.post(base_url(sock) + "/voice/incoming", data={"CallSid": SID, "From": CALLER},
                              timeout=SLOW_START_S)
        assert reply.status_code == 403
    finally:
        proc.terminate()
        output = proc.communicate(timeout=SLOW_START_S)[0].decode()
        sock.close()
    lines = [json.loads(line) for line in output.splitlines()]
    assert {"gunicorn.error", "ivr.twilio_auth"} <= {line["logger"] for line in lines}
    refused = next(line for line in lines if line["logger"] == "ivr.twilio_auth")
    assert refused["call_sid"] == SID and CALLER not in output

