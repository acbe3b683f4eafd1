"""Retention: past RETENTION_DAYS recordings are deleted (at Twilio, then the link) and caller numbers
anonymised; statistics stay."""
from __future__ import annotations

import base64
import json
import threading
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from callbacks.retention import run_retention
from db.models import Call, Callback, Contact, Route
from tests.conftest import TEST_ENV

NOW = datetime(2027, 3, 1, 3, 0, tzinfo=timezone.utc)
OLD = NOW - timedelta(days=401)
RECENT = NOW - timedelta(days=399)
CALLER = "+442079460999"
OLD_SID, RECENT_SID = "RE" + "a" * 32, "RE" + "b" * 32


def recording_url(sid: str) -> str:
    return f"https://api.twilio.com/2010-04-01/Accounts/{TEST_ENV['TWILIO_ACCOUNT_SID']}/Recordings/{sid}"


class RecordingsApi(BaseHTTPRequestHandler):
    """Twilio's Recordings endpoint on loopback: DELETE answers 204, or the status set for a SID."""

    deleted: list[str] = []
    answers: dict[str, int] = {}

    def do_DELETE(self):
        token = f"{TEST_ENV['TWILIO_ACCOUNT_SID']}:{TEST_ENV['TWILIO_AUTH_TOKEN']}".encode()
        sid = self.path.rsplit("/", 1)[-1].removesuffix(".json")
        if self.headers.get("Authorization") != "Basic " + base64.b64encode(token).decode():
            status = 401
        else:
            status = self.answers.get(sid, 204)
        if status == 204:
            self.deleted.append(sid)
        body = b"" if status == 204 else json.dumps({"code": 20404, "message": "no", "status": status}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def recordings_deleted(api) -> list[str]:
    return [sid for sid in api.deleted if sid.startswith("RE")]


@pytest.fixture
def twilio_api():
    """A loopback Twilio answering DELETE on recordings."""
    RecordingsApi.deleted, RecordingsApi.answers = [], {}
    server = ThreadingHTTPServer(("127.0.0.1", 0), RecordingsApi)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    RecordingsApi.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield RecordingsApi
    server.shutdown()
    server.server_close()


@pytest.fixture
def settings(app, twilio_api):
    return replace(app.config["SETTINGS"], twilio_api_base_url=twilio_api.url)


def _call(session, sid, started_at, route=Route.VOICEMAIL, recording=None):
    call = Call(call_sid=sid, caller=CALLER, called="+442079460001", started_at=started_at, route=route,
                service=Route.DSL_INFOLINE, recording_url=recording, duration_s=42)
    session.add(call)
    session.flush()
    return call


@pytest.fixture
def calls(engine):
    with Session(engine) as session:
        _call(session, "CA" + "a" * 32, OLD, recording=recording_url(OLD_SID))
        recent = _call(session, "CA" + "b" * 32, RECENT, recording=recording_url(RECENT_SID))
        old_mash = _call(session, "CA" + "c" * 32, OLD, route=Route.MASH)
        session.add(Contact(reference="123456", call_id=old_mash.id, caller=CALLER, created_at=OLD))
        session.add(Contact(reference="654321", call_id=recent.id, caller=CALLER, created_at=RECENT))
        session.commit()
    return engine


def _by_sid(engine, sid) -> Call:
    with Session(engine) as session:
        return session.exec(select(Call).where(Call.call_sid == sid)).one()


def test_an_old_recording_is_deleted_at_twilio_and_its_link_removed(calls, settings, twilio_api):
    run_retention(calls, settings, NOW)
    assert recordings_deleted(twilio_api) == [OLD_SID]
    old = _by_sid(calls, "CA" + "a" * 32)
    assert (old.recording_url, old.recording_deleted) == (None, True)


def test_a_recording_twilio_no_longer_has_counts_as_deleted(calls, settings, twilio_api):
    twilio_api.answers[OLD_SID] = 404
    assert run_retention(calls, settings, NOW)["recordings_deleted"] == 1
    assert _by_sid(calls, "CA" + "a" * 32).recording_deleted is True


def test_when_twilio_fails_the_link_is_kept_for_the_next_run_and_numbers_still_go(calls, settings, twilio_api):
    twilio_api.answers[OLD_SID] = 500
    first = run_retention(calls, settings, NOW)
    old = _by_sid(calls, "CA" + "a" * 32)
    assert (first["recordings_kept_for_retry"], old.recording_url) == (1, recording_url(OLD_SID))
    assert old.caller is None
    twilio_api.answers.clear()
    run_retention(calls, settings, NOW + timedelta(days=1))
    assert _by_sid(calls, "CA" + "a" * 32).recording_deleted is True


def test_a_caller_number_older_than_the_retention_period_is_anonymised_on_calls_and_contacts(calls, settings):
    run_retention(calls, settings, NOW)
    assert _by_sid(calls, "CA" + "a" * 32).caller is None
    with Session(calls) as session:
        contact = session.exec(select(Contact).where(Contact.reference == "123456")).one()
    assert contact.caller is None


def test_records_inside_the_retention_period_are_untouched(calls, settings, twilio_api):
    run_retention(calls, settings, NOW)
    recent = _by_sid(calls, "CA" + "b" * 32)
    assert (recent.caller, recent.recording_url, recent.recording_deleted) == (CALLER, recording_url(RECENT_SID), False)
    assert RECENT_SID not in twilio_api.deleted
    with Session(calls) as session:
        contact = session.exec(select(Contact).where(Contact.reference == "654321")).one()
    assert contact.caller == CALLER


def test_statistics_still_add_up_after_retention(calls, settings):
    def routes():
        with Session(calls) as session:
            return sorted(session.exec(select(Call.route, Call.service, Call.duration_s, Call.started_at)).all())

    before = routes()
    run_retention(calls, settings, NOW)
    assert routes() == before
    with Session(calls) as session:
        assert session.exec(select(func.count()).select_from(Contact)).one() == 2


def test_the_report_counts_what_was_changed_and_a_second_run_changes_nothing(calls, settings, twilio_api):
    first = run_retention(calls, settings, NOW)
    assert (first["recordings_deleted"], first["calls_anonymised"], first["contacts_anonymised"]) == (1, 2, 1)
    second = run_retention(calls, settings, NOW)
    assert (second["recordings_deleted"], second["calls_anonymised"], second["contacts_anonymised"]) == (0, 0, 0)
    assert recordings_deleted(twilio_api) == [OLD_SID]


def test_the_retention_period_follows_the_setting(calls, settings):
    run_retention(calls, replace(settings, retention_days=30), NOW)
    assert _by_sid(calls, "CA" + "b" * 32).caller is None


def test_the_default_retention_period_is_400_days(app):
    assert app.config["SETTINGS"].retention_days == 400


def test_a_sent_callback_past_retention_loses_its_number_but_a_pending_one_keeps_it(calls, settings):
    with Session(calls) as session:
        contact = session.exec(select(Contact).where(Contact.reference == "123456")).one()
        for state in ("delivered", "scheduled"):
            session.add(Callback(contact_id=contact.id, kind="decision", channel="sms", to_number=CALLER,
                                 body="Reference 123456: decided.", due_at=OLD, state=state, created_at=OLD, updated_at=OLD,
                                 dedupe_key=f"retention-{state}"))
        session.commit()
    run_retention(calls, settings, NOW)
    with Session(calls) as session:
        numbers = dict(session.exec(select(Callback.state, Callback.to_number)).all())
    assert numbers == {"delivered": "", "scheduled": CALLER}


def test_an_old_text_sent_through_notify_is_not_deleted_at_twilio_and_its_id_is_forgotten(calls, settings, twilio_api):
    notify_id, twilio_sid = "0c9c0acf-ecad-4e57-8d5b-95009e141e8c", "SM" + "d" * 32
    with Session(calls) as session:
        contact = session.exec(select(Contact).where(Contact.reference == "123456")).one()
        for n, sid in enumerate((notify_id, twilio_sid)):
            session.add(Callback(contact_id=contact.id, kind="reference", channel="sms", to_number=CALLER, body="x",
                                 due_at=OLD, state="delivered", attempts=1, twilio_sid=sid, dedupe_key=f"old:{n}",
                                 created_at=OLD, updated_at=OLD))
        session.commit()
    run_retention(calls, settings, NOW)
    assert twilio_sid in twilio_api.deleted and notify_id not in twilio_api.deleted
    with Session(calls) as session:
        assert session.exec(select(Callback.twilio_sid)).all() == [None, None]
