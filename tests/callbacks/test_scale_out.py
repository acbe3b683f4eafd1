"""Scale-out on PostgreSQL: several web processes and two `ivr worker` processes share one database; 1,000
due callbacks are each sent exactly once (counted at the Twilio stand-in), even when a worker is SIGKILLed."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select
from sqlmodel import Session

from db.models import Callback, Contact
from db.session import create_all, make_engine
from simulator.twilio_api import TwilioStandIn
from tests.conftest import IN_HOURS, TEST_ENV
from tests.processes import base_url, loopback_socket, start_gunicorn

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
CALLBACKS = 1000
VOICE_EVERY = 10  # one callback in ten is a voice call: its TwiML and status callback go through the web processes
WEB_PROCESSES = 3
KILL_AFTER = 250  # sends seen at the stand-in before one worker is SIGKILLed
LEASE_S = 3  # how long a dead worker's claim blocks its rows; short, so the test does not wait minutes
DEADLINE_S = 240
CALLBACK_ID = re.compile(r"(?:callback=|/voice/callback/)(\d+)")


def seed_due_callbacks(engine, now: datetime) -> None:
    """1,000 contacts, each with one callback already due."""
    with Session(engine) as session:
        for n in range(CALLBACKS):
            contact = Contact(reference=f"{100000 + n}", caller="+442079460999", created_at=now)
            session.add(contact)
            session.flush()
            voice = n % VOICE_EVERY == 0
            session.add(Callback(contact_id=contact.id, kind="decision", channel="voice" if voice else "sms",
                                 # Texts go only to UK mobiles, calls to any UK number; each number once.
                                 to_number=f"+4420794{60000 + n:05d}" if voice else f"+447400{123000 + n:06d}",
                                 body=f"MASH contact {contact.reference}: decided, no further action.",
                                 due_at=now - timedelta(minutes=1), dedupe_key=f"scale-out:{n}",
                                 created_at=now, updated_at=now))
        session.commit()


def start(args: list[str], env: dict, log: Path) -> tuple[subprocess.Popen, Path]:
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT), log


def wait_for(predicate, what: str, timeout: float = DEADLINE_S, running: tuple = ()) -> None:
    """Poll until predicate() holds; fail at the deadline, or at once if a process that should run has exited."""
    deadline = time.monotonic() + timeout
    while not predicate():
        for proc, log in running:
            if proc.poll() is not None:
                raise AssertionError(f"{log.name} exited ({proc.returncode}) while waiting for {what}:\n"
                                     + log.read_text(errors="replace")[-2000:])
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def sends_per_callback(stand_in: TwilioStandIn) -> Counter:
    """How many times each callback reached Twilio (an SMS or a call), read from the stand-in's log."""
    log = stand_in.log()
    ids = [CALLBACK_ID.search(item.get("status_callback") or item.get("url") or "")
           for item in log["messages"] + log["calls"]]
    assert all(ids), "a send without our status callback URL"
    return Counter(int(match.group(1)) for match in ids)


def states(engine) -> dict:
    with Session(engine) as session:
        return dict(session.execute(select(Callback.state, func.count()).group_by(Callback.state)).all())


@pytest.mark.timed_wait  # the survivor's scheduler must wake again after the dead worker's lease: a timed wait
def test_two_workers_send_each_of_1000_due_callbacks_exactly_once_even_when_one_is_killed(pg_empty_schema_url,
                                                                                          tmp_path):
    engine = make_engine(pg_empty_schema_url)
    create_all(engine)
    seed_due_callbacks(engine, IN_HOURS)  # long due by the workers' own (real) clock
    stand_in = TwilioStandIn(TEST_ENV["TWILIO_ACCOUNT_SID"], TEST_ENV["TWILIO_AUTH_TOKEN"], delay=0.01).start()
    sock = loopback_socket()
    base = base_url(sock)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PUBLIC_BASE_URL")}
    env.update(TEST_ENV, IVR_ENV="test", DATABASE_URL=pg_empty_schema_url, OPENING_HOURS="always",
               PUBLIC_BASE_URL=base, TWILIO_API_BASE_URL=stand_in.url)
    ivr = str(Path(sys.executable).with_name("ivr"))
    web_log = tmp_path / "web.log"
    web = (start_gunicorn(sock, env, "--workers", str(WEB_PROCESSES), "--threads", "4", "ivr.wsgi:app",
                          output=web_log.open("wb")), web_log)
    processes = [web]
    try:
        wait_for(lambda: _answers(base + "/health"), "the web processes", DEADLINE_S, running=(web,))
        doomed, survivor = (start([ivr, "worker", "--interval", "0.2", "--batch", "5", "--lease", str(LEASE_S)], env,
                                  tmp_path / f"worker{n}.log") for n in (1, 2))
        processes += [doomed, survivor]
        began = time.monotonic()
        wait_for(lambda: sum(sends_per_callback(stand_in).values()) >= KILL_AFTER, f"{KILL_AFTER} sends",
                 running=(web, doomed, survivor))
        doomed[0].send_signal(signal.SIGKILL)
        doomed[0].wait(10)
        killed_at = sum(sends_per_callback(stand_in).values())
        wait_for(lambda: states(engine).get("scheduled", 0) + states(engine).get("sending", 0) == 0,
                 "every callback to be sent", running=(web, survivor))
        assert stand_in.wait_idle(60), "the stand-in still had deliveries under way"
        wait_for(lambda: set(states(engine)) <= {"delivered"}, "every status callback through the web processes", 60,
                 running=(web,))
        elapsed = time.monotonic() - began
    finally:
        for proc, _ in processes:
            if proc.poll() is None:
                proc.terminate()
        for proc, _ in processes:
            proc.wait(20)
        stand_in.stop()
        sock.close()

    sends = sends_per_callback(stand_in)
    with Session(engine) as session:
        senders = dict(session.execute(select(Callback.claimed_by, func.count()).group_by(Callback.claimed_by)).all())
        reclaimed = session.execute(select(func.count()).where(Callback.attempts > 1)).scalar()
    engine.dispose()
    print(f"\nscale-out: {CALLBACKS} callbacks, {WEB_PROCESSES} web processes, 2 workers (one SIGKILLed after "
          f"{killed_at} sends): sent {sum(sends.values())} in {elapsed:.1f} s, {len(sends)} distinct, "
          f"{reclaimed} reclaimed after the kill, per worker {sorted(senders.values())}")
    assert len(sends) == CALLBACKS, f"{CALLBACKS - len(sends)} callbacks were never sent"
    assert [cid for cid, n in sends.items() if n > 1] == [], "callbacks sent more than once"
    assert len(senders) == 2 and all(senders.values()), f"both workers should have sent some: {senders}"


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.RequestException:
        return False
