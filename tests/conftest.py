"""Shared fixtures: an app on SQLite and on PostgreSQL, a Twilio-signing client, a frozen clock."""
from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from flask import g, has_request_context, request
from sqlalchemy import create_engine, event, text
from sqlmodel import SQLModel

from ivr import create_app
from ivr.config import load_settings
from tests.twilio_client import TwilioClient

# Fixtures every folder may use, registered once here instead of imported by test modules.
pytest_plugins = ["tests.callback_support", "tests.simulator_support", "tests.browser_support"]
PG_ADMIN_URL = os.environ.get("IVR_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
TEST_ENV = {
    "IVR_ENV": "test",
    "TWILIO_AUTH_TOKEN": "test-auth-token",
    "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
    "SECRET_KEY": "test-secret-key-not-for-production",
    "PUBLIC_BASE_URL": "https://ivr.example.test",
    "TWILIO_PHONE_NUMBER": "+442079460001",
    "MASH_NUMBER": "+442079460100",
    "DSL_INFOLINE_NUMBER": "+442079460200",
    "EARLY_HELP_NUMBER": "+442079460300",
    "EDT_NUMBER": "+442079460400",
    "OPENING_HOURS": "Mon-Thu 08:30-17:30; Fri 08:30-17:00",
}
# A Tuesday morning in GMT, well inside opening hours.
IN_HOURS = datetime(2026, 11, 24, 10, 0, tzinfo=timezone.utc)
OUT_OF_HOURS = datetime(2026, 11, 24, 22, 0, tzinfo=timezone.utc)


class TickingClock:
    """A clock that starts at a set moment and runs on in real seconds: a test's stand-in for a live clock."""

    def __init__(self, start: datetime):
        self.start, self._t0 = start, time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._t0)


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # any failure means "not here"
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"


_PG_PROBLEM = _postgres_reachable()


def pytest_report_header(config):
    if _PG_PROBLEM is None:
        return f"PostgreSQL: {PG_ADMIN_URL} reachable; database tests run on SQLite and PostgreSQL"
    return f"PostgreSQL: not reachable ({_PG_PROBLEM}); PostgreSQL runs are skipped"


@pytest.fixture(scope="session")
def pg_schema_url():
    """A fresh PostgreSQL schema for this test session (dropped at the end)."""
    if _PG_PROBLEM is not None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must run the PostgreSQL tests, but {PG_ADMIN_URL} is unreachable: {_PG_PROBLEM}")
        pytest.skip(f"PostgreSQL not reachable at {PG_ADMIN_URL} ({_PG_PROBLEM}); start it to run these tests")
    schema = f"t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    engine = create_engine(url)
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def empty_all_tables(engine) -> None:
    """Empty every table and restart every id, as TRUNCATE ... RESTART IDENTITY would, but about 100 times
    faster on tables this small (TRUNCATE pays a fixed cost per table: 110 ms a test, against 1.5 ms)."""
    with engine.begin() as conn:
        sequences = conn.execute(text("SELECT sequence_name FROM information_schema.sequences "
                                      "WHERE sequence_schema = current_schema()")).scalars().all()
        statements = [f'DELETE FROM "{t.name}"' for t in reversed(SQLModel.metadata.sorted_tables)]
        statements += [f"SELECT setval('\"{name}\"', 1, false)" for name in sequences]
        conn.exec_driver_sql("; ".join(statements))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """Each database test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def settings_env(database_url, request):
    """The environment the test app is built from; tests may change it before `app` is made.

    A module marked `twilio_stand_in` runs the app as if public at a loopback URL, with Twilio's REST API
    at the stand-in (tests/callback_support.py); one marked `no_public_url` has no PUBLIC_BASE_URL, as the
    simulator's tests want (it signs the loopback URL it posts to, as Twilio signs the URL it calls).
    """
    env = dict(TEST_ENV, DATABASE_URL=database_url)
    if request.node.get_closest_marker("twilio_stand_in"):
        loopback = request.getfixturevalue("loopback")
        env.update(PUBLIC_BASE_URL=loopback.app_url, TWILIO_API_BASE_URL=loopback.stand_in.url)
    if request.node.get_closest_marker("no_public_url"):
        env.pop("PUBLIC_BASE_URL")
    return env


@pytest.fixture
def clock():
    """A frozen clock the app reads; set `clock.now` to move time."""

    class Clock:
        now = IN_HOURS

        def __call__(self):
            return self.now

    return Clock()


def watch_webhook_transactions(app) -> list[str]:
    """Every Twilio webhook that committed more than once: each must be one transaction, taken as a writer."""
    engine, overs = app.extensions["db_engine"], []

    def counted(_connection) -> None:
        if has_request_context() and request.path.startswith("/voice"):
            g.test_commits = g.get("test_commits", 0) + 1
            if g.test_commits == 2:
                overs.append(request.full_path)

    event.listen(engine, "commit", counted)
    return overs


@pytest.fixture
def app(settings_env, clock):
    """An app with a fresh, empty schema."""
    application = create_app(load_settings(settings_env))
    application.config["CLOCK"] = clock
    engine = application.extensions["db_engine"]
    if engine.dialect.name == "postgresql":
        empty_all_tables(engine)
    else:
        SQLModel.metadata.create_all(engine)
    overs = watch_webhook_transactions(application)
    yield application
    assert not overs, f"webhooks that committed twice: {sorted(set(overs))}"
    # The fail-safe records calls on background threads: let them finish before the tables are reused.
    for thread in threading.enumerate():
        if thread.name == "failsafe-recorder":
            thread.join(timeout=60)
    engine.dispose()


@pytest.fixture
def engine(app):
    """The app's database engine."""
    return app.extensions["db_engine"]


@pytest.fixture
def twilio(app):
    """A client that signs each request as Twilio does, for the URL the app believes it is public at."""
    public = app.config["SETTINGS"].public_base_url or TEST_ENV["PUBLIC_BASE_URL"]
    return TwilioClient(app.test_client(), TEST_ENV["TWILIO_AUTH_TOKEN"], public)


@pytest.fixture
def json_log():
    """The app's JSON log lines as written (parsed), captured from every app logger."""
    import io
    import json
    import logging

    from ivr.logs import APP_LOGGERS, json_handler

    stream = io.StringIO()
    handler = json_handler(stream)
    loggers = [logging.getLogger(name) for name in APP_LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]

    lines.text = stream.getvalue
    yield lines
    for logger in loggers:
        logger.removeHandler(handler)


@pytest.fixture
def pg_empty_schema_url(pg_schema_url):
    """A new, empty PostgreSQL schema (no tables) for this test, dropped afterwards."""
    schema = f"e_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_ADMIN_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()
