"""Playing TwiML as a phone would, for the stand-in's outbound calls: what is said, a key, a dial, a redirect."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urljoin

import requests

MAX_DOCUMENTS = 10  # TwiML documents followed in one call, so a redirect loop cannot play forever


def spoken(say: ET.Element) -> str:
    """The words of a <Say>, with those inside its <say-as> in their place."""
    return " ".join("".join(say.itertext()).split())


def _dialled(element: ET.Element) -> str:
    """The number a <Dial> rings."""
    return next(("".join(n.itertext()).strip() for n in element.iter("Number")), (element.text or "").strip())


def play_document(doc: ET.Element, said: list[str], key: str | None, dial=None):
    """Play one TwiML document: ((next URL, method, form fields to add) or None, the key still to press).
    `dial(number)` says how a <Dial> to a number ends (Twilio's DialCallStatus); without it a <Dial> is skipped."""
    for element in doc:
        if element.tag == "Say":
            said.append(spoken(element))
        elif element.tag == "Gather":
            said.extend(spoken(e) for e in element.iter("Say"))
            if key:
                return (element.get("action") or "", element.get("method", "POST"), {"Digits": key}), None
        elif element.tag == "Dial" and dial is not None:
            status = dial(_dialled(element))
            if element.get("action"):
                return (element.get("action"), element.get("method", "POST"),
                        {"DialCallStatus": status, "DialCallDuration": "30" if status == "completed" else "0"}), key
        elif element.tag == "Redirect":
            return ((element.text or "").strip(), element.get("method", "POST"), {}), key
        elif element.tag == "Hangup":
            break
    return None, key


def play_call(webhook, url: str, method: str, params: dict, key: str | None, complain,
              dial=None) -> tuple[list[str], int | None]:
    """Fetch and play a call's TwiML documents in turn: (what was said, the last HTTP status)."""
    form, said, status = params, [], None
    for _ in range(MAX_DOCUMENTS):
        try:
            resp = webhook(url, form, method)
            status = resp.status_code
            doc = ET.fromstring(resp.content) if resp.ok else None
        except (requests.RequestException, ET.ParseError) as exc:
            doc = None
            complain(f"could not get TwiML ({type(exc).__name__})")
        if doc is None:
            break
        step, key = play_document(doc, said, key, dial)
        if step is None:
            break
        action, method, fields = step
        url, form = urljoin(url, action), dict(params, **fields)
    return said, status
