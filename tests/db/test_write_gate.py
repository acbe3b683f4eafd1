"""SQLite's write lock is queued per process and between processes: every way a write transaction ends lets
the next writer in."""
from __future__ import annotations

import fcntl
import os
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from db import write_gate
from db.session import make_engine


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'gate.sqlite3'}")
    engine.gate_file = tmp_path / "gate.sqlite3.write-gate"
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (n INTEGER)"))
    yield engine
    engine.dispose()


def writer(engine) -> Session:
    """A session holding the write lock, as a webhook's does."""
    session = Session(engine)
    write_gate.begin_immediate(session.connection())
    session.execute(text("INSERT INTO t VALUES (1)"))
    return session


def next_writer_gets_in(engine) -> bool:
    """Whether another thread takes the write lock at once."""
    got = []

    def other():
        try:
            writer(engine).commit()
            got.append(True)
        except OperationalError:
            got.append(False)

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(30)
    return got == [True]


def other_process_gets_in(engine) -> bool:
    """Whether another process could take the processes' gate now (a second open file stands in for one)."""
    fd = os.open(engine.gate_file, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_the_next_writer_gets_in_however_a_write_transaction_ends(engine, end):
    session = writer(engine)
    assert not other_process_gets_in(engine)
    getattr(session, end)()
    assert other_process_gets_in(engine)
    assert next_writer_gets_in(engine)


@pytest.mark.timed_wait
def test_a_writer_waiting_longer_than_a_live_call_may_gets_an_operational_error_for_the_fail_safe(engine, monkeypatch):
    gate, _, shared = engine.dialect.ivr_write_gate
    monkeypatch.setattr(engine.dialect, "ivr_write_gate", (gate, 0.05, shared))
    held = writer(engine)
    assert not next_writer_gets_in(engine)  # refused within 0.05 s, as an OperationalError the fail-safe catches
    held.commit()
    assert next_writer_gets_in(engine)


def test_a_failed_begin_leaves_the_gate_open(engine, monkeypatch):
    session = Session(engine)
    connection = session.connection()
    connection.exec_driver_sql("BEGIN")  # a transaction already open: BEGIN IMMEDIATE fails
    with pytest.raises(OperationalError):
        write_gate.begin_immediate(connection)
    session.rollback()
    assert next_writer_gets_in(engine)


@pytest.mark.timed_wait
def test_a_writer_waits_for_another_process_and_gets_in_when_it_lets_go(engine, monkeypatch):
    gate, _, shared = engine.dialect.ivr_write_gate
    monkeypatch.setattr(engine.dialect, "ivr_write_gate", (gate, 0.05, shared))
    fd = os.open(engine.gate_file, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process writing
    try:
        assert not next_writer_gets_in(engine)  # refused within 0.05 s, for the fail-safe
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert next_writer_gets_in(engine)
