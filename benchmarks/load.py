"""Load: 200 concurrent calls through the full menu against gunicorn + PostgreSQL on loopback.

Usage: python benchmarks/load.py [--calls 200] [--workers 4] [--threads 4]
                                 [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

Creates a fresh PostgreSQL database, applies the migrations (`ivr db upgrade`, the Procfile's release step)
and imports the schools register, serves the app in production mode under gunicorn, and runs all the calls
at once with the simulator's traffic mode (modelled callers; signed webhooks; TwiML followed verb by verb;
the status callback). In the same run it drives a bare Flask endpoint returning constant TwiML with the same
concurrency and number of requests. Prints completed calls, errors (failed calls, fail-safe answers and
dropped webhooks in the app's log, calls missing from the database; target 0), p50/p99 latency of both
and the ratios. The figures go in README.md, "Running in production".
"""
from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.webhooks import drive, free_port, wait_healthy  # noqa: E402
from db.models import Call  # noqa: E402
from ivr.config import load_settings  # noqa: E402
from simulator.traffic import run_traffic  # noqa: E402

TOKEN = "load-auth-token-" + secrets.token_hex(8)
REGISTER = ROOT / "data" / "warwickshire_schools.csv"


def fresh_database(admin_url: str) -> tuple[str, callable]:
    """Create an empty database for this run; returns its URL and a function that drops it."""
    name = f"ivr_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_url(admin_url).set(database=name).render_as_string(hide_password=False), drop


def ivr(env: dict, *args: str) -> None:
    """Run an `ivr` command against the load database."""
    subprocess.run([str(Path(sys.executable).with_name("ivr")), *args], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)


def serve(app_spec: str, env: dict, workers: int, threads: int, log_path: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn as the Procfile runs it (plus --threads, as GUNICORN_CMD_ARGS may add), on a free loopback port."""
    port = free_port()
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
         "--backlog", "2048", "--no-control-socket", "--bind", f"127.0.0.1:{port}", app_spec],
        cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    wait_healthy(proc, base, f"for {app_spec}", log_path)
    return proc, base


def logged_failures(log_path: Path) -> int:
    """Lines where the app answered with the fail-safe or dropped a status callback."""
    body = log_path.read_text(errors="replace")
    return sum(body.count(f'"event": "{event}"') for event in ("failsafe", "webhook_failed"))


def calls_recorded(database_url: str) -> int:
    """Calls with a route in the load database."""
    engine = create_engine(database_url)
    with engine.connect() as conn:
        count = conn.execute(select(func.count()).select_from(Call).where(Call.route.is_not(None))).scalar()
    engine.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="calls, all at once")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (WEB_CONCURRENCY)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (1: the sync worker)")
    parser.add_argument("--admin-url", default=os.environ.get("IVR_LOAD_ADMIN_URL",
                                                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    database_url, drop = fresh_database(args.admin_url)
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"ivr-load-{uuid.uuid4().hex[:6]}"
    logs.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k != "PUBLIC_BASE_URL"}  # the simulator signs the loopback URL
    # "test", not production: the simulator talks plain http on loopback, which production refuses.
    env.update(IVR_ENV="test", SECRET_KEY=secrets.token_urlsafe(32), TWILIO_AUTH_TOKEN=TOKEN,
               DATABASE_URL=database_url, OPENING_HOURS="always", WEB_CONCURRENCY=str(args.workers))
    settings = load_settings(env)
    try:
        ivr(env, "db", "upgrade")
        ivr(env, "schools", "import", str(REGISTER))
        engine = create_engine(database_url)
        ivr_proc, ivr_base = serve("ivr.wsgi:app", env, args.workers, args.threads, logs / "ivr.log")
        try:
            now = datetime.now(timezone.utc)  # the served app runs on the real clock
            run_traffic(ivr_base, TOKEN, min(20, args.calls), 20, 1, settings=settings, seed=args.seed + 1,
                        now=now)  # warm-up
            before = (logged_failures(logs / "ivr.log"), calls_recorded(database_url))
            load = run_traffic(ivr_base, TOKEN, args.calls, args.calls, 1, engine=engine, settings=settings,
                               seed=args.seed, now=now)
            failures = logged_failures(logs / "ivr.log") - before[0]
            recorded = calls_recorded(database_url) - before[1]
        finally:
            ivr_proc.terminate()
            ivr_proc.wait(15)
            engine.dispose()
        per_call = max(1, round(load.requests / max(load.calls, 1)))
        bare_proc, bare_base = serve("benchmarks.bare_app:app", env, args.workers, args.threads, logs / "bare.log")
        try:
            drive(bare_base, bare_base, min(20, args.calls), 20, [("/bare", {})] * per_call)  # warm-up
            bare = drive(bare_base, bare_base, args.calls, args.calls, [("/bare", {})] * per_call)
        finally:
            bare_proc.terminate()
            bare_proc.wait(15)
    finally:
        drop()

    missing = args.calls - recorded
    errors = load.errors + failures + max(missing, 0)
    print(f"Load: {args.calls} concurrent calls (simulator traffic model) through the full menu; gunicorn "
          f"{args.workers} workers x {args.threads} threads; PostgreSQL; production mode; loopback")
    print(f"completed calls: {load.calls - load.errors}/{args.calls} in {load.elapsed_s:.1f} s "
          f"({load.requests} webhooks, about {per_call} a call)")
    print(f"errors: {errors} (failed calls {load.errors}, fail-safe answers or dropped webhooks in the app log "
          f"{failures}, calls not recorded {max(missing, 0)}); target 0")
    print("routes: " + ", ".join(f"{route} {n}" for route, n in load.routes.most_common()))
    print(f"{'':15}{'p50 ms':>10}{'p99 ms':>10}")
    print(f"{'IVR webhooks':15}{load.latency_p50_ms:>10.1f}{load.latency_p99_ms:>10.1f}")
    print(f"{'bare endpoint':15}{bare['p50_ms']:>10.1f}{bare['p99_ms']:>10.1f}")
    print(f"latency ratio IVR/bare: p50 {load.latency_p50_ms / bare['p50_ms']:.2f}, "
          f"p99 {load.latency_p99_ms / bare['p99_ms']:.2f}")
    for sample in load.error_samples:
        print("  failed:", sample)
    print(f"gunicorn logs: {logs}")
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
