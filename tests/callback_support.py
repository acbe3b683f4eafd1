"""Helpers for the contact and callback tests: schools, contacts, and the app + Twilio stand-in on loopback."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import phonenumbers
import pytest
from sqlmodel import Session, select
from werkzeug.serving import WSGIRequestHandler, make_server

from callbacks.worker import Worker
from contacts.states import save_status
from db.contacts import save_contact
from db.models import Callback, Contact, ContactEvent, Route, School, SchoolPhone
from simulator.twilio_api import TwilioStandIn
from tests.conftest import IN_HOURS, TEST_ENV

# The made-up ranges (020 7946 0xxx, 0121 496 0xxx) are all landlines, and Ofcom's drama mobiles
# (07700 900xxx) are not valid numbers to phonenumbers, so the mobile is libphonenumber's own example.
MOBILE = phonenumbers.format_number(phonenumbers.example_number_for_type("GB", phonenumbers.PhoneNumberType.MOBILE),
                                    phonenumbers.PhoneNumberFormat.E164)
SCHOOL_URN = 125484
SWITCHBOARD = "+442079460555"
DSL_DIRECT = "+441214960123"
STRANGER = "+441214960999"
IVR_NUMBER = TEST_ENV["TWILIO_PHONE_NUMBER"]
IVR = str(Path(sys.executable).with_name("ivr"))


def add_school(session: Session, urn: int = SCHOOL_URN, numbers: dict | None = None,
               channel: str | None = None) -> School:
    """A school with its registered numbers ({number: label})."""
    school = School(urn=urn, name=f"School {urn}", callback_channel=channel, updated_at=IN_HOURS)
    session.add(school)
    session.flush()
    for number, label in (numbers if numbers is not None else {SWITCHBOARD: "switchboard"}).items():
        session.add(SchoolPhone(urn=urn, number=number, label=label))
    session.commit()
    return school


def add_contact(session: Session, when: datetime, *, caller: str | None = SWITCHBOARD,
                urn: int | None = SCHOOL_URN, promised_by: datetime | None = None,
                service: str = Route.MASH) -> Contact:
    """A contact opened at `when`, as a call to MASH (or to `service`; only MASH and EDT promise a decision) would."""
    promise = (promised_by or when + timedelta(days=1)) if service in Route.URGENT_LINES else None
    contact = save_contact(session, call_id=None, school_urn=urn, caller=caller, created_at=when,
                           promised_by=promise, service=service)
    session.commit()
    return contact


def callbacks_of(engine, contact_id: int | None = None) -> list[Callback]:
    """Outbox rows, oldest first."""
    with Session(engine) as session:
        query = select(Callback).order_by(Callback.id)
        if contact_id is not None:
            query = query.where(Callback.contact_id == contact_id)
        return list(session.exec(query))


def events_of(engine, contact_id: int) -> list[ContactEvent]:
    with Session(engine) as session:
        return list(session.exec(select(ContactEvent).where(ContactEvent.contact_id == contact_id)
                                 .order_by(ContactEvent.id)))


class _Quiet(WSGIRequestHandler):
    def log_request(self, code="-", size="-") -> None:
        pass


class LateApp:
    """A WSGI app served before the Flask app exists, since the app's settings need the server's URL."""

    app = None

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


@dataclass
class Loopback:
    """The app on a real loopback HTTP server, and the Twilio stand-in beside it."""

    app_url: str
    stand_in: TwilioStandIn
    late: LateApp


@pytest.fixture
def loopback():
    late = LateApp()
    server = make_server("127.0.0.1", 0, late, threaded=True, request_handler=_Quiet)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    stand_in = TwilioStandIn(TEST_ENV["TWILIO_ACCOUNT_SID"], TEST_ENV["TWILIO_AUTH_TOKEN"], delay=0).start()
    yield Loopback(f"http://127.0.0.1:{server.server_port}", stand_in, late)
    stand_in.stop()
    server.shutdown()
    server.server_close()


@pytest.fixture
def live(app, loopback) -> Loopback:
    """The app served on loopback, with the stand-in calling it back."""
    loopback.late.app = app
    return loopback


def decide(app, engine, contact, outcome="early_help", reason_code=None, now=IN_HOURS):
    with Session(engine) as session:
        save_status(session, contact.reference, "decided", outcome=outcome, reason_code=reason_code, actor="Sam Staff",
                    settings=app.config["SETTINGS"], now=now)


def send(app, live) -> int:
    """One run of the worker's send job, then wait for the stand-in's status callbacks to land."""
    sent = Worker(app).send_due()
    assert live.stand_in.wait_idle(30), "the stand-in did not finish its deliveries"
    return sent


def only_callback(engine, contact) -> Callback:
    [callback] = callbacks_of(engine, contact.id)
    return callback


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture
def overdue_week(app, engine) -> dict[str, Contact]:
    """At Tuesday 24 November 10:00: two contacts past their promise, one not yet due, one decided late, and an
    Infoline one (no promise)."""
    with Session(engine) as session:
        add_school(session)
        contacts = {
            "recent": add_contact(session, _utc("2026-11-23 09:00"), promised_by=_utc("2026-11-23 17:30")),
            "not_due": add_contact(session, _utc("2026-11-24 09:00"), promised_by=_utc("2026-11-25 17:30")),
            "oldest": add_contact(session, _utc("2026-11-19 10:00"), promised_by=_utc("2026-11-20 17:00"), urn=None),
            "decided": add_contact(session, _utc("2026-11-18 10:00"), promised_by=_utc("2026-11-19 17:30")),
            "infoline": add_contact(session, _utc("2026-11-17 10:00"), service=Route.DSL_INFOLINE),
        }
    decide(app, engine, contacts["decided"], now=_utc("2026-11-23 11:00"))
    return contacts


class Workers:
    """Starts and stops `ivr worker` processes against the test database and the stand-in."""

    def __init__(self, env: dict, tmp_path: Path):
        self.env = {**os.environ, **env, "OPENING_HOURS": "always"}
        self.tmp_path = tmp_path
        self.procs: list[subprocess.Popen] = []

    def start(self, lease: int = 300) -> subprocess.Popen:
        log = open(self.tmp_path / f"worker{len(self.procs)}.log", "wb")
        proc = subprocess.Popen([IVR, "worker", "--interval", "0.2", "--batch", "5", "--lease", str(lease)],
                                env=self.env, cwd=self.tmp_path, stdout=log, stderr=subprocess.STDOUT)
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, sig=signal.SIGTERM) -> int:
        proc.send_signal(sig)
        return proc.wait(timeout=60)

    def close(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def wait_for(condition, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.2)
