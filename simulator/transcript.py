"""A readable record of a simulated call: what the caller hears and presses, where it is connected."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable
from urllib.parse import urlsplit

from db.models import Route
from routing.phone import normalise_number
from routing.prompts import SERVICE_NAMES

WORDS_PER_MINUTE = 150
TRANSFER_ROUTES = (Route.MASH, Route.DSL_INFOLINE, Route.EARLY_HELP, Route.EDT)

# Event kinds, in the words the transcript prints them with.
HEARS, PLAYS, PAUSE = "hears", "plays", "pause"
PRESSES, SILENCE = "presses", "silence"
DIALS, RECORDS, NO_MESSAGE = "dials", "records", "no_message"
APP_HANGUP, CALLER_HANGUP = "app_hangup", "caller_hangup"
FALLBACK, APPLICATION_ERROR = "fallback", "application_error"  # Twilio's own handling of a broken webhook


def speech_seconds(text: str) -> float:
    """How long the IVR takes to say a text at 150 words a minute."""
    return len(text.split()) * 60 / WORDS_PER_MINUTE


@dataclass(frozen=True)
class ServiceDirectory:
    """The services' transfer numbers, so a dialled number can be named (MASH, EDT...)."""

    numbers: dict[str, str] = field(default_factory=dict)  # E.164 -> route

    @classmethod
    def from_settings(cls, settings) -> "ServiceDirectory":
        """The numbers the app transfers to, read from the same settings the app uses."""
        return cls({
            settings.edt_number: Route.EDT,
            settings.early_help_number: Route.EARLY_HELP,
            settings.dsl_infoline_number: Route.DSL_INFOLINE,
            settings.mash_number: Route.MASH,
        })

    def service_of(self, number: str | None) -> str | None:
        """The route a number belongs to, or None for a number that is not a service."""
        return self.numbers.get(normalise_number(number) or (number or "").strip())

    def describe(self, number: str) -> str:
        """A number with its service's name, e.g. 'the DSL Infoline (+442079460200)'."""
        service = self.service_of(number)
        return f"{SERVICE_NAMES[service]} ({number})" if service else number


@dataclass
class Event:
    """One thing that happened in the call, at a simulated time from its start."""

    kind: str
    at_s: float
    text: str = ""
    number: str | None = None
    outcome: str | None = None
    seconds: float | None = None
    action: str | None = None  # for key presses: the path the keys were posted to


@dataclass(frozen=True)
class Exchange:
    """One webhook request the simulator made, for latency figures."""

    method: str
    url: str
    status: int
    ms: float
    sent_at: datetime  # wall-clock UTC, to map the app's timestamps onto simulated time
    sim_s: float  # simulated seconds into the call when it was sent


class Transcript:
    """Events of one call, printable line by line as they happen."""

    def __init__(self, call_sid: str, caller: str, called: str, directory: ServiceDirectory | None = None,
                 listener: Callable[[str], None] | None = None):
        self.call_sid = call_sid
        self.caller = caller
        self.called = called
        self.directory = directory or ServiceDirectory()
        self.listener = listener
        self.events: list[Event] = []
        self.exchanges: list[Exchange] = []
        self.duration_s = 0
        self.recorded_route: str | None = None  # read from the app's database, when it can be

    def add(self, kind: str, at_s: float, **fields) -> Event:
        """Append an event and tell the listener its line."""
        event = Event(kind, round(at_s, 1), **fields)
        self.events.append(event)
        if self.listener is not None:
            self.listener(self.line(event))
        return event

    def heard(self) -> list[str]:
        """Every sentence block the IVR said, in order."""
        return [e.text for e in self.events if e.kind == HEARS]

    def dials(self) -> list[Event]:
        """The transfers, in order."""
        return [e for e in self.events if e.kind == DIALS]

    def fallbacks(self) -> list[Event]:
        """Each webhook Twilio could not use and so replaced with the Fallback URL, in order."""
        return [e for e in self.events if e.kind == FALLBACK]

    def presses(self) -> list[str]:
        """The keys pressed at each prompt ('' for silence)."""
        return [e.text if e.kind == PRESSES else "" for e in self.events if e.kind in (PRESSES, SILENCE)]

    def inferred_route(self) -> str:
        """The route as the caller experienced it: a message, else the last transfer, else option 4 or abandoned."""
        kinds = {e.kind for e in self.events}
        if kinds & {RECORDS, NO_MESSAGE}:
            return Route.VOICEMAIL
        dials = self.dials()
        if dials:
            return self.directory.service_of(dials[-1].number) or f"other number {dials[-1].number}"
        if any(e.kind == PRESSES and e.text == "4" and urlsplit(e.action or "").path.endswith("/voice/menu")
               for e in self.events):
            return Route.STATUS_CHECK
        return Route.ABANDONED

    def final_route(self) -> tuple[str, str]:
        """The route and where it came from: the app's database, or the transcript."""
        if self.recorded_route is not None:
            return self.recorded_route, "recorded in the database"
        return self.inferred_route(), "inferred from the transcript"

    def line(self, e: Event) -> str:
        """One printable line for an event."""
        stamp = f"[{int(e.at_s) // 60:2d}:{int(e.at_s) % 60:02d}]"
        describe = _LINES.get(e.kind)
        return f"  {stamp} {describe(self, e) if describe else f'{e.kind} {e.text}'.strip()}"

    def header(self) -> str:
        """The first line: who called whom."""
        return f"Call {self.call_sid} from {self.caller} to {self.called}"

    def footer(self) -> list[str]:
        """The closing lines: where the call was connected and its final route."""
        dials = self.dials()
        answered = [d for d in dials if d.outcome == "answered"]
        where = self.directory.describe(answered[-1].number or "") if answered else "nobody"
        route, source = self.final_route()
        return [f"Connected to: {where}", f"Call length: {self.duration_s} s",
                f"Final route: {route} ({source})"]

    def format(self, with_requests: bool = False) -> str:
        """The whole transcript as text."""
        lines = [self.header(), *(self.line(e) for e in self.events), *self.footer()]
        if with_requests:
            lines += [f"  {x.method} {x.url} -> {x.status} ({x.ms:.0f} ms)" for x in self.exchanges]
        return "\n".join(lines)


def _transfer_line(t: Transcript, e: Event) -> str:
    talk = f", talks {e.seconds:g} s" if e.outcome == "answered" else ""
    return f"Transfer to {t.directory.describe(e.number or '')}: {e.outcome}{talk}"


_LINES: dict[str, Callable[[Transcript, Event], str]] = {
    HEARS: lambda t, e: f'IVR says: "{e.text}"',
    PLAYS: lambda t, e: f"IVR plays {e.text}",
    PAUSE: lambda t, e: f"(pause, {e.seconds:g} s)",
    PRESSES: lambda t, e: f"Caller presses {e.text}",
    SILENCE: lambda t, e: f"Caller presses nothing ({e.seconds:g} s of silence)",
    DIALS: _transfer_line,
    RECORDS: lambda t, e: f"Caller leaves a {e.seconds:g} s message",
    NO_MESSAGE: lambda t, e: "Caller says nothing after the tone",
    APP_HANGUP: lambda t, e: "IVR hangs up",
    CALLER_HANGUP: lambda t, e: "Caller hangs up",
    FALLBACK: lambda t, e: f"Twilio could not use the answer ({e.text}); it requests the Fallback URL",
    APPLICATION_ERROR: lambda t, e: f'Twilio says: "{e.text}" and hangs up (no usable TwiML left)',
}
