"""Events benchmark: the case system's status events posted by concurrent clients, against /health, same server.

Usage: python benchmarks/events.py [--events 5000] [--clients 8] [--workers 2] [--threads 4]
                                   [--admin-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

Creates a fresh PostgreSQL database (migrations applied), events/2 contacts and a contacts:write token,
serves the app under gunicorn, and posts each contact's two events (being_assessed, then decided) to
POST /api/contacts/<reference>/events, each client working through its own contacts. In the same run, on
the same server, it drives GET /health with the same clients and number of requests. Prints events/s and
p50/p99 beside /health's, and the ratio; errors (any reply but 201; target 0) and duplicate callbacks
(a contact with more than one decision callback; target 0). The figures go in README.md.
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load import fresh_database, ivr, serve  # noqa: E402
from db.models import Callback, Contact  # noqa: E402


def seed_contacts(database_url: str, count: int, now: datetime) -> list[str]:
    """`count` MASH contacts made an hour ago; returns their references."""
    references = [str(100000 + n) for n in range(count)]
    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(insert(Contact), [{"reference": ref, "created_at": now - timedelta(hours=1), "status": "received",
                                        "service": "MASH", "caller": "+442079460555",
                                        "promised_by": now + timedelta(days=1),
                                        "first_promised_by": now + timedelta(days=1)} for ref in references])
    engine.dispose()
    return references


def make_token(env: dict) -> str:
    result = subprocess.run([str(Path(sys.executable).with_name("ivr")), "tokens", "create", "bench",
                             "--scope", "contacts:write"], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return result.stdout.split(": ", 1)[1].strip()


def _timed(session: requests.Session, method: str, url: str, **kwargs) -> tuple[float, int]:
    started = time.perf_counter()
    response = session.request(method, url, timeout=30, **kwargs)
    return (time.perf_counter() - started) * 1000, response.status_code


def post_events(base: str, token: str, references: list[str], clients: int) -> dict:
    """Each client posts its contacts' two events in order; returns the timings and the replies."""
    occurred = datetime.now(timezone.utc).isoformat()
    shares = [references[n::clients] for n in range(clients)]

    def client(mine: list[str]) -> list[tuple[float, int]]:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        out = []
        for ref in mine:
            for n, (status, outcome) in enumerate((("being_assessed", None), ("decided", "early_help"))):
                body = {"event_id": f"LCS-{ref}-{n}", "status": status, "outcome": outcome,
                        "occurred_at": occurred, "actor": "Benchmark"}
                out.append(_timed(session, "POST", f"{base}/api/contacts/{ref}/events", json=body))
        return out

    return _run(clients, client, shares)


def get_health(base: str, requests_count: int, clients: int) -> dict:
    """The same clients, GET /health as many times."""
    per = [requests_count // clients + (1 if n < requests_count % clients else 0) for n in range(clients)]

    def client(count: int) -> list[tuple[float, int]]:
        session = requests.Session()
        return [_timed(session, "GET", f"{base}/health") for _ in range(count)]

    return _run(clients, client, per)


def _run(clients: int, client, shares: list) -> dict:
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = [r for part in pool.map(client, shares) for r in part]
    elapsed = time.perf_counter() - started
    latencies = sorted(ms for ms, _ in results)
    return {"requests": len(results), "per_s": len(results) / elapsed, "p50": statistics.median(latencies),
            "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            "statuses": [status for _, status in results]}


def duplicate_callbacks(database_url: str) -> tuple[int, int]:
    """(decision callbacks, contacts with more than one)."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        per_contact = (select(Callback.contact_id, func.count().label("n")).where(Callback.kind == "decision")
                       .group_by(Callback.contact_id).subquery())
        total = conn.execute(select(func.coalesce(func.sum(per_contact.c.n), 0))).scalar()
        doubled = conn.execute(select(func.count()).select_from(per_contact).where(per_contact.c.n > 1)).scalar()
    engine.dispose()
    return int(total), int(doubled)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000, help="events in all: two for each contact")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--admin-url", default=os.environ.get("IVR_LOAD_ADMIN_URL",
                                                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    database_url, drop = fresh_database(args.admin_url)
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"ivr-events-{uuid.uuid4().hex[:6]}"
    logs.mkdir(parents=True)
    env = dict(os.environ, IVR_ENV="test", SECRET_KEY=secrets.token_urlsafe(32), DATABASE_URL=database_url,
               TWILIO_AUTH_TOKEN="events-benchmark", PUBLIC_BASE_URL="https://ivr.example.gov.uk")
    try:
        ivr(env, "db", "upgrade")
        references = seed_contacts(database_url, args.events // 2, datetime.now(timezone.utc))
        token = make_token(env)
        proc, base = serve("ivr.wsgi:app", env, args.workers, args.threads, logs / "ivr.log")
        try:
            get_health(base, 200, args.clients)  # warm-up
            events = post_events(base, token, references, args.clients)
            health = get_health(base, events["requests"], args.clients)
        finally:
            proc.terminate()
            proc.wait(15)
        decisions, doubled = duplicate_callbacks(database_url)
    finally:
        drop()
    errors = sum(1 for status in events["statuses"] if status != 201)
    print(f"Events: {events['requests']} status events ({len(references)} contacts x 2) by {args.clients} clients; "
          f"gunicorn {args.workers} workers x {args.threads} threads; PostgreSQL; loopback")
    print(f"{'':22}{'per s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, run in (("POST .../events", events), ("GET /health", health)):
        print(f"{name:22}{run['per_s']:>10.1f}{run['p50']:>10.1f}{run['p99']:>10.1f}")
    print(f"ratio events/health: throughput {events['per_s'] / health['per_s']:.2f}, "
          f"p99 {events['p99'] / health['p99']:.2f}")
    print(f"errors (replies other than 201): {errors}; target 0")
    print(f"decision callbacks: {decisions} for {len(references)} decisions; contacts with more than one: {doubled}; "
          f"target 0")
    print(f"gunicorn log: {logs / 'ivr.log'}")
    if errors or doubled or decisions != len(references):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
