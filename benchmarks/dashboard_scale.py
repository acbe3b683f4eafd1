"""Dashboard scale benchmark: 10,000 calls, then 1,000,000, timed in one run, in two shapes of data.

Usage: python benchmarks/dashboard_scale.py [--db sqlite|postgresql|both] [--spread history|year|both]
                                            [--small 10000] [--large 1000000]

- history: calls arrive at Warwickshire's rate (about 80 a day, the report's 29,000 a year), so the
  large database holds decades of history: what the service meets as it grows older.
- year: both sizes spread over the same 365 days, so the large one has 100 times more calls each day
  (about 35 times Warwickshire's volume): a stress test of density.

Each MASH and EDT call has a contact (80% decided, with an outcome), 60% of school calls are put down to one of
the school's 5 DSLs (40% trained), and a fifth of contacts have a DSL's verdict, so the report's measures
(outcomes, referral ratios, needless contacts, DSL training, verdicts) read real rows at both sizes.

For each size it times, as the median of several runs after one warm-up: the dashboard's queries for the
default 30 days, the follow-up rate alone (part of those queries), the
dashboard page, and GET /api/stats for 30 and for 365 days. It prints both times and the ratio
large/small (target <= 5). The one-off build of the per-day and per-month figures after a bulk load is printed apart:
in service those rows are built as days and months settle.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, insert, text
from sqlmodel import Session, SQLModel, func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from db.models import Call, Contact, Dsl, School, Verdict  # noqa: E402
from db.stats import get_follow_up  # noqa: E402
from ivr import create_app  # noqa: E402
from ivr.config import load_settings  # noqa: E402
from routing.hours import london_date  # noqa: E402
from routing.hours import LONDON  # noqa: E402
from staff.api_auth import token_hash  # noqa: E402
from staff.report import gather_report  # noqa: E402
from staff.stats import Period  # noqa: E402

PG_URL = os.environ.get("IVR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TOKEN = "mivr_benchmark-token"
RUNS = 7
CHUNK = 50_000
SCHOOLS = 230
PER_DAY = 80  # 29,000 calls a year
ROUTES_IN = [("MASH", 35), ("DSL_INFOLINE", 25), ("EARLY_HELP", 15), ("STATUS_CHECK", 5), ("VOICEMAIL", 8),
             ("ABANDONED", 12)]
ROUTES_OUT = [("EDT", 50), ("VOICEMAIL", 30), ("ABANDONED", 15), ("STATUS_CHECK", 5)]
TRANSFERRED = ("MASH", "DSL_INFOLINE", "EARLY_HELP", "EDT")
TRANSFERS = [("completed", 85), ("no-answer", 8), ("busy", 4), ("failed", 3)]
DSLS_PER_SCHOOL = 5  # 1,150 DSLs, as the report's 1,149
OUTCOMES = [("no_further_action", 40), ("early_help", 15), ("social_care_assessment", 25), ("strategy_discussion", 10),
            ("other", 10)]
VERDICT_SHARE = 0.2  # contacts whose DSL was asked "did this answer your question?"


def dsl_of(rng: random.Random, urn: int) -> int:
    """One of the school's DSLs (ids are laid out school by school, see seed_register)."""
    return 1 + (urn - 900001) * DSLS_PER_SCHOOL + rng.randrange(DSLS_PER_SCHOOL)


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def call_rows(rng: random.Random, count: int, now: datetime, offset: int, days: int) -> list[dict]:
    """Calls `offset`..`offset + count` of a database whose calls spread over `days` days before now
    (three quarters in office hours); with days=None they arrive at PER_DAY a day, newest first."""
    rows = []
    columns = [c.name for c in Call.__table__.c if c.name != "id"]
    for n in range(count):
        back = rng.randrange(days) if days else (offset + n) // PER_DAY
        day = now - timedelta(days=back)
        if rng.random() < 0.75:
            local = datetime.combine(day.astimezone(LONDON).date(), datetime.min.time(), LONDON)
            local += timedelta(minutes=rng.randrange(8 * 60 + 30, 17 * 60))
            started = local.astimezone(timezone.utc)
        else:
            started = day.replace(hour=0, minute=0, second=0) + timedelta(seconds=rng.randrange(86400))
        if started > now:
            started = now - timedelta(seconds=rng.randrange(3600))
        local = started.astimezone(LONDON)
        in_hours = local.weekday() < 5 and (8 * 60 + 30) <= local.hour * 60 + local.minute < 17 * 60
        route = _pick(rng, ROUTES_IN if in_hours else ROUTES_OUT)
        service = rng.choice(["MASH", "DSL_INFOLINE", "EARLY_HELP"]) if route == "VOICEMAIL" else route
        routed = None if route == "ABANDONED" else started + timedelta(seconds=int(5 + rng.expovariate(1 / 15)))
        urn = 900000 + int(rng.triangular(1, SCHOOLS, 40)) if rng.random() < 0.48 else None
        row = dict.fromkeys(columns)
        row.update(call_sid=f"CA{offset + n:032x}", caller=f"+44121496{rng.randrange(10000):04d}",
                   started_at=started, ended_at=started + timedelta(seconds=90), duration_s=90, in_hours=in_hours,
                   route=route, service=service, routed_at=routed,
                   transfer_status=_pick(rng, TRANSFERS) if route in TRANSFERRED else None,
                   school_urn=urn, dsl_id=dsl_of(rng, urn) if urn is not None and rng.random() < 0.6 else None,
                   no_input_count=int(rng.random() < 0.08), invalid_count=int(rng.random() < 0.05),
                   recording_deleted=False, twilio_log_deleted=False, urgent_flag=False, failsafe=False,
                   call_status="completed")
        rows.append(row)
    return rows


