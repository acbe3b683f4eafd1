"""What the outbox and the follow-up query cost, against baselines measured in the same run.

Usage: python benchmarks/callbacks.py [--callbacks 500] [--database-url URL]
1. Sending: one in-process worker claims and sends N due SMS callbacks through the Twilio stand-in on
   loopback (claim, REST create, record per row); the baseline sends N messages with the same twilio
   client straight to the stand-in, with no database. Prints sends/s for both and the ratio.
2. The follow-up rate over a year of data (about 10,000 contacts and 29,000 calls), against a plain
   count of the same contacts. Prints milliseconds for both and the ratio.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func
from sqlmodel import Session, SQLModel, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from callbacks.sender import make_client  # noqa: E402
from callbacks.worker import Worker  # noqa: E402
from db.contacts import get_follow_up_rate  # noqa: E402
from db.models import Call, Callback, Contact, Route  # noqa: E402
from ivr import create_app  # noqa: E402
from ivr.config import load_settings  # noqa: E402
from simulator.twilio_api import TwilioStandIn  # noqa: E402

SID, TOKEN = "AC" + "0" * 32, "benchmark-auth-token"
MOBILE = "+447400123456"  # libphonenumber's example GB mobile; only ever sent to the loopback stand-in
YEAR_START = datetime(2025, 1, 6, tzinfo=timezone.utc)


def make_app(database_url: str, stand_in_url: str):
    env = {"IVR_ENV": "test", "TWILIO_AUTH_TOKEN": TOKEN, "TWILIO_ACCOUNT_SID": SID, "DATABASE_URL": database_url,
           "SECRET_KEY": "benchmark-secret-key-0123456789", "OPENING_HOURS": "always",
           "TWILIO_API_BASE_URL": stand_in_url, "PUBLIC_BASE_URL": "http://127.0.0.1:9"}
    app = create_app(load_settings(env))
    SQLModel.metadata.create_all(app.extensions["db_engine"])
    return app


def mobile(i: int) -> str:
    """The i-th of a run of valid UK mobiles from the example number on (only ever sent to the stand-in)."""
    return f"+447400{123456 + i:06d}"


def seed_outbox(engine, n: int) -> None:
    now = datetime.now(timezone.utc)
    with Session(engine) as session:
        contact = Contact(reference="100000", caller=MOBILE, created_at=now)
        session.add(contact)
        session.flush()
        # Each to its own UK mobile: the worker sends one number at most 3 texts a day.
        session.add_all(Callback(contact_id=contact.id, kind="reference", channel="sms", to_number=mobile(i),
                                 body=f"benchmark text {i}", due_at=now, dedupe_key=f"b{i}", created_at=now,
                                 updated_at=now) for i in range(n))
        session.commit()


def sends_per_second(app, stand_in, n: int) -> tuple[float, float]:
    seed_outbox(app.extensions["db_engine"], n)
    start = time.perf_counter()
    sent = Worker(app, batch=20).send_due()
    worker_rate = sent / (time.perf_counter() - start)
    assert sent == n, f"the worker sent {sent} of {n}"
    client = make_client(app.config["SETTINGS"])
    start = time.perf_counter()
    for i in range(n):
        client.messages.create(to=mobile(i), from_="+442079460001", body=f"baseline text {i}")
    baseline_rate = n / (time.perf_counter() - start)
    stand_in.wait_idle(120)
    return worker_rate, baseline_rate


def seed_year(engine, contacts: int = 10_000, calls: int = 29_000) -> None:
    """A year of calls from 1,149 schools, a third of them to MASH opening contacts."""
    rng = random.Random(4)
    with Session(engine) as session:
        rows = []
        for n in range(calls):
            urn = 100000 + rng.randrange(1149)
            route = rng.choice([Route.MASH, Route.DSL_INFOLINE, Route.EARLY_HELP, Route.STATUS_CHECK])
            started = YEAR_START + timedelta(minutes=rng.randrange(365 * 24 * 60))
            rows.append(Call(call_sid=f"CA{n:032d}", caller=f"+4420794{60000 + urn % 1000:05d}", started_at=started,
                             route=route, service=route, school_urn=None))
        session.add_all(rows)
        session.flush()
        mash = [c for c in rows if c.route == Route.MASH][:contacts]
        session.add_all(Contact(reference=str(200000 + i), call_id=c.id, caller=c.caller, created_at=c.started_at)
                        for i, c in enumerate(mash))
        session.commit()


def timed(fn, repeat: int = 5) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=500)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    stand_in = TwilioStandIn(SID, TOKEN, delay=0).start()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(args.database_url or f"sqlite:///{tmp}/bench.sqlite3", stand_in.url)
        engine = app.extensions["db_engine"]
        print(f"database: {engine.dialect.name}")
        worker_rate, baseline_rate = sends_per_second(app, stand_in, args.callbacks)
        print(f"sending {args.callbacks} SMS: worker {worker_rate:.0f}/s, bare REST client {baseline_rate:.0f}/s, "
              f"ratio {worker_rate / baseline_rate:.2f}")
        seed_year(engine)
        end = YEAR_START + timedelta(days=365)
        with Session(engine) as session:
            rate = get_follow_up_rate(session, YEAR_START, end)
            query_ms = timed(lambda: get_follow_up_rate(session, YEAR_START, end))
            count_ms = timed(lambda: session.exec(select(func.count(Contact.id)).where(
                Contact.created_at >= YEAR_START, Contact.created_at < end)).one())
        print(f"follow-up rate over a year ({rate['contacts']} contacts): {query_ms:.0f} ms "
              f"(rate {rate['rate']:.2f}); counting the contacts: {count_ms:.1f} ms; ratio {query_ms / count_ms:.0f}")
        engine.dispose()
    stand_in.stop()


if __name__ == "__main__":
    main()
