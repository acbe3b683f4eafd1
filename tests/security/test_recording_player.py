"""Attack: a forged RecordingUrl makes the staff player fetch any path on Twilio's API with our credentials."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import Session, select

from db.models import Call
from tests.conftest import TEST_ENV
from tests.staff_support import join_team, signed_in_client, utc
from tests.twilio_client import call_params

ACCOUNT = TEST_ENV["TWILIO_ACCOUNT_SID"]
RECORDING = f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/RE{'a' * 32}"


class Upstream(BaseHTTPRequestHandler):
    """Twilio's API as an attacker would like it: JSON for Messages, and whatever a test asks for."""

    seen: list[str] = []
    replies: dict[str, tuple[int, dict, bytes]] = {}

    def do_GET(self):  # noqa: N802 (http.server's name)
        Upstream.seen.append(self.path)
        status, headers, body = Upstream.replies.get(self.path, (404, {}, b""))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream(settings_env):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Upstream)
    Upstream.seen, Upstream.replies = [], {}
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    settings_env["TWILIO_API_BASE_URL"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield settings_env["TWILIO_API_BASE_URL"]
    server.shutdown()


def _stored(engine, url: str) -> int:
    with Session(engine) as session:
        call = Call(call_sid="CA" + "d" * 32, caller="+441214960555", started_at=utc("2026-11-24 09:00"),
                    route="VOICEMAIL", service="MASH", recording_url=url)
        session.add(call)
        session.commit()
        return call.id


def _play(app, call_id: int):
    client = signed_in_client(app, "staff", "mash-staff")
    join_team(app, "mash-staff", "MASH")  # the team whose inbox the message is in
    return client.get(f"/calls/{call_id}/recording")


FORGED = ["/2010-04-01/Accounts/{sid}/Messages.json", "/2010-04-01/Accounts/{sid}/Recordings/RE{hex}/../../Messages.json",
          "/2010-04-01/Accounts/AC" + "9" * 32 + "/Recordings/RE{hex}", "/2010-04-01/Accounts/{sid}/Recordings/RE{hex}.json",
          "/2010-04-01/Accounts/{sid}/Recordings/RE{hex}?x=1"]


@pytest.mark.parametrize("path", FORGED)
def test_a_forged_link_already_stored_is_never_fetched(upstream, app, engine, path):
    call_id = _stored(engine, upstream + path.format(sid=ACCOUNT, hex="a" * 32))
    assert _play(app, call_id).status_code == 404
    assert Upstream.seen == []


@pytest.mark.parametrize("path", FORGED)
def test_a_forged_recording_url_from_a_webhook_is_not_stored(twilio, engine, path):
    message = twilio.twiml("/voice/recording?service=DSL_INFOLINE&urgent=0", call_params(
        RecordingUrl="https://api.twilio.com" + path.format(sid=ACCOUNT, hex="a" * 32)))
    assert message.find("Say") is not None  # the caller still hears the message was taken
    with Session(engine) as session:
        assert session.exec(select(Call.recording_url)).one() is None


def test_our_own_recording_is_stored_and_plays_as_audio(upstream, app, engine):
    Upstream.replies[RECORDING + ".mp3"] = (200, {"Content-Type": "audio/mpeg"}, b"ID3-audio")
    response = _play(app, _stored(engine, upstream + RECORDING))
    assert response.status_code == 200 and response.mimetype == "audio/mpeg" and response.data == b"ID3-audio"


def test_an_answer_that_is_not_audio_is_refused_not_passed_through(upstream, app, engine):
    Upstream.replies[RECORDING + ".mp3"] = (200, {"Content-Type": "text/html"}, b'{"messages": ["secret"]}')
    response = _play(app, _stored(engine, upstream + RECORDING))
    assert response.status_code == 502 and b"secret" not in response.data


def test_a_redirect_off_the_checked_address_is_not_followed(upstream, app, engine):
    Upstream.replies[RECORDING + ".mp3"] = (302, {"Location": f"{upstream}/2010-04-01/Accounts/{ACCOUNT}/Messages.json"},
                                            b"")
    Upstream.replies[f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"] = (200, {"Content-Type": "audio/mpeg"}, b"x")
    assert _play(app, _stored(engine, upstream + RECORDING)).status_code == 502
    assert Upstream.seen == [RECORDING + ".mp3"]


def test_a_real_recording_url_from_a_webhook_is_stored(twilio, engine):
    url = "https://api.twilio.com" + RECORDING
    twilio.twiml("/voice/recording?service=DSL_INFOLINE&urgent=0", call_params(RecordingUrl=url))
    with Session(engine) as session:
        assert session.exec(select(Call.recording_url)).one() == url
