"""A simulated call: posts signed webhooks to a running app exactly as Twilio does and follows its TwiML."""
from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import formatdate
from typing import Callable
from urllib.parse import urljoin

import requests

from simulator import transcript as tx
from simulator.callers import DEFAULT_TALK_S, HANGUP, TRANSFER_OUTCOMES, Caller, ScriptedCaller
from simulator.transcript import ServiceDirectory, Transcript, speech_seconds
from simulator.twiml import AppUnreachable, GatherSpec, SimulatorError, WebhookFailure, collect_digits
from simulator.webhook import TWILIO_TIMEOUT_S, Webhooks

# Re-exported: the rest of the simulator and its tests import these from here.
__all__ = ["DEFAULT_TALK_S", "HANGUP", "TRANSFER_OUTCOMES", "AppUnreachable", "Caller", "GatherSpec",
           "ScriptedCaller", "SimulatedCall", "SimulatorError", "WebhookFailure", "real_clock"]

API_VERSION = "2010-04-01"
MAX_DOCUMENTS = 60  # more TwiML documents than this in one call means the flow loops
WITHHELD_FROM = "anonymous"  # what Twilio sends as From for a withheld caller ID
STATUS_PATH = "/voice/status"
FALLBACK_PATH = "voice/fallback"  # the app's Fallback URL, relative to its base URL
APPLICATION_ERROR = "We are sorry, an application error has occurred. Goodbye."  # Twilio's own words


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
                 clock: Callable[[], datetime] = real_clock, fallback_url: str | None = FALLBACK_PATH,
                 timeout_s: float = TWILIO_TIMEOUT_S):
        self.base_url = base_url.rstrip("/") + "/"
        # The number's "Primary handler fails" URL; None when the number has none configured.
        self.fallback_url = urljoin(self.base_url, fallback_url) if fallback_url else None
        self.caller = caller
        self.call_sid = call_sid or "CA" + uuid.uuid4().hex
        self.account_sid = account_sid
        self.from_number = WITHHELD_FROM if from_number.strip().lower() in ("withheld", "anonymous") else from_number
        self.to_number = to_number
        self.elapsed_s = 0.0
        self.transcript = Transcript(self.call_sid, self.from_number, to_number, directory, listener)
        self.webhooks = Webhooks(auth_token, http or requests.Session(), self.transcript, clock,
                                 lambda: self.elapsed_s, on_request, timeout_s)
        self.failures: list[WebhookFailure] = []  # every webhook Twilio could not use, fallback or not
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

    def _request(self, url: str, method: str, params: dict):
        """Fetch the next TwiML document; on a failure, Twilio's Fallback URL with ErrorCode and ErrorUrl."""
        try:
            return _Document(self.webhooks.send(url, method, params), url)
        except WebhookFailure as failure:
            self.failures.append(failure)
            if self.fallback_url is None or url == self.fallback_url:
                self._application_error()
                raise
            first = failure
        # Twilio uses the Fallback URL for any TwiML request of the call it cannot use, actions included.
        self.transcript.add(tx.FALLBACK, self.elapsed_s, text=str(first), action=first.url)
        fallback_params = dict(params, ErrorCode=str(first.code), ErrorUrl=first.url)
        try:
            return _Document(self.webhooks.send(self.fallback_url, "POST", fallback_params), self.fallback_url)
        except WebhookFailure as second:
            self.failures.append(second)
            self._application_error()
            message = f"{first}; then the Fallback URL failed too: {second}"
            if isinstance(first, AppUnreachable) and isinstance(second, AppUnreachable):
                second.args = (message,)  # still AppUnreachable, so a scenario run stops here
                raise second from None
            raise SimulatorError(message) from None

    def _application_error(self) -> None:
        """What Twilio plays when no usable TwiML is left: its own apology, then it hangs up."""
        self.transcript.add(tx.APPLICATION_ERROR, self.elapsed_s, text=APPLICATION_ERROR)
        self.elapsed_s += speech_seconds(APPLICATION_ERROR)

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
        gone = self.caller.hangs_up_during_transfer(target, outcome)
        if gone:
            self.transcript.add(tx.CALLER_HANGUP, self.elapsed_s)
        if not el.get("action"):
            return _END if gone else None  # without an action Twilio carries on with the next verb
        extra = {"DialCallStatus": TRANSFER_OUTCOMES[outcome]}
        if outcome == "answered":
            extra.update(DialCallDuration=talk_s, DialCallSid="CA" + uuid.uuid4().hex)
        if gone:
            extra["CallStatus"] = "completed"  # Twilio still requests the action, telling the app the caller left
        doc = self._request(urljoin(doc.url, el.get("action")), el.get("method") or "POST", self.params(**extra))
        return _END if gone else doc  # TwiML answered after the caller left is never played

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
        self.webhooks.send(urljoin(self.base_url, STATUS_PATH.lstrip("/")), "POST", self.params(
            CallStatus="completed", CallDuration=duration, Timestamp=formatdate(usegmt=True),
            CallbackSource="call-progress-events", SequenceNumber=0), expect_twiml=False)
