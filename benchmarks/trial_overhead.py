"""What a running trial costs a new call: /voice/incoming with and without an active trial, same run.

Usage: python benchmarks/trial_overhead.py [--calls 2000] [--database-url URL]
Drives signed /voice/incoming webhooks through the app in-process (Flask test client), alternating
rounds without and with a running trial, and prints p50/p99 latency for both and their ratio.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlmodel import SQLModel
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from db.models import Trial  # noqa: E402
from db.session import session_scope  # noqa: E402
from trials.saving import save_trial  # noqa: E402
from ivr import create_app  # noqa: E402
from ivr.config import load_settings  # noqa: E402
from trials.definition import load_definition_text  # noqa: E402

TOKEN = "benchmark-auth-token"
BASE = "https://ivr.example.test"
ROUNDS = 10


def make_app(database_url: str):
    env = {"IVR_ENV": "test", "TWILIO_AUTH_TOKEN": TOKEN, "SECRET_KEY": "benchmark-secret-key-0123456789",
           "PUBLIC_BASE_URL": BASE, "DATABASE_URL": database_url, "OPENING_HOURS": "always"}
    app = create_app(load_settings(env))
    SQLModel.metadata.create_all(app.extensions["db_engine"])
    return app


def timed_calls(client, validator, first: int, count: int) -> list[float]:
    """Post `count` new calls from distinct made-up numbers; milliseconds each."""
    out = []
    for n in range(first, first + count):
        params = {"CallSid": f"CA{n:032d}", "AccountSid": "AC" + "0" * 32, "From": f"+442079460{n % 1000:03d}",
                  "To": "+442079460001", "CallStatus": "ringing", "Direction": "inbound"}
        headers = {"X-Twilio-Signature": validator.compute_signature(BASE + "/voice/incoming", params)}
        start = time.perf_counter()
        resp = client.post("/voice/incoming", data=params, headers=headers)
        out.append((time.perf_counter() - start) * 1000)
        assert resp.status_code == 200 and b"<Gather" in resp.data, resp.data[:200]
    return out


def set_trial_window(engine, running: bool) -> None:
    """Open or close the trial's window, so the same rows and indexes serve both arms."""
    with session_scope(engine) as session:
        trial = session.get(Trial, 1)
        now = datetime.now(timezone.utc)
        trial.starts_at = now - timedelta(days=1) if running else now + timedelta(days=300)
        trial.ends_at = now + timedelta(days=30) if running else now + timedelta(days=330)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per arm")
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(args.database_url or f"sqlite:///{tmp}/bench.sqlite3")
        engine = app.extensions["db_engine"]
        example = (ROOT / "trials" / "examples" / "intrinsic_motivation.yaml").read_text()
        with session_scope(engine) as session:
            save_trial(session, load_definition_text(example), datetime(2026, 1, 1, tzinfo=timezone.utc), "benchmark")
        client, validator = app.test_client(), RequestValidator(TOKEN)
        timed_calls(client, validator, 10**6, 100)  # warm up
        arms: dict[str, list[float]] = {"no trial": [], "trial running": []}
        per_round, n = max(1, args.calls // ROUNDS), 0
        for _ in range(ROUNDS):
            for arm in arms:
                set_trial_window(engine, arm == "trial running")
                arms[arm] += timed_calls(client, validator, n, per_round)
                n += per_round
        print(f"/voice/incoming on {engine.dialect.name}, {per_round * ROUNDS} new calls per arm, alternating rounds")
        p50 = {}
        for arm, ms in arms.items():
            cuts = statistics.quantiles(ms, n=100, method="inclusive")
            p50[arm] = cuts[49]
            print(f"  {arm:14} p50 {cuts[49]:6.2f} ms   p99 {cuts[98]:6.2f} ms   mean {statistics.fmean(ms):6.2f} ms")
        print(f"  ratio p50 (trial / no trial): {p50['trial running'] / p50['no trial']:.2f}")


if __name__ == "__main__":
    main()