def contact_rows(rng: random.Random, calls: list[dict], first_call_id: int, first_contact: int) -> tuple[list, list]:
    """A contact for each MASH and EDT call (80% decided, with an outcome), and verdicts for a fifth of them."""
    contacts, verdicts = [], []
    columns = [c.name for c in Contact.__table__.c if c.name != "id"]
    for n, call in enumerate(calls):
        if call["route"] not in ("MASH", "EDT"):
            continue
        number = first_contact + len(contacts)
        created = call["routed_at"] or call["started_at"]
        decided = rng.random() < 0.8
        row = dict.fromkeys(columns)
        row.update(reference=str(100000 + number), call_id=first_call_id + n, school_urn=call["school_urn"],
                   dsl_id=call["dsl_id"],
                   caller=call["caller"], service=call["route"], created_at=created,
                   status="decided" if decided else "received", outcome=_pick(rng, OUTCOMES) if decided else None,
                   promised_by=created + timedelta(days=1), first_promised_by=created + timedelta(days=1),
                   decided_at=created + timedelta(hours=rng.randrange(1, 48)) if decided else None)
        contacts.append(row)
        if rng.random() < VERDICT_SHARE:
            verdicts.append({"source": "callback", "source_id": number + 1, "contact_id": number + 1,
                             "asked_at": created + timedelta(days=1),
                             "answer": rng.choice(["answered", "answered", "needs_more", None]), "answered_at": None})
    return contacts, verdicts


def _copy(engine, table: str, rows: list[dict]) -> None:
    """Rows into a table fast: COPY on PostgreSQL, executemany on SQLite."""
    if not rows:
        return
    if engine.dialect.name == "postgresql":
        columns = list(rows[0])
        raw = engine.raw_connection()
        try:
            with raw.cursor() as cursor:
                cursor.execute("SET statement_timeout = 0")  # the app's live-call limit is not for a bulk load
            with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([row[c] for c in columns])
            raw.commit()
        finally:
            raw.close()
    else:
        with engine.begin() as conn:
            conn.execute(insert(SQLModel.metadata.tables[table]), rows)


def bulk_insert(engine, rng: random.Random, first: int, last: int, now: datetime, days: int | None) -> None:
    """Insert calls first..last, and their contacts and verdicts, 50,000 calls at a time."""
    with Session(engine) as session:
        contacts = session.exec(select(func.count()).select_from(Contact)).one()
    for start in range(first, last, CHUNK):
        rows = call_rows(rng, min(CHUNK, last - start), now, start, days)
        _copy(engine, "call", rows)
        # A fresh database numbers rows in the order they arrive: call `start` is id start + 1.
        new_contacts, verdicts = contact_rows(rng, rows, start + 1, contacts)
        _copy(engine, "contact", new_contacts)
        _copy(engine, "verdict", verdicts)
        contacts += len(new_contacts)
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def timed(function) -> float:
    """Median seconds of RUNS calls, after one warm-up."""
    function()
    samples = []
    for _ in range(RUNS):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def measure(app, client, now: datetime) -> dict[str, float]:
    """The timings of one size."""
    engine = app.extensions["db_engine"]
    today = london_date(now)
    month, year = Period(today - timedelta(days=29), today), Period(today - timedelta(days=364), today)
    headers = {"Authorization": f"Bearer {TOKEN}"}

    def queries():
        with Session(engine) as session:
            gather_report(session, month, now)

    def follow_up():
        with Session(engine) as session:
            get_follow_up(session, month.start, month.end, now)

    def get(url: str, **kwargs):
        def run():
            response = client.get(url, **kwargs)
            assert response.status_code == 200, (url, response.status_code, response.data[:300])
        return run

    return {
        "dashboard queries, 30 days": timed(queries),
        "  of which the follow-up rate": timed(follow_up),
        "GET /dashboard (30 days)": timed(get("/dashboard")),
        "GET /api/stats (30 days)": timed(get("/api/stats", headers=headers)),
        "GET /api/stats (365 days)": timed(get(f"/api/stats?from={year.start}&to={year.end}", headers=headers)),
    }


