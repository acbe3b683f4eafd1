"""A published wording is heard on the next call under 2 gunicorn workers with no restart; rollback restores it.

Real processes: gunicorn with two workers, each caching the line's settings per revision (ivr/line_settings.py), and
`ivr menu publish` / `ivr menu rollback` as the supervisor runs them, in their own processes. Every call after a
change, whichever worker answers it, must hear the change: a worker that kept its cached wording would fail.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import yaml

from db.session import create_all, make_engine
from routing.menu import DEFAULT_WORDING
from tests.conftest import TEST_ENV, empty_all_tables
from tests.processes import ROOT, base_url, loopback_socket, start_gunicorn
from tests.twilio_client import call_params, parse_twiml, said, sign

pytestmark = [pytest.mark.slow]

WORKERS = 2
CALLS = 8  # at least this many calls after each change, each on a fresh connection
BATCH = 4  # made at once, so that one worker cannot take them all
MAX_CALLS = 120  # ... and more, up to this, until both workers are seen answering (the kernel picks the worker)
SLOW_START_S = 120  # a loaded 2-core machine can take this long to start gunicorn and import the app
CLI_TIMEOUT_S = 120
VERSION1_OPTION2 = "Want advice from a colleague? Press 2 for the DSL Infoline."
VERSION2_OPTION2 = "Not sure, and want advice? Press 2 for the DSL Infoline."
# Each access-log line names the worker (its pid) and the call it answered, sent in a header of our own.
ACCESS_FORMAT = "worker=%(p)s call=%({x-test-call}i)s"
ACCESS_LINE = re.compile(r"worker=<(\d+)> call=(CA[0-9a-f]{32})")


@dataclass
class Server:
    url: str
    env: dict
    log: Path
    proc: subprocess.Popen

    def workers_by_call(self) -> dict[str, str]:
        """Which worker (pid) answered each call, from gunicorn's access log so far."""
        found = {}
        for line in self.log.read_text(errors="replace").splitlines():
            try:
                message = json.loads(line).get("message", "")
            except ValueError:
                continue
            match = ACCESS_LINE.search(message)
            if match:
                found[match.group(2)] = match.group(1)
        return found


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def server(database_url, tmp_path):
    """gunicorn with two workers on a fresh schema, public (as far as signatures go) at its loopback URL."""
    engine = make_engine(database_url)
    create_all(engine)
    if engine.dialect.name == "postgresql":
        empty_all_tables(engine)  # the session's schema: earlier tests' rows must not be this test's line
    engine.dispose()
    sock = loopback_socket()
    base = base_url(sock)
    env = {k: v for k, v in os.environ.items() if k not in TEST_ENV and k != "DATABASE_URL"}
    # Open always, so option 2's in-hours sentence plays whatever the real clock says.
    env.update(TEST_ENV, DATABASE_URL=database_url, OPENING_HOURS="always", PUBLIC_BASE_URL=base)
    log = tmp_path / "web.log"
    with log.open("wb") as output:
        proc = start_gunicorn(sock, env, "--workers", str(WORKERS), "--access-logformat", ACCESS_FORMAT,
                              "ivr.wsgi:app", output=output)
    try:
        deadline = time.monotonic() + SLOW_START_S
        while not _answers(base + "/health"):
            if proc.poll() is not None:
                raise AssertionError(f"gunicorn exited ({proc.returncode}):\n" + log.read_text(errors="replace")[-3000:])
            if time.monotonic() > deadline:
                raise AssertionError("gunicorn did not answer /health in time:\n"
                                     + log.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        yield Server(base, env, log, proc)
    finally:
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        sock.close()


def ivr(server: Server, *args: str) -> subprocess.CompletedProcess:
    """`ivr ARGS` as a supervisor runs it: its own process, the web's environment and database."""
    command = [str(Path(sys.executable).with_name("ivr")), *args]
    return subprocess.run(command, cwd=ROOT, env=server.env, capture_output=True, text=True, timeout=CLI_TIMEOUT_S)


def menu_file(tmp_path: Path, name: str, texts: dict) -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(texts), encoding="utf-8")
    return str(path)


