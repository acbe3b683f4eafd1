"""Twilio's REST conventions for the stand-in: its errors, SIDs and numbers, and the HTTP plumbing."""
from __future__ import annotations

import json
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

import phonenumbers

LOG_PATH = "/_stand-in/log"
ANSWER_PATH = "/_stand-in/answer"


class ApiError(Exception):
    """A Twilio-style error response."""

    def __init__(self, status: int, code: int, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def body(self) -> dict:
        return {"code": self.code, "message": self.message, "status": self.status,
                "more_info": f"https://www.twilio.com/docs/errors/{self.code}"}


def new_sid(prefix: str) -> str:
    """A fresh SID of Twilio's shape: two letters and 32 hex digits."""
    return prefix + uuid.uuid4().hex


def e164(value: str | None, field: str, code: int) -> str:
    """A phone number as Twilio accepts it (E.164), or Twilio's error for that field."""
    if not value:
        raise ApiError(400, code, f"A '{field}' phone number is required.")
    try:
        parsed = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        parsed = None
    if parsed is None or not phonenumbers.is_valid_number(parsed):
        raise ApiError(400, 21211 if field == "To" else 21212, f"Invalid '{field}' Phone Number: {value}")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class JsonReplyHandler(BaseHTTPRequestHandler):
    """A quiet handler that answers JSON: what every REST stand-in here (Twilio's, Notify's) shares."""

    def log_message(self, *args) -> None:
        pass

    def _reply(self, status: int, body: dict) -> None:
        data = b"" if status == 204 else json.dumps(body).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (a lost answer, on purpose): nothing to tell it


class StandInHandler(JsonReplyHandler):
    """HTTP plumbing: parse the request, ask the stand-in, write JSON."""

    def _serve(self, method: str) -> None:
        stand_in = self.server.stand_in
        path = urlsplit(self.path).path
        length = int(self.headers.get("Content-Length") or 0)
        fields = parse_qs(self.rfile.read(length).decode(), keep_blank_values=True) if length else {}
        form = {key: values[-1] for key, values in fields.items()}
        if method == "GET":  # a list's filters (To, PageSize) come in the query string
            form = {key: values[-1] for key, values in parse_qs(urlsplit(self.path).query).items()}
        try:
            if path == LOG_PATH and method == "GET":
                return self._reply(200, stand_in.log())
            if path == ANSWER_PATH and method == "POST":
                return self._reply(200, stand_in.set_answers(fields))
            self._reply(*stand_in.handle(method, path, form, self.headers.get("Authorization")))
        except ApiError as exc:
            self._reply(exc.status, exc.body())

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:  # noqa: N802 (http.server's name)
        self._serve("DELETE")
