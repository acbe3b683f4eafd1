"""Webhook benchmark: the IVR under gunicorn as the Procfile runs it, against a bare Flask TwiML app, same run.

Usage: python benchmarks/webhooks.py [--calls 600] [--concurrency 16] [--keys 1,2,3,4,none,9] [--rounds 4]
                                    [--database-url URL]
Each call is a signed /voice/incoming then /voice/menu with one key (or none: the caller stayed silent).
Prints calls/s and webhook p50/p99 per key beside the bare app's, measured in alternating rounds, and their
ratio (target: >= 0.5 for every key on SQLite); then the seconds before a silent caller reaches MASH.
"""
from __future__ import annotations

import argparse
import os
import shlex
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


def wait_healthy(proc: subprocess.Popen, base: str, what: str, log_path: Path, seconds: float = 30) -> None:
    """Wait for a server's /health; stop it and exit naming its log if it never answers."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            if requests.get(base + "/health", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    proc.kill()
    raise SystemExit(f"gunicorn {what} did not start; see {log_path}")


def procfile_web_args(app_spec: str, workers: int, port: int) -> list[str]:
    """The Procfile's `web:` command with its variables filled in, bound to loopback, serving app_spec."""
    line = next(l for l in (ROOT / "Procfile").read_text().splitlines() if l.startswith("web:"))
    line = line.split(":", 1)[1].replace("${WEB_CONCURRENCY:-2}", str(workers)).replace("${PORT:-5000}", str(port))
    args = shlex.split(line)
    if args[0] != "gunicorn" or "ivr.wsgi:app" not in args:
        raise SystemExit(f"the Procfile's web line is not the gunicorn command this benchmark knows: {line}")
    args = [app_spec if a == "ivr.wsgi:app" else a.replace("0.0.0.0:", "127.0.0.1:") for a in args]
    # The venv's gunicorn, run from the project directory so it reads gunicorn.conf.py as in production.
    return [sys.executable, "-m", "gunicorn", *args[1:], "--log-level", "warning"]


def start_gunicorn(app_spec: str, env: dict, workers: int) -> tuple[subprocess.Popen, str]:
    """Start gunicorn as the Procfile does (sync workers) on a free loopback port and wait until it answers."""
    port = free_port()
    proc = subprocess.Popen(procfile_web_args(app_spec, workers, port), cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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


def drive(base: str, public: str, calls: int, concurrency: int, steps, tag: str = "0") -> dict:
    """Run `calls` calls of the given steps concurrently; return throughput and latency.

    `tag` goes into every CallSid, so each run's calls are new to the database (not Twilio's repeats).
    """
    validator = RequestValidator(TOKEN)
    latencies: list[float] = []
    errors = 0

    def one_call(n: int):
        nonlocal errors
        session = requests.Session()
        sid = f"CA{tag[:8]:>08}{n:024d}"
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
        "calls_per_s": calls / elapsed,
        "rps": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "calls": calls,
        "elapsed_s": elapsed,
        "latencies": latencies,
    }


def combined(runs: list[dict]) -> dict:
    """Several runs of the same calls as one: calls over the time they took together, latencies pooled."""
    latencies = sorted(t for r in runs for t in r["latencies"])
    calls, elapsed = sum(r["calls"] for r in runs), sum(r["elapsed_s"] for r in runs)
    return {"requests": len(latencies), "errors": sum(r["errors"] for r in runs), "calls_per_s": calls / elapsed,
            "rps": len(latencies) / elapsed, "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000, "calls": calls, "elapsed_s": elapsed,
            "latencies": latencies}


