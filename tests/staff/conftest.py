"""The staff pages' own fixtures: a local stand-in for Twilio's recordings, which the player fetches through the app."""
from __future__ import annotations

import base64
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.staff_support import PLAYABLE


class _Recordings(BaseHTTPRequestHandler):
    """Twilio's Media endpoint: the playable recording as MP3 to the account's Basic auth, 401 or 404 otherwise."""

    expected_auth = ""

    def do_GET(self):  # noqa: N802 (http.server's name)
        if self.headers.get("Authorization") != self.expected_auth:
            self.send_response(401)
            self.end_headers()
            return
        self.send_response(200 if self.path.endswith(f"/Recordings/{PLAYABLE}.mp3") else 404)
        self.send_header("Content-Type", "audio/mpeg")
        self.end_headers()
        self.wfile.write(b"ID3-fake-mp3")

    def log_message(self, *args):
        pass


@pytest.fixture
def twilio_media(settings_env):
    """The recordings stand-in on loopback, with the app's TWILIO_API_BASE_URL pointed at it; yields that URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recordings)
    _Recordings.expected_auth = "Basic " + base64.b64encode(
        f"{settings_env['TWILIO_ACCOUNT_SID']}:{settings_env['TWILIO_AUTH_TOKEN']}".encode()).decode()
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    settings_env["TWILIO_API_BASE_URL"] = f"http://127.0.0.1:{server.server_address[1]}"
    yield settings_env["TWILIO_API_BASE_URL"]
    server.shutdown()
