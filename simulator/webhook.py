"""One webhook as Twilio sends it: signed, timed out after 15 s, and its failure named by Twilio's error code."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime
from time import perf_counter
from typing import Callable
from urllib.parse import urlencode, urlsplit

import requests
from twilio.request_validator import RequestValidator
from urllib3.exceptions import NameResolutionError

from simulator.transcript import Exchange, Transcript
from simulator.twiml import (HTTP_BAD_HOST_NAME, HTTP_CONNECTION_FAILURE, HTTP_RETRIEVAL_FAILURE, AppUnreachable,
                             WebhookFailure, check_content_type, check_status, parse_twiml)

TWILIO_TIMEOUT_S = 15  # Twilio waits 15 s in all for an answer, then tries the Fallback URL (error 11205)
USER_AGENT = "TwilioProxy/1.1 (mash-ivr simulator)"


def _bad_host(exc: requests.ConnectionError) -> bool:
    """True when the host name did not resolve, which Twilio reports as 11210 rather than 11205."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NameResolutionError)


class Webhooks:
    """Sends one call's webhooks, signed with the account's token, and notes each answer in the transcript."""

    def __init__(self, auth_token: str, http: requests.Session, transcript: Transcript,
                 clock: Callable[[], datetime], elapsed: Callable[[], float],
                 on_request: Callable[[float], None] | None = None, timeout_s: float = TWILIO_TIMEOUT_S):
        self.validator = RequestValidator(auth_token)
        self.http = http
        self.transcript = transcript
        self.clock = clock  # when each request was sent, by the clock the app stamps with
        self.elapsed = elapsed  # simulated seconds into the call
        self.on_request = on_request
        self.timeout_s = timeout_s

    def send(self, url: str, method: str, params: dict, expect_twiml: bool = True) -> ET.Element | None:
        """Send one signed webhook; the TwiML root, or WebhookFailure with the code Twilio would log."""
        method = method.upper()
        target = url
        if method == "GET":
            sep = "&" if urlsplit(url).query else "?"
            target, body = url + sep + urlencode(params), None
            signature = self.validator.compute_signature(target, {})
        else:
            body = params
            signature = self.validator.compute_signature(url, params)
        headers = {"X-Twilio-Signature": signature, "User-Agent": USER_AGENT}
        sent_at, started = self.clock(), perf_counter()
        try:
            resp = self.http.request(method, target, data=body, headers=headers, timeout=self.timeout_s)
        except requests.ConnectionError as exc:
            if isinstance(exc, requests.ConnectTimeout) or not _bad_host(exc):
                raise AppUnreachable(HTTP_CONNECTION_FAILURE, url, f"{method} {url}: cannot reach the app "
                                     f"({type(exc).__name__}); is it running there?") from None
            raise AppUnreachable(HTTP_BAD_HOST_NAME, url, f"{method} {url}: the host name does not resolve") from None
        except requests.Timeout:
            raise WebhookFailure(HTTP_CONNECTION_FAILURE, url, f"{method} {url} did not answer within "
                                 f"{self.timeout_s:g} s, Twilio's limit") from None
        except requests.RequestException as exc:
            raise WebhookFailure(HTTP_RETRIEVAL_FAILURE, url,
                                 f"{method} {url} failed: {type(exc).__name__}: {exc}") from None
        ms = (perf_counter() - started) * 1000
        self.transcript.exchanges.append(Exchange(method, target, resp.status_code, ms, sent_at, self.elapsed()))
        if self.on_request is not None:
            self.on_request(ms)
        check_status(resp, method, target, expect_twiml)
        if not expect_twiml:
            return None
        check_content_type(resp, url)
        return parse_twiml(resp.content, url)
