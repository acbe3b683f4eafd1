"""A local stand-in for GOV.UK Notify's API: POST /v2/notifications/sms and the notifications' lookup, with
Notify's JWT check, then a delivery receipt to the service's callback URL with its bearer token."""
from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import jwt
import phonenumbers
import requests

from simulator.twilio_rest import JsonReplyHandler

OUTCOMES = ("delivered", "permanent-failure", "temporary-failure", "technical-failure")


class NotifyError(Exception):
    """One of Notify's error replies: {"status_code": ..., "errors": [{"error": ..., "message": ...}]}."""

    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.body = status, {"status_code": status, "errors": [{"error": error, "message": message}]}


class NotifyStandIn:
    """Speaks Notify's SMS API on loopback for one service (its API key), and sends each text's receipt."""

    def __init__(self, api_key: str, *, callback_url: str | None = None, callback_token: str | None = None,
                 outcome: str = "delivered", templates: tuple[str, ...] = (), delay: float = 0.2):
        self.service_id, self.secret = api_key[-73:-37], api_key[-36:]
        self.callback_url, self.callback_token, self.outcome = callback_url, callback_token, outcome
        self.delay = delay  # seconds before a text's receipt is sent, as Notify's come a moment after the send
        self.lose_answers, self.stall = 0, 0.0  # sends to accept and then answer too late (`stall` seconds)
        self.templates = set(templates)  # the service's template ids (any, when none are given)
        self.notifications: dict[str, dict] = {}
        self.receipts: list[tuple[int, dict]] = []  # (the app's HTTP status, the receipt)
        self._lock, self._threads = threading.Lock(), []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.stand_in = self

    @property
    def url(self) -> str:
        """The base URL to put in NOTIFY_API_BASE_URL."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "NotifyStandIn":
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        self.wait_idle()
        self.server.shutdown()
        self.server.server_close()

    def wait_idle(self, timeout: float = 30) -> None:
        """Wait until every receipt has been posted."""
        for thread in list(self._threads):
            thread.join(timeout)

    def check_token(self, header: str | None) -> None:
        """Notify's rule: 'Bearer <JWT>' signed HS256 with the key's secret, iss the service id, iat within 30 s."""
        scheme, _, token = (header or "").partition(" ")
        try:
            claims = jwt.decode(token, self.secret, algorithms=["HS256"], options={"require": ["iss", "iat"]})
        except jwt.PyJWTError:
            raise NotifyError(403, "AuthError", "Invalid token: signature, api token not found") from None
        issued = datetime.fromtimestamp(claims["iat"], timezone.utc)
        if scheme != "Bearer" or claims["iss"] != self.service_id or \
                abs((datetime.now(timezone.utc) - issued).total_seconds()) > 30:
            raise NotifyError(403, "AuthError", "Invalid token: iss or iat out of bounds")

    def send_sms(self, body: dict) -> dict:
        """POST /v2/notifications/sms: queue the text, answer as Notify does, then send its receipt."""
        try:
            number = phonenumbers.parse(str(body.get("phone_number")), "GB")
            valid = phonenumbers.is_valid_number(number)
        except phonenumbers.NumberParseException:
            valid = False
        if not valid:
            raise NotifyError(400, "ValidationError", "phone_number Not a UK mobile number")
        template = str(body.get("template_id") or "")
        if self.templates and template not in self.templates:
            raise NotifyError(400, "BadRequestError", "Template not found")
        personalisation = body.get("personalisation") or {}
        if "body" not in personalisation:
            raise NotifyError(400, "BadRequestError", "Missing personalisation: body")
        notification = {"id": str(uuid.uuid4()), "reference": body.get("reference"), "phone_number": body["phone_number"],
                        "template": {"id": template, "version": 1}, "body": personalisation["body"],
                        "type": "sms", "status": "created", "created_at": _now()}
        with self._lock:
            self.notifications[notification["id"]] = notification
        thread = threading.Thread(target=self._deliver, args=(notification["id"],), daemon=True)
        self._threads.append(thread)
        thread.start()
        return {"id": notification["id"], "reference": notification["reference"],
                "content": {"body": notification["body"], "from_number": "GOVUK"},
                "uri": f"{self.url}/v2/notifications/{notification['id']}",
                "template": {"id": template, "version": 1, "uri": f"{self.url}/v2/template/{template}"}}

    def find(self, query: dict) -> dict:
        """GET /v2/notifications?reference=&template_type=: newest first."""
        with self._lock:
            found = [dict(n) for n in reversed(self.notifications.values())
                     if query.get("reference") in (None, n["reference"]) and query.get("template_type") in (None, "sms")]
        return {"notifications": found, "links": {"current": f"{self.url}/v2/notifications", "next": None}}

    def _deliver(self, notification_id: str) -> None:
        time.sleep(self.delay)
        with self._lock:
            notification = self.notifications[notification_id]
            notification.update(status=self.outcome, completed_at=_now(), sent_at=_now())
            receipt = {"id": notification_id, "reference": notification["reference"],
                       "to": notification["phone_number"], "status": self.outcome,
                       "created_at": notification["created_at"], "completed_at": notification["completed_at"],
                       "sent_at": notification["sent_at"], "notification_type": "sms",
                       "template_id": notification["template"]["id"], "template_version": 1}
        if self.callback_url:
            response = requests.post(self.callback_url, json=receipt, timeout=10,
                                     headers={"Authorization": f"Bearer {self.callback_token}"})
            with self._lock:
                self.receipts.append((response.status_code, receipt))


def _now() -> str:
    return datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")


class _Handler(JsonReplyHandler):
    def _serve(self, method: str) -> None:
        stand_in, parts = self.server.stand_in, urlsplit(self.path)
        try:
            stand_in.check_token(self.headers.get("Authorization"))
            if method == "POST" and parts.path == "/v2/notifications/sms":
                length = int(self.headers.get("Content-Length") or 0)
                sent = stand_in.send_sms(json.loads(self.rfile.read(length) or b"{}"))
                if stand_in.lose_answers:  # accepted, but the answer comes too late: the client has timed out
                    stand_in.lose_answers -= 1
                    time.sleep(stand_in.stall)
                return self._reply(201, sent)
            if method == "GET" and parts.path == "/v2/notifications":
                return self._reply(200, stand_in.find({k: v[-1] for k, v in parse_qs(parts.query).items()}))
            raise NotifyError(404, "NotFoundError", "Not found")
        except NotifyError as exc:
            self._reply(exc.status, exc.body)

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")
