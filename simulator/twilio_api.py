"""A local Twilio-compatible REST stand-in: Calls and Messages, signed TwiML fetches and status callbacks, and
the account's IncomingPhoneNumbers and Messaging Services (simulator/twilio_numbers.py)."""
from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import defaultdict, deque
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from http.server import ThreadingHTTPServer
from urllib.parse import urlencode, urlsplit, urlunsplit

import click
import requests
from twilio.request_validator import RequestValidator

from callbacks.gsm import segments
from routing.phone import mask_number
from simulator.phone import play_call
from simulator.twilio_numbers import PhoneNumbers
from simulator.twilio_rest import LOG_PATH, ApiError, StandInHandler, e164, new_sid

API = "/2010-04-01"
ANSWERS = ("human", "human-silent", "unknown", "machine", "fax", "busy", "no-answer", "failed", "ring-out")
SMS_OUTCOMES = ("delivered", "undelivered", "failed")
SMS_ERRORS = {"undelivered": "30003", "failed": "30008"}
MAX_BODY = 1600  # Twilio refuses a longer body (error 21617)
# What answering machine detection reports for each answer; "unknown" is Twilio's word when detection timed out.
ANSWERED_BY = {"human": "human", "human-silent": "human", "unknown": "unknown", "machine": "machine_end_beep",
               "fax": "fax"}
# How a <Dial> to a number that answers so ends (Twilio's DialCallStatus); any other answer completes it.
DIAL_STATUSES = {"busy": "busy", "no-answer": "no-answer", "ring-out": "no-answer", "failed": "failed", "fax": "failed"}
PRESSES = {"human": "1"}  # the key a person presses at the first <Gather>; everyone else presses nothing
SHUTDOWN_POLL_S = 0.05  # how often the server looks for stop(): a test stops one per test


