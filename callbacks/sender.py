"""Send a callback through the twilio library's REST Client, at TWILIO_API_BASE_URL."""
from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from db.models import Callback

REST_TIMEOUT_S = 20  # well inside the outbox lease, so a live worker never loses its claim
RING_TIMEOUT_S = 30
MACHINE_DETECTION = "DetectMessageEnd"  # wait for the greeting to end, so the message lands after the beep


class BaseUrlHttpClient(TwilioHttpClient):
    """The library's HTTP client, sending requests for *.twilio.com to a Twilio-compatible base URL instead."""

    def __init__(self, base_url: str, timeout: float = REST_TIMEOUT_S):
        super().__init__(timeout=timeout)
        self.base = urlsplit(base_url.rstrip("/"))

    def rewrite(self, url: str) -> str:
        """The same path and query at the configured base URL."""
        parts = urlsplit(url)
        if not (parts.hostname or "").endswith("twilio.com") or self.base.hostname == parts.hostname:
            return url
        return urlunsplit((self.base.scheme, self.base.netloc, self.base.path + parts.path, parts.query, ""))

    def request(self, method, url, *args, **kwargs):
        """Send the request to the configured base URL."""
        return super().request(method, self.rewrite(url), *args, **kwargs)


def make_client(settings, timeout: float = REST_TIMEOUT_S) -> Client:
    """A twilio REST Client for this app's account, pointed at TWILIO_API_BASE_URL."""
    return Client(settings.twilio_account_sid, settings.twilio_auth_token,
                  http_client=BaseUrlHttpClient(settings.twilio_api_base_url, timeout))


@dataclass(frozen=True)
class CallbackUrls:
    """Our signed webhook URLs for one callback."""

    twiml: str
    call_status: str
    message_status: str


def sms_sender(settings) -> dict:
    """Who a text comes from: the Messaging Service, else the sender ID, else the number.

    The production TWILIO_PHONE_NUMBER is the MASH landline, and Twilio will not text from a number
    that cannot send SMS (error 21606).
    """
    if settings.twilio_messaging_service_sid:
        return {"messaging_service_sid": settings.twilio_messaging_service_sid}
    return {"from_": settings.sms_sender_id or settings.twilio_phone_number}


def send(client: Client, settings, callback: Callback, urls: CallbackUrls) -> str:
    """Send an SMS or start a voice call; return Twilio's SID."""
    if callback.channel == "sms":
        message = client.messages.create(to=callback.to_number, body=callback.body,
                                         status_callback=urls.message_status, **sms_sender(settings))
        return message.sid
    call = client.calls.create(to=callback.to_number, from_=settings.twilio_phone_number, url=urls.twiml,
                               method="POST", status_callback=urls.call_status, status_callback_method="POST",
                               status_callback_event=["completed"], machine_detection=MACHINE_DETECTION,
                               timeout=RING_TIMEOUT_S)
    return call.sid


CREDENTIALS_REFUSED = "credentials"
UNSUBSCRIBED = "unsubscribed"
UNSUBSCRIBED_CODE = 21610


def refusal(exc: Exception) -> str | None:
    """A refusal that is about us or the number, not this message: bad credentials (401/403) or an opt-out."""
    if not isinstance(exc, TwilioRestException):
        return None
    if exc.status in (401, 403):
        return CREDENTIALS_REFUSED
    return UNSUBSCRIBED if exc.code == UNSUBSCRIBED_CODE else None


def describe_failure(exc: Exception) -> tuple[str, bool]:
    """A short error text, and whether trying again later may help (network faults, 429 and 5xx)."""
    if isinstance(exc, TwilioRestException):
        transient = exc.status == 429 or exc.status >= 500
        return f"Twilio refused it: HTTP {exc.status}, error {exc.code}: {exc.msg}", transient
    if isinstance(exc, (requests.RequestException, OSError)):
        return f"Twilio could not be reached: {type(exc).__name__}", True
    return f"Sending failed: {type(exc).__name__}", True
