"""Load: 200 concurrent calls through the full menu against gunicorn + PostgreSQL on loopback.

Usage: python benchmarks/load.py [--calls 200] [--workers 4] [--admin-url postgresql://postgres@127.0.0.1:5432/postgres]

Creates a fresh PostgreSQL database, applies the migrations (`ivr db upgrade`), serves the app in production
mode under gunicorn, and runs every call at once with the simulator (signed webhooks, TwiML followed verb by
verb, then the status callback). In the same run it drives a bare Flask endpoint returning constant TwiML
with the same concurrency and number of requests. Prints completed calls, errors (HTTP errors, fail-safe
answers in the app log, calls missing from the database; target 0), p50/p99 latency of both, and the ratios.
"""
from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.webhooks import drive, free_port  # noqa: E402
from db.models import Call  # noqa: E402
from simulator.caller import ScriptedCaller, SimulatedCall  # noqa: E402

TOKEN = "load-auth-token-" + secrets.token_hex(8)
# (share, presses, transfer outcomes): what callers do; '*' skips the school's URN when asked for it.
MIX = [
    (35, ["1"], ["answered"]),                           # urgent: MASH at once
    (15, ["2", "*"], ["answered"]),                      # advice: DSL Infoline
    (10, ["3", "*"], ["answered"]),                      # support: Early Help
    (10, [None, None], ["answered"]),                    # silence twice: MASH
    (10, ["7", "1"], ["answered"]),                      # a wrong key, then MASH
    (8, ["2", "*", "2"], ["busy"]),                      # Infoline busy: leaves a message
    (7, ["1"], ["no-answer", "no-answer"]),              # MASH does not answer twice: urgent message
    (5, ["4", "123456#", "1"], ["answered"]),            # checks on a contact, then MASH
]


def pick_script(rng: random.Random) -> ScriptedCaller:
    """A caller drawn from the mix."""
    weights = [share for share, _, _ in MIX]
    _, presses, transfers = rng.choices(MIX, weights)[0]
    return ScriptedCaller(presses=presses, transfers=transfers, message_s=15, talk_s=120)


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


def build_schema(database_url: str, env: dict, how: str) -> None:
    """Apply the migrations as the release step does, or create the tables from the models."""
    if how == "migrations":
        subprocess.run([str(Path(sys.executable).with_name("ivr")), "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
        return
    from db.session import create_all, make_engine

    engine = make_engine(database_url)
    create_all(engine)
    engine.dispose()


def serve(app_spec: str, env: dict, workers: int, threads: int, log_path: Path) -> tuple[subprocess.Popen, str]:
    """gunicorn as the Procfile runs it (plus --threads, as GUNICORN_CMD_ARGS may add), on a free loopback port."""
    port = free_port()
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
         "--backlog", "2048", "--no-control-socket", "--bind", f"127.0.0.1:{port}", app_spec],
        cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            if requests.get(base + "/health", timeout=1).status_code == 200:
                return proc, base
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"gunicorn for {app_spec} did not start; see {log_path}")


def run_calls(base: str, calls: int, seed: int) -> dict:
    """Every call at once through the simulator; latency of each webhook and the calls that failed."""
    rng = random.Random(seed)
    scripts = [pick_script(rng) for _ in range(calls)]
    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []
    start = threading.Barrier(calls)

    def record(ms: float) -> None:
        with lock:
            latencies.append(ms)

    def one(n: int) -> str:
        call = SimulatedCall(base, TOKEN, scripts[n], from_number=f"+4412149{60000 + n % 1000:05d}"[:13],
                             to_number="+442079460001", call_sid=f"CA{seed:08x}{n:024x}", on_request=record)
        start.wait()
        try:
            call.run()
        except Exception as exc:  # reported, not raised: the run counts every failure
            with lock:
                failures.append(f"{call.call_sid}: {type(exc).__name__}: {str(exc)[:200]}")
        return call.call_sid

    began = time.perf_counter()
    with ThreadPoolExecutor(calls) as pool:
        sids = list(pool.map(one, range(calls)))
    return {"sids": sids, "latencies": sorted(latencies), "failures": failures, "seconds": time.perf_counter() - began}