def call(server: Server, sid: str) -> str:
    """One signed new call on a fresh connection (any worker may accept it); what the caller heard."""
    url = server.url + "/voice/incoming"
    params = call_params(call_sid=sid)
    headers = {"X-Twilio-Signature": sign(TEST_ENV["TWILIO_AUTH_TOKEN"], url, params), "X-Test-Call": sid,
               "Connection": "close"}
    with requests.Session() as fresh:
        reply = fresh.post(url, data=params, headers=headers, timeout=60)
    assert reply.status_code == 200, f"call {sid} answered {reply.status_code}: {reply.text[:300]}"
    return said(parse_twiml(reply.content))


def calls(server: Server, phase: int) -> tuple[list[str], set[str]]:
    """New calls, a few at once so that both workers are busy, until at least CALLS have been made and both
    workers have answered some; what each caller heard, and the workers (pids) that answered."""
    heard, sids = [], []
    with ThreadPoolExecutor(max_workers=BATCH) as pool:
        while len(sids) < CALLS or len(set(_workers(server, sids).values())) < WORKERS:
            assert len(sids) < MAX_CALLS, (f"phase {phase}: {MAX_CALLS} calls, answered by only "
                                           f"{set(_workers(server, sids).values())}: cannot show both workers")
            assert server.proc.poll() is None, "gunicorn exited:\n" + server.log.read_text(errors="replace")[-3000:]
            batch = [f"CA{phase:02x}{len(sids) + n:030x}" for n in range(BATCH)]
            heard.extend(pool.map(lambda sid: call(server, sid), batch))
            sids.extend(batch)
    print(f"phase {phase}: {len(sids)} calls, per worker {sorted(Counter(_workers(server, sids).values()).values())}")
    return heard, set(_workers(server, sids).values())


def _workers(server: Server, sids: list[str]) -> dict[str, str]:
    by_call = server.workers_by_call()
    return {sid: by_call[sid] for sid in sids if sid in by_call}


def assert_every_call_hears(heard: list[str], sentence: str, not_: tuple[str, ...]) -> None:
    wrong = [h for h in heard if sentence not in h or any(other in h for other in not_)]
    assert not wrong, f"{len(wrong)} of {len(heard)} calls did not hear {sentence!r}; e.g. {wrong[0]!r}"


@pytest.mark.timeout(600)
def test_a_published_wording_is_heard_on_the_next_call_by_every_worker_and_rollback_restores_it(server, tmp_path):
    everything = (DEFAULT_WORDING.option2, VERSION1_OPTION2, VERSION2_OPTION2)

    def others(sentence):
        return tuple(s for s in everything if s != sentence)

    # Both workers answer calls, and so cache the line at revision 0: the poster's default wording.
    heard, workers = calls(server, 0)
    assert_every_call_hears(heard, DEFAULT_WORDING.option2, others(DEFAULT_WORDING.option2))
    assert len(workers) == WORKERS

    first = ivr(server, "menu", "publish", menu_file(tmp_path, "v1.yaml", {"option2": VERSION1_OPTION2}))
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.strip().splitlines()[-1] == "Published version 1: menu: the default wording -> version 1"
    heard, after_first = calls(server, 1)
    assert_every_call_hears(heard, VERSION1_OPTION2, others(VERSION1_OPTION2))
    assert after_first == workers, "the same two workers answer: none was restarted"

    second = ivr(server, "menu", "publish", menu_file(tmp_path, "v2.yaml", {"option2": VERSION2_OPTION2}))
    assert second.returncode == 0, second.stdout + second.stderr
    assert second.stdout.strip().splitlines()[-1] == "Published version 2: menu: version 1 -> version 2"
    heard, after_second = calls(server, 2)
    assert_every_call_hears(heard, VERSION2_OPTION2, others(VERSION2_OPTION2))
    assert after_second == workers

    back = ivr(server, "menu", "rollback", "1")
    assert back.returncode == 0, back.stdout + back.stderr
    assert back.stdout.strip().splitlines()[-1] == "Rolled back: menu: version 2 -> version 1"
    heard, after_rollback = calls(server, 3)
    assert_every_call_hears(heard, VERSION1_OPTION2, others(VERSION1_OPTION2))
    assert after_rollback == workers
    assert server.proc.poll() is None, "gunicorn is still the one started at the beginning"

    versions = ivr(server, "menu", "versions")
    assert versions.returncode == 0, versions.stdout + versions.stderr
    newest, older = versions.stdout.splitlines()[:2]
    assert newest.startswith("2  published ") and older.startswith("1  published (playing)")
