"""As the Procfile runs it: a server that sets nothing is production, and refuses what would break on day one."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.conftest import TEST_ENV

IVR = str(Path(sys.executable).with_name("ivr"))


def bare_env(tmp_path, **extra) -> dict:
    """The machine's environment without any of the app's variables (as a fresh server would be)."""
    env = {k: v for k, v in os.environ.items() if k not in TEST_ENV and k not in ("DATABASE_URL", "IVR_ENV")}
    return dict(env, DATABASE_URL=f"sqlite:///{tmp_path / 'd.db'}", HOME=str(tmp_path), **extra)


def test_a_server_that_sets_nothing_runs_as_production_and_will_not_start_on_the_default_secret(tmp_path):
    result = subprocess.run([IVR, "routes"], env=bare_env(tmp_path), cwd=tmp_path, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_the_worker_will_not_start_without_the_public_url_twilio_calls_back_on(tmp_path):
    env = bare_env(tmp_path, **{k: v for k, v in TEST_ENV.items() if k != "PUBLIC_BASE_URL"})
    result = subprocess.run([IVR, "worker"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "PUBLIC_BASE_URL" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ivr_run_is_the_development_server_and_needs_no_settings(tmp_path):
    port = free_port()
    env = bare_env(tmp_path)
    subprocess.run([IVR, "db", "upgrade"], env=dict(env, IVR_ENV="development"), cwd=tmp_path, check=True,
                   capture_output=True, timeout=120)
    proc = subprocess.Popen([IVR, "run", "--port", str(port), "--with-worker"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stdout.read()
            try:
                if requests.get(f"http://127.0.0.1:{port}/health/live", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            assert time.monotonic() < deadline, "ivr run did not start"
            time.sleep(0.2)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    # The worker builds Twilio's URLs on the server's own origin, as there is no PUBLIC_BASE_URL.
    assert f"Voice URL (POST):           http://127.0.0.1:{port}/voice/incoming" in output
