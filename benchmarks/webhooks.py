"""Webhook benchmark: the IVR under gunicorn against a bare constant-TwiML Flask app, same run, same load.

Usage: python benchmarks/webhooks.py [--calls 600] [--concurrency 16] [--database-url URL]
Prints requests/s and p50/p99 latency for both and their ratio (target: ratio >= 0.5 on SQLite),
and the seconds before a caller is put through to MASH: pressing 1 when offered, and pressing nothing.
"""
from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from routing.menu import (MENU_TIMEOUT_S, SILENT_CALLER_LIMIT_S, silent_caller_seconds, speech_measure,  # noqa: E402
                          urgent_speech)

TOKEN = "benchmark-auth-token"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(app_spec: str, env: dict, workers: int, threads: int) -> tuple[subprocess.Popen, str]:
    """Start gunicorn on a free loopback port and wait until it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "gthread", "--threads", str(threads),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app_spec],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            requests.get(base + "/health", timeout=1)
            return proc, base
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"gunicorn for {app_spec} did not start")


def drive(base: str, public: str, calls: int, concurrency: int, steps) -> dict:
    """Run `calls` calls of the given steps concurrently; return throughput and latency."""
    validator = RequestValidator(TOKEN)
    latencies: list[float] = []
    errors = 0

    def one_call(n: int):
        nonlocal errors
        session = requests.Session()
        sid = f"CA{n:032d}"
        for path, extra in steps:
            params = {"CallSid": sid, "AccountSid": "AC" + "0" * 32, "From": f"+4420794{n % 10000:05d}"[:13],
                      "To": "+442079460001", "CallStatus": "in-progress", "Direction": "inbound", **extra}
            headers = {"X-Twilio-Signature": validator.compute_signature(public + path, params)}
            t0 = time.perf_counter()
            resp = session.post(base + path, data=params, headers=headers, timeout=30)
            latencies.append(time.perf_counter() - t0)
            if resp.status_code != 200 or b"<Response" not in resp.content:
                errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one_call, range(calls)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": errors,
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=600)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="ivr-bench-")
    public = "https://ivr.bench.test"
    env = dict(os.environ, IVR_ENV="development", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=public,
               DATABASE_URL=args.database_url or f"sqlite:///{tmp}/bench.sqlite3", OPENING_HOURS="always")
    ivr = Path(sys.executable).with_name("ivr")
    subprocess.run([str(ivr), "db", "upgrade"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)

    ivr_steps = [("/voice/incoming", {}), ("/voice/menu?attempt=1", {"Digits": "1"})]
    results = {}
    for name, spec, steps in (
        ("bare", "benchmarks.bare_app:app", [("/bare", {}), ("/bare", {"Digits": "1"})]),
        ("ivr", "ivr.wsgi:app", ivr_steps),
    ):
        proc, base = start_gunicorn(spec, env, args.workers, args.threads)
        try:
            drive(base, public, max(args.calls // 10, 20), args.concurrency, steps)  # warm-up
            results[name] = drive(base, public, args.calls, args.concurrency, steps)
        finally:
            proc.terminate()
            proc.wait(10)

    words, seconds = speech_measure(urgent_speech())
    db_kind = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
    print(f"Webhook benchmark: {args.calls} calls x 2 webhooks, concurrency {args.concurrency}, "
          f"gunicorn {args.workers} workers x {args.threads} threads, {db_kind}")
    print(f"{'':8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for name in ("bare", "ivr"):
        r = results[name]
        print(f"{name:8}{r['rps']:>10.0f}{r['p50_ms']:>10.1f}{r['p99_ms']:>10.1f}{r['errors']:>8}")
    ratio = results["ivr"]["rps"] / results["bare"]["rps"]
    print(f"throughput ratio ivr/bare: {ratio:.2f} (target >= 0.5)")
    print(f"p50 latency ratio ivr/bare: {results['ivr']['p50_ms'] / results['bare']['p50_ms']:.2f}")
    print(f"Speech before an urgent transfer (pressing 1 at the first chance): {words} words, "
          f"{seconds} s at 150 words/minute")
    for in_hours, who in ((True, "MASH"), (False, "EDT (out of hours)")):
        print(f"A silent caller is put through to {who} after {silent_caller_seconds(in_hours=in_hours)} s "
              f"(menu, {MENU_TIMEOUT_S} s wait, short replay, {MENU_TIMEOUT_S} s wait; limit {SILENT_CALLER_LIMIT_S} s)")
    if results["ivr"]["errors"]:
        raise SystemExit("the IVR answered errors under load")


if __name__ == "__main__":
    main()