def build(app, now: datetime) -> float:
    """Build the per-day and per-month figures of the year once (as they settle in service); returns seconds."""
    start = time.perf_counter()
    with Session(app.extensions["db_engine"]) as session:
        today = london_date(now)
        gather_report(session, Period(today - timedelta(days=364), today), now)
    return time.perf_counter() - start


def run(database: str, spread: str, small: int, large: int) -> dict:
    """Seed, build and time both sizes on one database; returns the figures."""
    from staff.auth import create_user

    schema, workdir = f"bench_{uuid.uuid4().hex[:8]}", tempfile.mkdtemp()
    url = f"sqlite:///{workdir}/bench.sqlite3" if database == "sqlite" else f"{PG_URL}?options=-csearch_path%3D{schema}"
    if database == "postgresql":
        with create_engine(PG_URL).begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        app = create_app(load_settings({"IVR_ENV": "test", "DATABASE_URL": url,
                                        "SECRET_KEY": "benchmark-secret-key-123", "TWILIO_AUTH_TOKEN": "benchmark"}))
        engine = app.extensions["db_engine"]
        SQLModel.metadata.create_all(engine)
        now = datetime.now(timezone.utc)
        rng = random.Random(7)
        with Session(engine) as session:
            session.add_all(School(urn=900000 + n, name=f"School {n:03d}", pupils=rng.randrange(60, 1600),
                                   updated_at=now)
                            for n in range(1, SCHOOLS + 1))
            session.flush()
            # The DSL register, school by school (dsl_of relies on the order): 40% trained two years ago.
            session.add_all(Dsl(urn=900000 + n, name=f"DSL {j}", updated_at=now,
                                trained_on=(now - timedelta(days=730)).date() if rng.random() < 0.4 else None)
                            for n in range(1, SCHOOLS + 1) for j in range(DSLS_PER_SCHOOL))
            create_user(session, "bench", "benchmark-password", "supervisor", now)
            session.execute(text("INSERT INTO apitoken (name, token_hash, created_at) VALUES ('bench', :h, :t)"),
                            {"h": token_hash(TOKEN), "t": now})
            session.commit()
        client = app.test_client()
        _sign_in(client)
        figures = {}
        seeded = 0
        for label, size in (("small", small), ("large", large)):
            started = time.perf_counter()
            bulk_insert(engine, rng, seeded, size, now, 365 if spread == "year" else None)
            seeded = size
            seed_s = time.perf_counter() - started
            build_s = build(app, now)
            figures[label] = {"calls": size, "seed_s": seed_s, "build_s": build_s, **measure(app, client, now)}
            print(f"  {database}, {spread}: {size:>9,} calls seeded in {seed_s:.1f}s, "
                  f"per-day and per-month figures built in {build_s:.1f}s", flush=True)
        return figures
    finally:
        if database == "postgresql":
            with create_engine(PG_URL).begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def _sign_in(client) -> None:
    """Sign the benchmark's client in through the real form."""
    from lxml import html

    form = html.fromstring(client.get("/login").data)
    token = form.xpath("//input[@name='csrf_token']/@value")[0]
    response = client.post("/login", data={"csrf_token": token, "username": "bench", "password": "benchmark-password"})
    assert response.status_code == 302, response.data[:300]


def report(database: str, spread: str, figures: dict) -> None:
    """Print both sizes' times and their ratio."""
    small, large = figures["small"], figures["large"]
    shape = "over the same 365 days" if spread == "year" else f"at {PER_DAY} a day"
    print(f"\n{database}: {small['calls']:,} vs {large['calls']:,} calls {shape}")
    print(f"  {'measurement':<30} {'small ms':>10} {'large ms':>10} {'ratio':>7}")
    for key in small:
        if key in ("calls", "seed_s", "build_s"):
            continue
        ratio = large[key] / small[key]
        print(f"  {key:<30} {small[key] * 1000:>10.1f} {large[key] * 1000:>10.1f} {ratio:>6.2f}x"
              f"{'' if ratio <= 5 else '  (above the 5x target)'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--spread", choices=["history", "year", "both"], default="both")
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    args = parser.parse_args()
    for spread in (["history", "year"] if args.spread == "both" else [args.spread]):
        for database in (["sqlite", "postgresql"] if args.db == "both" else [args.db]):
            report(database, spread, run(database, spread, args.small, args.large))


if __name__ == "__main__":
    main()
