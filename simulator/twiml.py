"""What Twilio does with a webhook's answer: refuse errors, parse TwiML, and collect the keys for a Gather."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

import requests


class SimulatorError(RuntimeError):
    """The app answered something Twilio could not use: a refusal, an error, or not TwiML."""


class AppUnreachable(SimulatorError):
    """Nothing answered at the app's address (connection refused, DNS, TLS)."""


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
    """The <Response> root of a TwiML reply, or a SimulatorError saying why it is not TwiML."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise SimulatorError(f"{url} answered something that is not TwiML ({exc}): {body[:200]!r}") from None
    if root.tag != "Response":
        raise SimulatorError(f"{url} answered XML whose root is <{root.tag}>, not TwiML's <Response>")
    return root


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
    raise SimulatorError(f"{method} {url} answered HTTP {resp.status_code}{hint}: {snippet!r}")