class TwilioStandIn:
    """Speaks Twilio's Calls and Messages API on loopback and plays each call's answer back to the app."""

    def __init__(self, account_sid: str, auth_token: str, *, answer: str = "human", sms_outcome: str = "delivered",
                 app_url: str | None = None, delay: float = 0.05, latency: float = 0.0, host: str = "127.0.0.1",
                 port: int = 0, listener=None):
        self.account_sid, self.auth_token = account_sid, auth_token
        self.answer, self.sms_outcome, self.delay, self.latency = answer, sms_outcome, delay, latency
        # Creates to accept and then answer too late (`stall` seconds), as when Twilio's answer is lost.
        self.lose_answers, self.stall = 0, 0.0
        self.ring_for = 30.0  # how long a "ring-out" call rings before it ends unanswered (Twilio's ring timeout)
        self.app_url = urlsplit(app_url) if app_url else None
        self.listener = listener or (lambda line: None)
        self.calls: dict[str, dict] = {}
        self.messages: dict[str, dict] = {}
        self.webhooks: list[dict] = []
        self.scripted: dict[str, deque] = defaultdict(deque)
        self.unsubscribed: set[str] = set()
        self.phone_numbers = PhoneNumbers(account_sid)  # the account's numbers and Messaging Services
        self.deleted: list[str] = []  # SIDs deleted through the API (retention)  # numbers that texted STOP: Twilio refuses them with error 21610
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="twilio-stand-in")
        self._http = requests.Session()
        self.server = ThreadingHTTPServer((host, port), StandInHandler)
        self.server.daemon_threads = True
        self.server.stand_in = self

    @property
    def url(self) -> str:
        """The base URL to put in TWILIO_API_BASE_URL."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "TwilioStandIn":
        """Serve in a background thread."""
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": SHUTDOWN_POLL_S},
                         name="twilio-stand-in-http", daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and finish the deliveries under way."""
        self.server.shutdown()
        self.server.server_close()
        self._pool.shutdown(wait=True)

    def set_answers(self, fields: dict) -> dict:
        """POST /_stand-in/answer: `To=...&Answer=...` scripts a number's next answers, `Answer=...` the default."""
        if fields.get("To"):
            self.script(fields["To"][-1], *fields.get("Answer", []))
        elif (fields.get("Answer") or [None])[-1] in ANSWERS:
            self.answer = fields["Answer"][-1]
        return {"answer": self.answer}

    def script(self, to: str, *answers: str) -> None:
        """Answer the next calls to this number with these outcomes in turn (then the default answer)."""
        with self._lock:
            self.scripted[to].extend(answers)

    def log(self) -> dict:
        """Everything received and sent so far (what GET /_stand-in/log answers)."""
        with self._lock:
            return json.loads(json.dumps({"calls": list(self.calls.values()), "messages": list(self.messages.values()),
                                          "webhooks": list(self.webhooks), "deleted": list(self.deleted)}))

    def wait_idle(self, timeout: float = 30) -> bool:
        """Wait until every call and message has played out and posted its status callbacks."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    # ---- REST resources ----

    def handle(self, method: str, path: str, form: dict, auth: str | None) -> tuple[int, dict]:
        """Answer one REST request: (HTTP status, JSON body)."""
        parts = path.removesuffix(".json").strip("/").split("/")
        if parts[:2] == ["v1", "Services"] and len(parts) == 3 and method == "GET":  # messaging.twilio.com's
            self._check_auth(auth, self.account_sid)
            return self.phone_numbers.service(parts[2])
        if parts[:2] != ["2010-04-01", "Accounts"] or len(parts) < 4:
            raise ApiError(404, 20404, f"The requested resource {path} was not found")
        self._check_auth(auth, parts[2])
        kind, sid = parts[3], (parts[4] if len(parts) > 4 else None)
        if kind == "IncomingPhoneNumbers" and len(parts) <= 5 and method in ("GET", "POST"):
            return self.phone_numbers.handle(method, sid, form)
        if method == "DELETE":
            return self._delete(kind, sid)
        store = {"Calls": self.calls, "Messages": self.messages}.get(kind)
        if store is None or len(parts) > 5:
            raise ApiError(404, 20404, f"The requested resource {path} was not found")
        if sid is not None:
            if method != "GET" or sid not in store:
                raise ApiError(404, 20404, f"The requested resource {path} was not found")
            with self._lock:
                return 200, dict(store[sid])
        if method == "GET":
            return 200, self._list(kind, store, form)
        if method != "POST":
            raise ApiError(405, 20004, "Method not allowed")
        time.sleep(self.latency)  # the real API takes a moment to answer a create
        created = self._create_call(form) if kind == "Calls" else self._create_message(form)
        if self.lose_answers:
            with self._lock:
                self.lose_answers -= 1
            time.sleep(self.stall)  # accepted, but the answer comes too late: the client has timed out
        return 201, created

    def _list(self, kind: str, store: dict, form: dict) -> dict:
        """A list of calls or messages, newest first, filtered by To, in Twilio's page format (one page)."""
        size = int(form.get("PageSize") or 50)
        with self._lock:
            items = [dict(item) for item in reversed(store.values()) if form.get("To") in (None, item["to"])][:size]
        uri = f"{API}/Accounts/{self.account_sid}/{kind}.json"
        return {kind.lower(): items, "page": 0, "page_size": size, "start": 0, "end": max(len(items) - 1, 0),
                "uri": uri, "first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None}

    def _delete(self, kind: str, sid: str | None) -> tuple[int, dict]:
        """DELETE a call, message or recording (retention). Inbound calls and recordings were never made
        here, so any well-formed SID of theirs is taken as existing; what we sent must be known."""
        prefixes = {"Calls": "CA", "Messages": ("SM", "MM"), "Recordings": "RE"}
        if kind not in prefixes or not sid or not sid.startswith(prefixes[kind]):
            raise ApiError(404, 20404, f"The requested resource {kind}/{sid} was not found")
        with self._lock:
            store = {"Calls": self.calls, "Messages": self.messages}.get(kind)
            if kind == "Messages" and sid not in store:
                raise ApiError(404, 20404, f"The requested resource {kind}/{sid} was not found")
            if store is not None:
                store.pop(sid, None)
            self.deleted.append(sid)
        return 204, {}

    def _check_auth(self, header: str | None, account: str) -> None:
        expected = "Basic " + base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if header != expected or account != self.account_sid:
            raise ApiError(401, 20003, "Authenticate")

    def _resource(self, kind: str, sid: str, form: dict, to: str, from_: str) -> dict:
        now = formatdate(usegmt=True)
        return {"sid": sid, "account_sid": self.account_sid, "to": to, "from": from_, "status": "queued",
                "direction": "outbound-api", "api_version": "2010-04-01", "date_created": now, "date_updated": now,
                "price": None, "price_unit": "USD", "uri": f"{API}/Accounts/{self.account_sid}/{kind}/{sid}.json",
                "status_callback": form.get("StatusCallback"), "events": []}

    def _create_call(self, form: dict) -> dict:
        to, from_ = e164(form.get("To"), "To", 21201), e164(form.get("From"), "From", 21213)
        if not form.get("Url") and not form.get("Twiml"):
            raise ApiError(400, 21205, "Url parameter is required.")
        call = self._resource("Calls", new_sid("CA"), form, to, from_)
        with self._lock:
            answer = self.scripted[to].popleft() if self.scripted.get(to) else self.answer
        call.update({"url": form.get("Url"), "method": form.get("Method", "POST"), "answer": answer,
                     "machine_detection": form.get("MachineDetection"), "answered_by": None, "duration": None,
                     "start_time": None, "end_time": None, "said": [], "to_formatted": to, "from_formatted": from_})
        self._remember(self.calls, call)
        self.listener(f"call {call['sid']} to {mask_number(to)}: answer {answer}")
        self._later(self._play_call, call["sid"], form)
        return call

    def _create_message(self, form: dict) -> dict:
        to, service = e164(form.get("To"), "To", 21604), form.get("MessagingServiceSid")
        if service:
            if not re.fullmatch(r"MG[0-9a-f]{32}", service):
                raise ApiError(400, 21701, f"The Messaging Service Sid {service} is invalid.")
            from_ = None  # the service picks a sender from its pool
        elif re.fullmatch(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}", form.get("From") or ""):
            from_ = form["From"]  # an alphanumeric sender ID
        else:
            from_ = e164(form.get("From"), "From", 21603)
        if not form.get("Body"):
            raise ApiError(400, 21602, "Message body is required.")
        if len(form["Body"]) > MAX_BODY:
            raise ApiError(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if to in self.unsubscribed:
            raise ApiError(400, 21610, "Attempt to send to unsubscribed recipient")
        message = self._resource("Messages", new_sid("SM"), form, to, from_)
        message.update({"body": form["Body"], "num_segments": str(segments(form["Body"])), "num_media": "0",
                        "error_code": None, "error_message": None, "date_sent": None, "messaging_service_sid": service})
        self._remember(self.messages, message)
        self.listener(f"SMS {message['sid']} to {mask_number(to)}: {message['body']}")
        self._later(self._play_message, message["sid"])
        return message

    def _remember(self, store: dict, record: dict) -> None:
        with self._lock:
            store[record["sid"]] = record

    # ---- What happens after the API answered ----

    def _later(self, job, *args) -> None:
        with self._lock:
            self._pending += 1

        def run():
            try:
                time.sleep(self.delay)
                job(*args)
            except Exception as exc:  # a stand-in must never die of one bad delivery; record it instead
                self.listener(f"delivery failed: {type(exc).__name__}: {exc}")
            finally:
                with self._idle:
                    self._pending -= 1
                    self._idle.notify_all()

        self._pool.submit(run)

    def _update(self, store: dict, sid: str, **changes) -> dict:
        with self._lock:
            store[sid].update(changes, date_updated=formatdate(usegmt=True))
            return dict(store[sid])

    def _play_call(self, sid: str, form: dict) -> None:
        call = self.calls[sid]
        base = {"AccountSid": self.account_sid, "ApiVersion": "2010-04-01", "CallSid": sid, "Direction": "outbound-api",
                "From": call["from"], "To": call["to"], "Called": call["to"], "Caller": call["from"]}
        answer = call["answer"]
        if answer in ANSWERED_BY:
            answered_by = ANSWERED_BY[answer] if call["machine_detection"] else None
            if answered_by and call["machine_detection"] == "Enable" and answer == "machine":
                answered_by = "machine_start"
            self._update(self.calls, sid, status="in-progress", answered_by=answered_by,
                         start_time=formatdate(usegmt=True))
            self._fetch_twiml(call, dict(base, CallStatus="in-progress",
                                         **({"AnsweredBy": answered_by} if answered_by else {})))
            final = {"CallStatus": "completed", "CallDuration": "20", "Duration": "1", "AnsweredBy": answered_by}
        elif answer == "ring-out":  # rings on unanswered, then ends as no-answer: a phone nobody picks up
            self._update(self.calls, sid, status="ringing")
            time.sleep(self.ring_for)
            final = {"CallStatus": "no-answer", "CallDuration": "0"}
        else:
            final = {"CallStatus": answer, "CallDuration": "0"}
        record = self._update(self.calls, sid, status=final["CallStatus"], duration=final["CallDuration"],
                              end_time=formatdate(usegmt=True))
        if record["status_callback"]:
            params = dict(base, CallbackSource="call-progress-events", SequenceNumber="0",
                          Timestamp=formatdate(usegmt=True), **{k: v for k, v in final.items() if v})
            self._webhook(record["status_callback"], params, form.get("StatusCallbackMethod", "POST"))
            self._update(self.calls, sid, events=record["events"] + [final["CallStatus"]])

    def _fetch_twiml(self, call: dict, params: dict) -> None:
        """Play the call's TwiML as a phone would; like Twilio, a bad answer ends the call."""
        said, status = play_call(self._webhook, call["url"], call["method"], params, PRESSES.get(call["answer"]),
                                 lambda problem: self.listener(f"call {call['sid']}: {problem}"),
                                 lambda number: self._dial(call["sid"], number))
        self._update(self.calls, call["sid"], said=said, twiml_status=status)

    def _dial(self, sid: str, number: str) -> str:
        """A <Dial> on a call ("Call back" dials the caller): answered by the number's scripted answer, else the
        default, as Twilio's DialCallStatus."""
        with self._lock:
            answer = self.scripted[number].popleft() if self.scripted.get(number) else self.answer
            self.calls[sid].setdefault("dialled", []).append({"to": number, "answer": answer})
        self.listener(f"call {sid} dials {mask_number(number)}: answer {answer}")
        return DIAL_STATUSES.get(answer, "completed")

    def _play_message(self, sid: str) -> None:
        outcome = self.sms_outcome
        steps = ["sent", outcome] if outcome == "delivered" else [outcome]
        for number, status in enumerate(steps):
            error = SMS_ERRORS.get(status)
            record = self._update(self.messages, sid, status=status, error_code=error and int(error),
                                  date_sent=formatdate(usegmt=True))
            if not record["status_callback"]:
                continue
            params = {"AccountSid": self.account_sid, "ApiVersion": "2010-04-01", "From": record["from"],
                      "To": record["to"], "MessageSid": sid, "SmsSid": sid, "MessageStatus": status,
                      "SmsStatus": status, **({"ErrorCode": error} if error else {})}
            self._webhook(record["status_callback"], params, "POST")
            self._update(self.messages, sid, events=record["events"] + [status])
            if number + 1 < len(steps):
                time.sleep(self.delay)

    def _webhook(self, url: str, params: dict, method: str = "POST") -> requests.Response:
        """Call the app as Twilio does: signed with the auth token over the URL as given."""
        if method.upper() == "GET":
            url = f"{url}{'&' if '?' in url else '?'}{urlencode(params)}"
            signature, body = RequestValidator(self.auth_token).compute_signature(url, {}), None
        else:
            signature, body = RequestValidator(self.auth_token).compute_signature(url, params), params
        target = url
        if self.app_url is not None:  # the app is reachable here, though it signs with its public URL
            parts = urlsplit(url)
            target = urlunsplit((self.app_url.scheme, self.app_url.netloc, parts.path, parts.query, ""))
        resp = self._http.request(method.upper(), target, data=body, timeout=10,
                                  headers={"X-Twilio-Signature": signature})
        with self._lock:
            self.webhooks.append({"url": url, "params": params, "status": resp.status_code})
        return resp


@click.command("twilio-api")
@click.option("--port", default=8099, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--app-url", help="Where the app really listens, if not at the URLs it gives (e.g. behind PUBLIC_BASE_URL).")
@click.option("--answer", type=click.Choice(ANSWERS), default="human", show_default=True,
              help="How outbound calls are answered.")
@click.option("--sms", "sms_outcome", type=click.Choice(SMS_OUTCOMES), default="delivered", show_default=True,
              help="What happens to each SMS.")
@click.option("--delay", default=0.5, show_default=True, type=float, help="Seconds before each call or SMS plays out.")
@click.option("--latency", default=0.0, show_default=True, type=float, help="Seconds the API takes to answer a create.")
@click.option("--account-sid", envvar="TWILIO_ACCOUNT_SID", default="AC00000000000000000000000000000000")
@click.option("--auth-token", envvar="TWILIO_AUTH_TOKEN", default="dev-auth-token")
@click.option("--number", "numbers", multiple=True, envvar="TWILIO_PHONE_NUMBER",
              help="A number on the account, for `ivr twilio configure` and `check` (default TWILIO_PHONE_NUMBER).")
@click.option("--messaging-service", "services", multiple=True, envvar="TWILIO_MESSAGING_SERVICE_SID",
              help="A Messaging Service SID the account has (default TWILIO_MESSAGING_SERVICE_SID).")
def twilio_api_command(port, host, app_url, answer, sms_outcome, delay, latency, account_sid, auth_token, numbers,
                       services):
    """Stand in for Twilio's REST API: point TWILIO_API_BASE_URL here to send callbacks offline."""
    stand_in = TwilioStandIn(account_sid, auth_token, answer=answer, sms_outcome=sms_outcome, app_url=app_url,
                             delay=delay, latency=latency, host=host, port=port, listener=click.echo)
    for number in numbers:
        stand_in.phone_numbers.add(number, sms=False)  # the MASH number is a landline
    stand_in.phone_numbers.messaging_services.update(services)
    click.echo(f"Twilio stand-in on {stand_in.url} (set TWILIO_API_BASE_URL={stand_in.url}); "
               f"log at {stand_in.url}{LOG_PATH}; Ctrl-C to stop")
    try:
        stand_in.server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stand_in.server.server_close()
