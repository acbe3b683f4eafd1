"""What the line's settings in the database cost a new call: /voice/incoming now against commit 42f4f9c, same run.

Usage: python benchmarks/line_settings.py [--calls 2000] [--misses 50] [--base-commit 42f4f9c]
                                          [--database-url postgresql://postgres@127.0.0.1:5432/test]
Exports the base commit's tree (settings from the environment only) into a temporary directory and serves it
beside this tree (settings read by revision from the database, a menu version published), each under gunicorn
as in the Procfile with one sync worker, each on its own fresh database (SQLite files by default; with
--database-url, two new PostgreSQL databases created through that URL and dropped at the end). Sends signed
/voice/incoming webhooks one at a time, alternating old and new in rounds, and prints p50/p90/p99 for both, the
ratio of the p50s, and the p50 of a call right after the revision moved (a cache miss: the whole state reloaded).
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.webhooks import free_port, procfile_web_args, wait_healthy  # noqa: E402

TOKEN = "benchmark-auth-token"
PUBLIC = "https://ivr.bench.test"
ROUNDS = 20
MENU = 'option2: "Want advice from a colleague? Press 2 for the DSL Infoline."\nnote: "line_settings benchmark"\n'
IVR_MAIN = "import sys; from ivr.cli import main; sys.exit(main())"  # the tree's own CLI, not the venv's script


def sqlalchemy_url(url: str) -> str:
    """The URL with the driver the app uses (its config rewrites postgresql:// the same way)."""
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith(("postgres://", "postgresql://")) else url


def fresh_databases(database_url: str | None, tmp: Path) -> tuple[dict[str, str], callable]:
    """One empty database per side; returns their URLs and a function that drops them."""
    if not database_url:
        return {side: f"sqlite:///{tmp}/{side}.sqlite3" for side in ("old", "new")}, lambda: None
    # New databases beside the given one, never its tables: other runs share it (e.g. the suite's `test`).
    admin = create_engine(sqlalchemy_url(database_url), isolation_level="AUTOCOMMIT")
    names = {side: f"bench_line_{side}_{uuid.uuid4().hex[:6]}" for side in ("old", "new")}
    with admin.connect() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            for name in names.values():
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    base = make_url(database_url)
    return {side: base.set(database=name).render_as_string(hide_password=False) for side, name in names.items()}, drop


def tree_env(tree: Path, database_url: str) -> dict:
    """The environment one tree's app runs in: its own code first on the path, its own database."""
    env = dict(os.environ, IVR_ENV="development", TWILIO_AUTH_TOKEN=TOKEN, PUBLIC_BASE_URL=PUBLIC,
               DATABASE_URL=database_url, OPENING_HOURS="always", PYTHONPATH=str(tree))
    env.pop("GUNICORN_CMD_ARGS", None)  # the Procfile's own settings, nothing an operator added
    return env


def ivr(tree: Path, env: dict, *args: str) -> None:
    """Run that tree's `ivr` command (the venv's script would import this tree, installed editable)."""
    subprocess.run([sys.executable, "-c", IVR_MAIN, *args], cwd=tree, env=env, check=True, stdout=subprocess.DEVNULL)


def serve(tree: Path, env: dict, log_path: Path) -> tuple[subprocess.Popen, str]:
    """That tree under gunicorn as its Procfile runs it, one sync worker, so both sides get the same server."""
    port = free_port()
    log = open(log_path, "wb")
    proc = subprocess.Popen(procfile_web_args("ivr.wsgi:app", 1, port), cwd=tree, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    wait_healthy(proc, base, f"in {tree}", log_path)
    return proc, base


def timed_calls(base: str, validator, first: int, count: int, expect: bytes) -> list[float]:
    """Post `count` new calls (distinct CallSids and made-up numbers); milliseconds each."""
    out = []
    for n in range(first, first + count):
        params = {"CallSid": f"CA{n:032d}", "AccountSid": "AC" + "0" * 32, "From": f"+442079460{n % 1000:03d}",
                  "To": "+442079460001", "CallStatus": "ringing", "Direction": "inbound"}
        headers = {"X-Twilio-Signature": validator.compute_signature(PUBLIC + "/voice/incoming", params)}
        start = time.perf_counter()
        resp = requests.post(base + "/voice/incoming", data=params, headers=headers, timeout=30)
        out.append((time.perf_counter() - start) * 1000)
        # A fail-safe answer is quick and would flatter either side: every call must play the menu it should.
        if resp.status_code != 200 or expect not in resp.content:
            raise SystemExit(f"{base}: unexpected answer {resp.status_code}: {resp.content[:300]!r}")
    return out


def cuts(ms: list[float]) -> tuple[float, float, float]:
    """p50, p90 and p99."""
    q = statistics.quantiles(ms, n=100, method="inclusive")
    return q[49], q[89], q[98]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per side")
    parser.add_argument("--misses", type=int, default=50, help="calls right after a revision change (0: none)")
    parser.add_argument("--base-commit", default="42f4f9c", help="the tree with settings from the environment")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server to create both databases on")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ivr-line-bench-") as tmp_name:
        tmp = Path(tmp_name)
        trees = {"old": tmp / "old", "new": ROOT}
        trees["old"].mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.base_commit], check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(trees["old"])], input=archive, check=True)
        urls, drop = fresh_databases(args.database_url, tmp)
        procs: list[subprocess.Popen] = []
        try:
            envs = {side: tree_env(trees[side], urls[side]) for side in trees}
            for side in trees:
                ivr(trees[side], envs[side], "db", "upgrade")  # each tree's own migrations
            (tmp / "menu.yaml").write_text(MENU)
            ivr(ROOT, envs["new"], "menu", "publish", str(tmp / "menu.yaml"))  # a non-zero revision to read
            bases = {}
            for side in trees:
                proc, bases[side] = serve(trees[side], envs[side], tmp / f"{side}.log")
                procs.append(proc)
            expect = {"old": b"<Gather", "new": b"advice from a colleague"}
            validator = RequestValidator(TOKEN)
            for i, side in enumerate(trees):
                timed_calls(bases[side], validator, 10**7 * (i + 1), 100, expect[side])  # warm up
            ms: dict[str, list[float]] = {"old": [], "new": []}
            per_round, n = max(1, args.calls // ROUNDS), 0
            for r in range(ROUNDS):
                # Rounds side by side see the same load (other work shares the cores); who goes first alternates.
                for side in (("old", "new") if r % 2 == 0 else ("new", "old")):
                    ms[side] += timed_calls(bases[side], validator, n, per_round, expect[side])
                    n += per_round
            misses, hits = [], []
            engine = create_engine(sqlalchemy_url(urls["new"]))
            for _ in range(args.misses):
                # Moving the revision alone is enough: the worker sees a new one and reloads the whole state.
                with engine.begin() as conn:
                    conn.execute(text("UPDATE lineconfig SET revision = revision + 1 WHERE id = 1"))
                misses += timed_calls(bases["new"], validator, n, 1, expect["new"])
                hits += timed_calls(bases["new"], validator, n + 1, 1, expect["new"])  # the same moment, cached
                n += 2
            engine.dispose()
        finally:
            for proc in procs:
                proc.terminate()
                proc.wait(15)
            drop()

    kind = "PostgreSQL" if args.database_url else "SQLite"
    print(f"/voice/incoming, settings from the environment ({args.base_commit}) against by revision from the "
          f"database (HEAD); {kind}; gunicorn 1 sync worker each; {per_round * ROUNDS} new calls per side, one at a "
          f"time, {ROUNDS} alternating rounds")
    print(f"{'':24}{'p50 ms':>8}{'p90 ms':>8}{'p99 ms':>8}{'mean ms':>9}")
    p50 = {}
    for side, label in (("old", f"environment ({args.base_commit})"), ("new", "database (HEAD)")):
        p50[side], p90, p99 = cuts(ms[side])
        print(f"{label:24}{p50[side]:>8.2f}{p90:>8.2f}{p99:>8.2f}{statistics.fmean(ms[side]):>9.2f}")
    print(f"ratio p50 (database / environment): {p50['new'] / p50['old']:.2f} "
          f"({p50['new'] - p50['old']:+.2f} ms a call)")
    if len(misses) >= 2:
        print(f"right after a revision change ({len(misses)} calls, each a cache miss): p50 "
              f"{statistics.median(misses):.2f} ms; the call after each (cached) p50 {statistics.median(hits):.2f} ms;"
              f" ratio {statistics.median(misses) / statistics.median(hits):.2f}")


if __name__ == "__main__":
    main()