def percentiles(ms: list[float]) -> tuple[float, float]:
    """p50 and p99 of sorted latencies in milliseconds."""
    return statistics.median(ms), ms[max(0, int(len(ms) * 0.99) - 1)]


def failsafe_lines(log_path: Path) -> int:
    """Lines where the app answered with the fail-safe or dropped a status callback."""
    body = log_path.read_text(errors="replace")
    return sum(body.count(f'"event": "{event}"') for event in ("failsafe", "webhook_failed"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200, help="concurrent calls")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (WEB_CONCURRENCY)")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker (1: the sync worker)")
    parser.add_argument("--admin-url", default=os.environ.get("IVR_LOAD_ADMIN_URL",
                                                              "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--schema", choices=("migrations", "models"), default="migrations",
                        help="build the schema with `ivr db upgrade` (as the Procfile's release step) or from the models")
    args = parser.parse_args()

    database_url, drop = fresh_database(args.admin_url)
    logs = Path(os.environ.get("TMPDIR", "/tmp")) / f"ivr-load-{uuid.uuid4().hex[:6]}"
    logs.mkdir(parents=True)
    env = dict(os.environ, IVR_ENV="production", SECRET_KEY=secrets.token_urlsafe(32), TWILIO_AUTH_TOKEN=TOKEN,
               DATABASE_URL=database_url, OPENING_HOURS="always", WEB_CONCURRENCY=str(args.workers))
    env.pop("PUBLIC_BASE_URL", None)  # the simulator signs the loopback URL it calls
    try:
        build_schema(database_url, env, args.schema)
        ivr_proc, ivr_base = serve("ivr.wsgi:app", env, args.workers, args.threads, logs / "ivr.log")
        try:
            run_calls(ivr_base, min(20, args.calls), args.seed + 1)  # warm-up: connections, imports
            warm = failsafe_lines(logs / "ivr.log")
            result = run_calls(ivr_base, args.calls, args.seed)
            failsafes = failsafe_lines(logs / "ivr.log") - warm
        finally:
            ivr_proc.terminate()
            ivr_proc.wait(15)
        engine = create_engine(database_url)
        with engine.connect() as conn:
            routes = dict(conn.execute(select(Call.route, func.count()).where(
                Call.call_sid.in_(result["sids"]), Call.route.is_not(None)).group_by(Call.route)).all())
        stored = sum(routes.values())
        engine.dispose()

        requests_per_call = max(1, round(len(result["latencies"]) / args.calls))
        bare_proc, bare_base = serve("benchmarks.bare_app:app", env, args.workers, args.threads, logs / "bare.log")
        try:
            drive(bare_base, bare_base, min(20, args.calls), args.calls, [("/bare", {})] * requests_per_call)
            bare = drive(bare_base, bare_base, args.calls, args.calls, [("/bare", {})] * requests_per_call)
        finally:
            bare_proc.terminate()
            bare_proc.wait(15)
    finally:
        drop()

    p50, p99 = percentiles(result["latencies"])
    completed = args.calls - len(result["failures"])
    errors = len(result["failures"]) + failsafes + (args.calls - stored)
    print(f"Load: {args.calls} concurrent calls through the full menu, gunicorn {args.workers} workers x {args.threads} threads, "
          f"PostgreSQL, production mode")
    print(f"completed calls: {completed}/{args.calls} in {result['seconds']:.1f} s "
          f"({len(result['latencies'])} webhooks, {requests_per_call} a call on average)")
    print(f"errors: {errors} (failed calls {len(result['failures'])}, fail-safe answers {failsafes}, "
          f"calls not recorded {args.calls - stored}); target 0")
    print("routes recorded: " + ", ".join(f"{route} {n}" for route, n in sorted(routes.items())))
    print(f"{'':14}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    print(f"{'ivr webhooks':14}{p50:>10.1f}{p99:>10.1f}{errors:>8}")
    print(f"{'bare endpoint':14}{bare['p50_ms']:>10.1f}{bare['p99_ms']:>10.1f}{bare['errors']:>8}")
    print(f"latency ratio ivr/bare: p50 {p50 / bare['p50_ms']:.2f}, p99 {p99 / bare['p99_ms']:.2f}")
    for line in result["failures"][:10]:
        print("  failed:", line)
    print(f"gunicorn logs: {logs}")
    if errors:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
