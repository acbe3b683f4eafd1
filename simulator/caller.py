"""A simulated call: posts signed webhooks to a running app exactly as Twilio does and follows its TwiML."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import formatdate
from time import perf_counter
from typing import Callable, Protocol
from urllib.parse import urlencode, urljoin, urlsplit

import requests
from twilio.request_validator import RequestValidator

from simulator import transcript as tx
from simulator.transcript import Exchange, ServiceDirectory, Transcript, speech_seconds
from simulator.twiml import AppUnreachable, GatherSpec, SimulatorError, check_status, collect_digits, parse_twiml

API_VERSION = "2010-04-01"
TWILIO_TIMEOUT_S = 15  # Twilio gives up on a webhook after 15 seconds
MAX_DOCUMENTS = 60  # more TwiML documents than this in one call means the flow loops
WITHHELD_FROM = "anonymous"  # what Twilio sends as From for a withheld caller ID
STATUS_PATH = "/voice/status"
DEFAULT_TALK_S = 180

# The tester's words for a transfer outcome -> Twilio's DialCallStatus.
TRANSFER_OUTCOMES = {"answered": "completed", "busy": "busy", "no-answer": "no-answer", "failed": "failed"}
HANGUP = object()  # a caller's answer meaning "hangs up now"


class Caller(Protocol):
    """Who is on the phone: decides keys, transfer outcomes, messages and when to hang up."""

    def hangs_up_at(self, document: int) -> bool:
        """True to hang up while hearing the given TwiML document (1 = the greeting)."""

    def press(self, prompt: str, gather: "GatherSpec") -> str | None | object:
        """Keys pressed at a Gather ('' or None = silence), or HANGUP."""

    def transfer(self, number: str) -> tuple[str, int]:
        """How a transfer to a number ends (answered, busy, no-answer, failed) and seconds talked."""

    def record(self, prompt: str) -> int | None:
        """Seconds of message left at a Record, or None to say nothing."""


class ScriptedCaller:
    """A caller who follows a script: keys for each prompt, outcomes for each transfer, a hang-up step."""

    def __init__(self, presses=(), transfers=(), hangup_at: int | None = None, message_s: int | None = 20,
                 talk_s: int = DEFAULT_TALK_S):
        self.presses = list(presses)
        self.transfers = list(transfers)
        self.hangup_at = hangup_at
        self.message_s = message_s
        self.talk_s = talk_s
        self.unused_presses: list[str] = []

    def hangs_up_at(self, document: int) -> bool:
        """Hang up at the scripted document, if any."""
        if self.hangup_at is not None and document >= self.hangup_at:
            self.unused_presses = [p or "(silence)" for p in self.presses]
            return True
        return False

    def press(self, prompt: str, gather: GatherSpec):
        """The next scripted keys; silence once the script runs out."""
        return self.presses.pop(0) if self.presses else None

    def transfer(self, number: str) -> tuple[str, int]:
        """The next scripted outcome; answered once the script runs out."""
        outcome = self.transfers.pop(0) if self.transfers else "answered"
        return outcome, (self.talk_s if outcome == "answered" else 0)

    def record(self, prompt: str) -> int | None:
        """Leave a message of the scripted length."""
        return self.message_s

    def leftovers(self) -> list[str]:
        """Scripted keys and outcomes the call ended before using: the flow was not what the script expected."""
        keys = self.unused_presses or [p or "(silence)" for p in self.presses]
        return [f"press {k}" for k in keys] + [f"transfer {t}" for t in self.transfers]


@dataclass
class _Document:
    root: ET.Element
    url: str


_END = object()  # the call is over


def real_clock() -> datetime:
    """The real time in UTC: a remote app stamps its rows by it."""
    return datetime.now(timezone.utc)


class SimulatedCall:
    """One inbound call driven over HTTP like Twilio: signed webhooks, TwiML followed verb by verb."""

    def __init__(self, base_url: str, auth_token: str, caller: Caller, from_number: str, to_number: str,
                 account_sid: str = "AC" + "0" * 32, call_sid: str | None = None,
                 directory: ServiceDirectory | None = None, listener: Callable[[str], None] | None = None,
                 http: requests.Session | None = None, on_request: Callable[[float], None] | None = None,
                 clock: Callable[[], datetime] = real_clock):
        self.base_url = base_url.rstrip("/") + "/"
        self.validator = RequestValidator(auth_token)
        self.caller = caller
        self.call_sid = call_sid or "CA" + uuid.uuid4().hex
        self.account_sid = account_sid
        self.from_number = WITHHELD_FROM if from_number.strip().lower() in ("withheld", "anonymous") else from_number
        self.to_number = to_number
        self.http = http or requests.Session()
        self.on_request = on_request
        self.clock = clock  # when each request was sent, by the clock the app stamps with
        self.elapsed_s = 0.0
        self.transcript = Transcript(self.call_sid, self.from_number, to_number, directory, listener)
        self._verbs = {"Say": self._say, "Play": self._play, "Pause": self._pause, "Gather": self._gather,
                       "Dial": self._dial, "Record": self._record, "Redirect": self._redirect,
                       "Hangup": self._hangup, "Reject": self._hangup}

    def params(self, **extra) -> dict:
        """The parameters Twilio sends with every voice webhook of this call."""
        params = {"CallSid": self.call_sid, "AccountSid": self.account_sid, "From": self.from_number,
                  "Caller": self.from_number, "To": self.to_number, "Called": self.to_number,
                  "CallStatus": "in-progress", "Direction": "inbound", "ApiVersion": API_VERSION}
        params.update({k: str(v) for k, v in extra.items() if v is not None})
        return params

    def run(self) -> Transcript:
        """Make the call from the first ring to the status callback; returns the transcript."""
        count = 0
        try:
            doc = self._request(urljoin(self.base_url, "voice/incoming"), "POST", self.params(CallStatus="ringing"))
            while doc is not _END:
                count += 1
                if count > MAX_DOCUMENTS:
                    raise SimulatorError(f"the call did not end after {MAX_DOCUMENTS} TwiML documents: the flow loops")
                if self.caller.hangs_up_at(count):
                    self.transcript.add(tx.CALLER_HANGUP, self.elapsed_s)
                    break
                doc = self._play_document(doc)
        except SimulatorError as exc:
            if not isinstance(exc, AppUnreachable):
                self._end_after_error()
            raise
        self._status_callback()
        return self.transcript

    def _end_after_error(self) -> None:
        """Twilio ends a call its webhook broke and still sends the status callback; so does the simulator."""
        try:
            self._status_callback()
        except SimulatorError:
            pass  # the first error is the one to report

    def _request(self, url: str, method: str, params: dict, expect_twiml: bool = True):
        """Send one signed webhook; a refusal, an error status or a non-TwiML body raises SimulatorError."""
        method = method.upper()
        if method == "GET":
            sep = "&" if urlsplit(url).query else "?"
            url, body = url + sep + urlencode(params), None
            signature = self.validator.compute_signature(url, {})
        else:
            body = params
            signature = self.validator.compute_signature(url, params)
        headers = {"X-Twilio-Signature": signature, "User-Agent": "TwilioProxy/1.1 (mash-ivr simulator)"}
        sent_at, started = self.clock(), perf_counter()
        try:
            resp = self.http.request(method, url, data=body, headers=headers, timeout=TWILIO_TIMEOUT_S)
        except requests.ConnectionError as exc:
            raise AppUnreachable(f"{method} {url}: cannot reach the app ({type(exc).__name__}); is it running there?") from None
        except requests.RequestException as exc:
            raise SimulatorError(f"{method} {url} failed: {type(exc).__name__}: {exc}") from None
        ms = (perf_counter() - started) * 1000
        self.transcript.exchanges.append(Exchange(method, url, resp.status_code, ms, sent_at, self.elapsed_s))
        if self.on_request is not None:
            self.on_request(ms)
        check_status(resp, method, url, expect_twiml)
        if not expect_twiml:
            return None
        return _Document(parse_twiml(resp.content, url), url)

    def _play_document(self, doc: _Document):
        """Carry out a document's verbs in order; returns the next document or _END."""
        for verb in doc.root:
            handler = self._verbs.get(verb.tag)
            if handler is None:
                raise SimulatorError(f"{doc.url} uses <{verb.tag}>, which the simulator does not support")
            try:
                result = handler(verb, doc)
            except ValueError as exc:  # an attribute Twilio would reject, such as numDigits="two"
                raise SimulatorError(f"{doc.url}: <{verb.tag}> has an invalid attribute ({exc})") from None
            if result is not None:
                return result
        return _END  # Twilio hangs up when a document runs out of verbs

    def _hear(self, el: ET.Element) -> str:
        """Say or play the spoken children of a verb; returns the words heard."""
        words = []
        for child in [el] if el.tag in ("Say", "Play", "Pause") else list(el):
            if child.tag == "Say":
                text = " ".join("".join(child.itertext()).split())
                loops = max(1, int(child.get("loop") or 1))
                self.transcript.add(tx.HEARS, self.elapsed_s, text=text)
                self.elapsed_s += speech_seconds(text) * loops
                words.append(text)
            elif child.tag == "Play":
                self.transcript.add(tx.PLAYS, self.elapsed_s, text=child.get("digits") or (child.text or "").strip())
                self.elapsed_s += 3
            elif child.tag == "Pause":
                length = float(child.get("length") or 1)
                self.transcript.add(tx.PAUSE, self.elapsed_s, seconds=length)
                self.elapsed_s += length
        return " ".join(words)

    def _say(self, el, doc):
        self._hear(el)

    _play = _pause = _say

    def _hangup(self, el, doc):
        self.transcript.add(tx.APP_HANGUP, self.elapsed_s)
        return _END

    def _redirect(self, el, doc):
        target = (el.text or "").strip()
        if not target:
            raise SimulatorError(f"{doc.url}: <Redirect> without a URL")
        return self._request(urljoin(doc.url, target), el.get("method") or "POST", self.params())

    def _gather(self, el, doc):
        if "dtmf" not in (el.get("input") or "dtmf"):
            raise SimulatorError(f"{doc.url}: <Gather input={el.get('input')!r}> takes speech only; the simulator presses keys")
        spec = GatherSpec(
            action=urljoin(doc.url, el.get("action") or doc.url), method=el.get("method") or "POST",
            num_digits=int(el.get("numDigits")) if el.get("numDigits") else None,
            finish_on_key=el.get("finishOnKey", "#"), timeout=int(el.get("timeout") or 5),
            action_on_empty_result=(el.get("actionOnEmptyResult") or "").lower() == "true")
        prompt = self._hear(el)
        keys = self.caller.press(prompt, spec)
        if keys is HANGUP:
            self.transcript.add(tx.CALLER_HANGUP, self.elapsed_s)
            return _END
        digits, finished_on = collect_digits(str(keys or ""), spec.num_digits, spec.finish_on_key)
        if keys:
            self.transcript.add(tx.PRESSES, self.elapsed_s, text=str(keys), action=spec.action)
            self.elapsed_s += len(str(keys))
            if not finished_on and not (spec.num_digits and len(digits) >= spec.num_digits):
                self.elapsed_s += spec.timeout  # Twilio waits for more keys before posting
        if not keys or not digits:
            if not keys:
                self.transcript.add(tx.SILENCE, self.elapsed_s, seconds=spec.timeout, action=spec.action)
            self.elapsed_s += spec.timeout
            if not spec.action_on_empty_result:
                return None  # Twilio falls through to the next verb
            return self._request(spec.action, spec.method, self.params())
        return self._request(spec.action, spec.method, self.params(Digits=digits, FinishedOnKey=finished_on))

    def _dial(self, el, doc):
        numbers = [(n.text or "").strip() for n in el if n.tag in ("Number", "Client", "Sip")]
        target = numbers[0] if numbers else (el.text or "").strip()
        if not target:
            raise SimulatorError(f"{doc.url}: <Dial> with nothing to dial")
        outcome, talk_s = self.caller.transfer(target)
        if outcome not in TRANSFER_OUTCOMES:
            raise SimulatorError(f"unknown transfer outcome {outcome!r} (use {', '.join(TRANSFER_OUTCOMES)})")
        self.transcript.add(tx.DIALS, self.elapsed_s, number=target, outcome=outcome, seconds=talk_s)
        ring_s = {"answered": 8, "busy": 2, "failed": 1}.get(outcome, int(el.get("timeout") or 30))
        self.elapsed_s += ring_s + talk_s
        if not el.get("action"):
            return None  # without an action Twilio carries on with the next verb
        extra = {"DialCallStatus": TRANSFER_OUTCOMES[outcome]}
        if outcome == "answered":
            extra.update(DialCallDuration=talk_s, DialCallSid="CA" + uuid.uuid4().hex)
        return self._request(urljoin(doc.url, el.get("action")), el.get("method") or "POST", self.params(**extra))

    def _record(self, el, doc):
        seconds = self.caller.record(self.transcript.heard()[-1] if self.transcript.heard() else "")
        if not seconds:
            self.transcript.add(tx.NO_MESSAGE, self.elapsed_s)
            self.elapsed_s += int(el.get("timeout") or 5)
            return None  # Twilio does not request the action for an empty recording
        self.transcript.add(tx.RECORDS, self.elapsed_s, seconds=seconds)
        self.elapsed_s += seconds
        sid = "RE" + uuid.uuid4().hex
        finish = el.get("finishOnKey", "1234567890*#")
        extra = {"RecordingUrl": f"https://api.twilio.com/{API_VERSION}/Accounts/{self.account_sid}/Recordings/{sid}",
                 "RecordingSid": sid, "RecordingDuration": seconds, "Digits": "#" if "#" in finish else "hangup"}
        return self._request(urljoin(doc.url, el.get("action") or doc.url), el.get("method") or "POST",
                             self.params(**extra))

    def _status_callback(self) -> None:
        """Tell the app the call is over, as Twilio's status callback does."""
        duration = max(1, round(self.elapsed_s))
        self.transcript.duration_s = duration
        self._request(urljoin(self.base_url, STATUS_PATH.lstrip("/")), "POST", self.params(
            CallStatus="completed", CallDuration=duration, Timestamp=formatdate(usegmt=True),
            CallbackSource="call-progress-events", SequenceNumber=0), expect_twiml=False)