def menu_steps(key: str) -> list:
    """A call: the signed first webhook, then the menu with this key ("none": no key, the gather timed out)."""
    menu = {} if key == "none" else {"Digits": key}
    return [("/voice/incoming", {}), ("/voice/menu?attempt=1", menu)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=600, help="calls per key (each: incoming, then the menu)")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="WEB_CONCURRENCY: gunicorn sync workers")
    parser.add_argument("--keys", default="1,2,3,4,none,9", help="menu keys to measure; none = silence; 9 = invalid")
    parser.add_argument("--rounds", type=int, default=4, help="bare and IVR runs alternated per key")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    keys = [k.strip() for k in args.keys.split(",") if k.strip()]

    tmp = tempfile.mkdtemp(prefix="ivr-bench-")
    public = "https://ivr.bench.test"
    env = dict(os.environ, IVR_ENV="development", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=public,
               DATABASE_URL=args.database_url or f"sqlite:///{tmp}/bench.sqlite3", OPENING_HOURS="always")
    env.pop("GUNICORN_CMD_ARGS", None)  # the Procfile's own settings, nothing an operator added
    ivr = Path(sys.executable).with_name("ivr")
    subprocess.run([str(ivr), "db", "upgrade"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)

    bare_steps = [("/bare", {}), ("/bare", {"Digits": "1"})]
    bare_proc, bare_base = start_gunicorn("benchmarks.bare_app:app", env, args.workers)
    ivr_proc, ivr_base = start_gunicorn("ivr.wsgi:app", env, args.workers)
    results = {}
    try:
        warm_up = max(args.calls // 10, 20)
        drive(bare_base, public, warm_up, args.concurrency, bare_steps, tag="warm")
        drive(ivr_base, public, warm_up, args.concurrency, menu_steps(keys[0]), tag="warm")
        # Each key in rounds alternating with the bare app: the machine's load drifts (other work shares
        # its cores), and runs side by side see the same load.
        for i, key in enumerate(keys):
            rounds = [(drive(bare_base, public, args.calls // args.rounds, args.concurrency, bare_steps,
                             tag=f"b{i}r{n}"),
                       drive(ivr_base, public, args.calls // args.rounds, args.concurrency, menu_steps(key),
                             tag=f"k{i}r{n}")) for n in range(args.rounds)]
            results[key] = combined([b for b, _ in rounds]), combined([r for _, r in rounds])
    finally:
        for proc in (bare_proc, ivr_proc):
            proc.terminate()
            proc.wait(10)

    db_kind = "PostgreSQL" if (args.database_url or "").startswith("postgres") else "SQLite"
    print(f"Webhook benchmark: {args.calls} calls per key x 2 webhooks (incoming, menu), concurrency "
          f"{args.concurrency}, gunicorn as in the Procfile ({args.workers} sync workers), {db_kind}")
    print(f"{'':10}{'bare calls/s':>13}{'p50 ms':>8}{'IVR calls/s':>13}{'p50 ms':>8}{'p99 ms':>8}{'errors':>8}"
          f"{'ratio':>7}")
    for key, (bare, r) in results.items():
        print(f"{'key ' + key:10}{bare['calls_per_s']:>13.0f}{bare['p50_ms']:>8.1f}{r['calls_per_s']:>13.0f}"
              f"{r['p50_ms']:>8.1f}{r['p99_ms']:>8.1f}{r['errors']:>8}{r['calls_per_s'] / bare['calls_per_s']:>7.2f}")
    worst = min(r["calls_per_s"] / bare["calls_per_s"] for bare, r in results.values())
    print(f"throughput ratio IVR/bare (calls/s): lowest {worst:.2f} (target >= 0.5 for every key); p50 latency "
          "ratios " + ", ".join(f"{k} {r['p50_ms'] / bare['p50_ms']:.2f}" for k, (bare, r) in results.items()))
    words, seconds = speech_measure(urgent_speech())
    print(f"Speech before an urgent transfer (pressing 1 at the first chance): {words} words, "
          f"{seconds} s at 150 words/minute")
    for in_hours, who in ((True, "MASH"), (False, "EDT (out of hours)")):
        print(f"A silent caller is put through to {who} after {silent_caller_seconds(in_hours=in_hours)} s "
              f"(menu, {MENU_TIMEOUT_S} s wait, short replay, {MENU_TIMEOUT_S} s wait; limit {SILENT_CALLER_LIMIT_S} s)")
    if any(r["errors"] for _, r in results.values()):
        raise SystemExit("the IVR answered errors under load")


if __name__ == "__main__":
    main()
