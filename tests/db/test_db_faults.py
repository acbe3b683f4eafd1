"""Database down, slow (locked) or full while calls come in: callers reach MASH, the call is logged
with its CallSid for reconciliation, and recording resumes by itself once the fault clears."""
from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from db.models import Call, CallStep, Route
from db.session import create_all
from ivr import create_app
from ivr.config import load_settings
from tests.conftest import IN_HOURS, TEST_ENV
from tests.db_support import lock_held_on
from tests.twilio_client import TwilioClient, call_params, dialled, next_url

MASH = TEST_ENV["MASH_NUMBER"]
DURING = "CA" + "d" * 32
AFTER = "CA" + "e" * 32


class DatabaseLink:
    """A TCP relay in front of PostgreSQL that can be cut and restored, like a network or server outage."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.port = 0
        self.listener: socket.socket | None = None
        self.sockets: list[socket.socket] = []

    def restore(self) -> None:
        """Accept connections again (on the same port)."""
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(32)
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self) -> None:
        """Drop every open connection and refuse new ones."""
        self.listener.shutdown(socket.SHUT_RDWR)  # wakes the accepting thread; close alone would not
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


def _client(app) -> TwilioClient:
    return TwilioClient(app.test_client(), TEST_ENV["TWILIO_AUTH_TOKEN"], TEST_ENV["PUBLIC_BASE_URL"])


def _recorded(engine, sid: str) -> tuple[Call | None, list[str]]:
    with Session(engine) as session:
        call = session.exec(select(Call).where(Call.call_sid == sid)).first()
        steps = [] if call is None else list(session.exec(
            select(CallStep.step).where(CallStep.call_id == call.id).order_by(CallStep.id)))
    return call, steps


def assert_caller_reaches_mash_and_is_logged(twilio: TwilioClient, json_log, cause: str) -> None:
    """During the fault: MASH for the caller, and a JSON error line with the CallSid for each webhook."""
    doc = twilio.twiml("/voice/incoming", call_params(call_sid=DURING))
    assert dialled(doc) == [MASH]
    assert twilio.post("/voice/status", call_params(call_sid=DURING, CallStatus="completed")).status_code == 204
    failures = [line for line in json_log() if line.get("level") == "error"]
    assert {line.get("event") for line in failures} >= {"failsafe", "webhook_failed"}
    assert all(line["call_sid"] == DURING for line in failures)
    assert all(cause in line["exception"] for line in failures), [line["exception"][-300:] for line in failures]


def assert_the_next_call_is_recorded(twilio: TwilioClient, engine) -> None:
    """After the fault: the menu plays again and the next call is stored with its steps."""
    greeting = twilio.twiml("/voice/incoming", call_params(call_sid=AFTER))
    assert greeting.find("Gather") is not None
    assert dialled(twilio.twiml(next_url(greeting), call_params(call_sid=AFTER, Digits="1"))) == [MASH]
    call, steps = _recorded(engine, AFTER)
    assert call is not None and call.route == Route.MASH
    assert steps == ["incoming", "menu"]


@pytest.mark.postgres
def test_while_postgresql_is_unreachable_callers_reach_mash_and_recording_resumes(pg_schema_url, clock, json_log):
    url = make_url(pg_schema_url)
    link = DatabaseLink(url.host, url.port)
    link.restore()
    app = create_app(load_settings(dict(TEST_ENV, DATABASE_URL=url.set(port=link.port).render_as_string(False))))
    app.config["CLOCK"] = clock
    engine = app.extensions["db_engine"]
    twilio = _client(app)
    try:
        assert twilio.twiml("/voice/incoming", call_params(call_sid="CA" + "c" * 32)).find("Gather") is not None
        link.cut()
        assert_caller_reaches_mash_and_is_logged(twilio, json_log, "connection")
        assert app.test_client().get("/health").status_code == 503
        link.restore()
        assert app.test_client().get("/health").status_code == 200
        assert_the_next_call_is_recorded(twilio, engine)
    finally:
        link.cut()
        engine.dispose()


def test_while_the_sqlite_file_cannot_be_opened_callers_reach_mash_and_recording_resumes(tmp_path, clock, json_log):
    path = tmp_path / "ivr.sqlite3"
    path.mkdir()  # a directory where the database file should be: nothing can open it
    app = create_app(load_settings(dict(TEST_ENV, DATABASE_URL=f"sqlite:///{path}")))
    app.config["CLOCK"] = clock
    engine = app.extensions["db_engine"]
    twilio = _client(app)
    assert_caller_reaches_mash_and_is_logged(twilio, json_log, "unable to open database file")
    path.rmdir()
    create_all(engine)  # the volume is back, with the schema the release step creates
    assert_the_next_call_is_recorded(twilio, engine)
    engine.dispose()


def test_while_a_lock_is_held_callers_reach_mash_and_recording_resumes(app, engine, json_log):
    twilio = _client(app)
    cause = "database is locked" if engine.dialect.name == "sqlite" else "statement timeout"
    with lock_held_on(engine, "call"):
        assert_caller_reaches_mash_and_is_logged(twilio, json_log, cause)
    assert_the_next_call_is_recorded(twilio, engine)


def test_when_the_sqlite_database_is_full_callers_reach_mash_and_recording_resumes(tmp_path, clock, json_log):
    app = create_app(load_settings(dict(TEST_ENV, DATABASE_URL=f"sqlite:///{tmp_path / 'ivr.sqlite3'}")))
    app.config["CLOCK"] = clock
    engine = app.extensions["db_engine"]
    create_all(engine)
    limit = {"pages": 2_000_000_000}

    # max_page_count is per connection: apply the current "disk size" whenever the app takes one.
    @event.listens_for(engine, "checkout")
    def _disk_size(dbapi_conn, _record, _proxy):
        dbapi_conn.execute(f"PRAGMA max_page_count={limit['pages']}")

    with engine.connect() as conn:
        limit["pages"] = conn.execute(text("PRAGMA page_count")).scalar() + 4
    _fill_until_full(engine)
    twilio = _client(app)
    assert_caller_reaches_mash_and_is_logged(twilio, json_log, "database or disk is full")
    limit["pages"] = 2_000_000_000  # space is freed
    assert_the_next_call_is_recorded(twilio, engine)
    engine.dispose()


def _fill_until_full(engine) -> None:
    """Store calls until SQLite reports the database full."""
    with Session(engine) as session:
        for n in range(100_000):
            session.add(Call(call_sid=f"CA{n:032d}", caller="withheld", route=Route.MASH, started_at=IN_HOURS))
            try:
                session.commit()
            except Exception as exc:
                assert "full" in str(exc)
                return
    raise AssertionError("the database never filled up")
