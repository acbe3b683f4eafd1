"""What Twilio does with a webhook's answer: refuse it with its error code, parse TwiML, collect Gather keys."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import requests


# Twilio's error codes for a webhook it could not use, as its Debugger and the Fallback URL's ErrorCode name them.
HTTP_RETRIEVAL_FAILURE, HTTP_CONNECTION_FAILURE, HTTP_BAD_HOST_NAME = 11200, 11205, 11210
DOCUMENT_PARSE_FAILURE, INVALID_CONTENT_TYPE = 12100, 12300
ERROR_NAMES = {HTTP_RETRIEVAL_FAILURE: "HTTP retrieval failure", HTTP_CONNECTION_FAILURE: "HTTP connection failure",
               HTTP_BAD_HOST_NAME: "HTTP bad host name", DOCUMENT_PARSE_FAILURE: "Document parse failure",
               INVALID_CONTENT_TYPE: "Invalid Content-Type"}
TWIML_CONTENT_TYPES = ("text/xml", "application/xml", "text/html")  # what Twilio parses as TwiML


class SimulatorError(RuntimeError):
    """The call could not go on: the app answered something Twilio could not use, or the flow is broken."""


class WebhookFailure(SimulatorError):
    """One webhook Twilio could not use, with the error code Twilio would report for it."""

    def __init__(self, code: int, url: str, message: str):
        super().__init__(f"{message} [Twilio error {code} {ERROR_NAMES[code]}]")
        self.code, self.url = code, url


class AppUnreachable(WebhookFailure):
    """Nothing answered at the webhook's address (connection refused, DNS, TLS)."""


@dataclass(frozen=True)
class GatherSpec:
    """The parts of a <Gather> that decide what Twilio collects and where it posts."""

    action: str
    method: str
    num_digits: int | None
    finish_on_key: str
    timeout: int
    action_on_empty_result: bool


def collect_digits(keys: str, num_digits: int | None, finish_on_key: str) -> tuple[str, str]:
    """What Twilio posts as Digits for keys typed at a Gather, and the finishing key if one was pressed."""
    collected = ""
    for key in keys:
        if finish_on_key and key == finish_on_key:
            return collected, key
        collected += key
        if num_digits and len(collected) >= num_digits:
            break  # Twilio stops listening here; later keys are lost
    return collected, ""


def parse_twiml(body: bytes, url: str) -> ET.Element:
    """The <Response> root of a TwiML reply, or a WebhookFailure (12100) saying why it is not TwiML."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise WebhookFailure(DOCUMENT_PARSE_FAILURE, url,
                             f"{url} answered something that is not TwiML ({exc}): {body[:200]!r}") from None
    if root.tag != "Response":
        raise WebhookFailure(DOCUMENT_PARSE_FAILURE, url,
                             f"{url} answered XML whose root is <{root.tag}>, not TwiML's <Response>")
    return root


def check_content_type(resp: requests.Response, url: str) -> None:
    """Twilio reads a voice answer as TwiML only for an XML or HTML Content-Type (else 12300)."""
    content_type = (resp.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type not in TWIML_CONTENT_TYPES:
        raise WebhookFailure(INVALID_CONTENT_TYPE, url, f"{url} answered Content-Type {content_type or '(none)'!r}, "
                             f"which Twilio does not read as TwiML (use {', '.join(TWIML_CONTENT_TYPES)})")


def check_status(resp: requests.Response, method: str, url: str, expect_twiml: bool) -> None:
    """Fail loudly on a refusal or an error, with a hint for the usual cause."""
    if expect_twiml and resp.status_code == 200:
        return
    if not expect_twiml and 200 <= resp.status_code < 300:
        return
    hint = ""
    if resp.status_code == 403:
        hint = (" (the app refused the signature: does --auth-token match the app's TWILIO_AUTH_TOKEN, and is "
                "--base-url the app's PUBLIC_BASE_URL when it has one?)")
    snippet = resp.text[:200].strip()
    raise WebhookFailure(HTTP_RETRIEVAL_FAILURE, url,
                         f"{method} {url} answered HTTP {resp.status_code}{hint}: {snippet!r}")
