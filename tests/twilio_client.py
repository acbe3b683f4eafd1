"""A test client that signs requests like Twilio and checks every reply is valid TwiML."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

from lxml import etree
from twilio.request_validator import RequestValidator

XSD_PATH = Path(__file__).with_name("twiml") / "TwiML.xsd"
_SCHEMA = etree.XMLSchema(etree.parse(str(XSD_PATH)))

# The 2016 schema predates these; Twilio documents all of them today (see ../shared/README.md).
KNOWN_NOISE = (
    ("voice", "Polly."),
    ("language", "en-GB"),
    ("actionOnEmptyResult", ""),
    ("input", ""),
    ("answerOnBridge", ""),
)


# Twilio's documented <say-as interpret-as> values inside <Say> (SSML, which the 2016 schema predates).
SAY_AS_KINDS = {"character", "characters", "spell-out", "cardinal", "number", "ordinal", "digits", "fraction",
                "unit", "date", "time", "address", "expletive", "telephone"}


def ssml_errors(doc: etree._Element) -> list[str]:
    """<say-as> is allowed only directly in a <Say>, with a documented interpret-as and only text inside."""
    errors = []
    for el in doc.iter("say-as"):
        if el.getparent().tag != "Say":
            errors.append(f"line {el.sourceline}: <say-as> inside <{el.getparent().tag}>, not <Say>")
        if el.get("interpret-as") not in SAY_AS_KINDS:
            errors.append(f"line {el.sourceline}: <say-as interpret-as={el.get('interpret-as')!r}> is not Twilio's")
        if len(el) or not (el.text or "").strip():
            errors.append(f"line {el.sourceline}: <say-as> must hold words only")
    return errors


def without_ssml(doc: etree._Element) -> etree._Element:
    """A copy with each <say-as> replaced by its words, for the schema, which knows no SSML."""
    copy = etree.fromstring(etree.tostring(doc))
    etree.strip_tags(copy, "say-as")
    return copy


def schema_errors(doc: etree._Element) -> list[str]:
    """Structural TwiML errors, ignoring the schema's outdated enumerations."""
    errors = ssml_errors(doc)
    _SCHEMA.validate(without_ssml(doc))
    for err in _SCHEMA.error_log:
        msg = err.message
        if any(f"'{attr}'" in msg and (value in msg) for attr, value in KNOWN_NOISE):
            continue
        errors.append(f"line {err.line}: {msg}")
    return errors


def parse_twiml(body: bytes) -> etree._Element:
    """Parse a TwiML reply and fail on any structural schema error."""
    doc = etree.fromstring(body)
    assert doc.tag == "Response", f"root is <{doc.tag}>, not <Response>"
    errors = schema_errors(doc)
    assert not errors, "TwiML does not match Twilio's schema:\n" + "\n".join(errors)
    return doc


def sign(auth_token: str, url: str, params: dict) -> str:
    """The X-Twilio-Signature Twilio would send."""
    return RequestValidator(auth_token).compute_signature(url, params)


class TwilioClient:
    """Posts signed webhooks to the Flask test client and returns parsed TwiML."""

    def __init__(self, client, auth_token: str, base_url: str):
        self.client = client
        self.auth_token = auth_token
        self.base_url = base_url

    def post(self, path: str, params: dict | None = None, signed: bool = True, signature: str | None = None):
        """POST form params to path (which may carry a query string); returns the raw response."""
        params = {k: v for k, v in (params or {}).items() if v is not None}
        headers = {}
        if signed:
            headers["X-Twilio-Signature"] = signature or sign(self.auth_token, urljoin(self.base_url, path), params)
        return self.client.post(path, data=params, headers=headers)

    def twiml(self, path: str, params: dict | None = None) -> etree._Element:
        """POST a signed webhook and return its TwiML, checked against the schema."""
        resp = self.post(path, params)
        assert resp.status_code == 200, f"{path} answered {resp.status_code}: {resp.data[:300]!r}"
        assert resp.mimetype in ("text/xml", "application/xml"), resp.mimetype
        return parse_twiml(resp.data)


def call_params(call_sid: str = "CA" + "1" * 32, caller: str = "+442079460999", **extra) -> dict:
    """The parameters Twilio sends on a voice webhook."""
    params = {
        "CallSid": call_sid,
        "AccountSid": "AC" + "0" * 32,
        "From": caller,
        "Caller": caller,
        "To": "+442079460001",
        "Called": "+442079460001",
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "ApiVersion": "2010-04-01",
    }
    params.update(extra)
    return params


def say_text(say: etree._Element) -> str:
    """The words of one <Say>, its <say-as> parts in place, as Twilio speaks them."""
    return " ".join("".join(say.itertext()).split())


def said(doc: etree._Element) -> str:
    """Everything the caller hears, in order, as one string."""
    return " ".join(say_text(e) for e in doc.iter("Say"))


def last_verb(doc: etree._Element) -> str:
    """The verb a document ends with: what the caller is left with."""
    return doc[-1].tag


def dialled(doc: etree._Element) -> list[str]:
    """The numbers a document transfers to."""
    numbers = []
    for d in doc.iter("Dial"):
        nested = [n.text.strip() for n in d.iter("Number")]
        numbers.extend(nested or [(d.text or "").strip()])
    return numbers


def next_url(doc: etree._Element) -> str | None:
    """Where Twilio goes next: the Gather/Dial/Record action, else the Redirect."""
    for tag in ("Gather", "Dial", "Record"):
        for el in doc.iter(tag):
            if el.get("action"):
                return el.get("action")
    redirect = next(doc.iter("Redirect"), None)
    return redirect.text.strip() if redirect is not None else None
