"""A per-process queue for SQLite's single write lock, so threads wait their turn instead of polling for it.

SQLite's busy handler polls with sleeps that grow to 100 ms. Under a burst of webhooks in one process each
write transaction holds the lock for a few milliseconds, yet a waiter can miss every free moment for
seconds (measured: holds p99 7 ms, waits up to 1.6 s, 1,000 calls at concurrency 8) and then fall to the
fail-safe. Waiting on a threading.Lock instead wakes the next thread the moment the lock is released.
"""
from __future__ import annotations

import threading

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

HELD = "ivr_write_gate_held"  # set in the pooled connection's info while it holds the gate


class WriteGateTimeout(OperationalError):
    """Another thread kept the write lock longer than a live call may wait."""

    def __init__(self, seconds: float):
        super().__init__("BEGIN IMMEDIATE", None, Exception(f"write gate not free after {seconds} s"))


def install(engine: Engine, timeout_s: float) -> None:
    """Give a SQLite engine its gate; it is opened again when the write transaction ends, however it ends."""
    gate = threading.Lock()
    engine.dialect.ivr_write_gate = (gate, timeout_s)

    def release(info: dict) -> None:
        if info.pop(HELD, False):
            gate.release()

    def on_end(connection) -> None:
        release(connection.info)

    def on_reset(_dbapi, record, _reset_state) -> None:
        release(record.info)

    def on_checkin(_dbapi, record) -> None:
        if record is not None:
            release(record.info)

    def on_invalidate(_dbapi, record, _exc) -> None:
        release(record.info)

    event.listen(engine, "commit", on_end)
    event.listen(engine, "rollback", on_end)
    # A session closed without commit or rollback goes back to the pool, which rolls it back: open it too.
    event.listen(engine.pool, "reset", on_reset)
    event.listen(engine.pool, "checkin", on_checkin)
    event.listen(engine.pool, "invalidate", on_invalidate)

def begin_immediate(connection: Connection) -> None:
    """Take SQLite's write lock now: first this process's gate (a queue), then the database's own lock."""
    gate, timeout_s = connection.dialect.ivr_write_gate
    if not gate.acquire(timeout=timeout_s):
        raise WriteGateTimeout(timeout_s)
    connection.info[HELD] = True
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        connection.info.pop(HELD, None)
        gate.release()
        raise
