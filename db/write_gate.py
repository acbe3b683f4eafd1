"""A per-process queue for SQLite's single write lock, so threads wait their turn instead of polling for it.

SQLite's busy handler polls with sleeps that grow to 100 ms. Under a burst of webhooks in one process each
write transaction holds the lock for a few milliseconds, yet a waiter can miss every free moment for
seconds (measured: holds p99 7 ms, waits up to 1.6 s, 1,000 calls at concurrency 8) and then fall to the
fail-safe. Waiting on a threading.Lock instead wakes the next thread the moment the lock is released.
Between processes (gunicorn's workers) the same queue is an flock on a file beside the database, polled
every millisecond at most, where SQLite's own busy handler would sleep ever longer.
"""
from __future__ import annotations

import os
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError

try:
    import fcntl
except ImportError:  # not POSIX: SQLite's busy handler alone queues the processes
    fcntl = None

HELD = "ivr_write_gate_held"  # set in the pooled connection's info while it holds the gate
SHARED = "ivr_write_gate_shared"  # ... and while it holds the processes' gate too
MAX_PAUSE_S = 0.001


class WriteGateTimeout(OperationalError):
    """Another thread kept the write lock longer than a live call may wait."""

    def __init__(self, seconds: float):
        super().__init__("BEGIN IMMEDIATE", None, Exception(f"write gate not free after {seconds} s"))


class ProcessGate:
    """An exclusive flock on a file beside the database, the queue between this host's processes."""

    def __init__(self, path: str):
        self.path, self.fd, self.pid = path, None, None

    def acquire(self, deadline: float) -> bool:
        """Take the lock by the monotonic deadline, checking at most a millisecond apart."""
        if self.pid != os.getpid():  # opened per process: an flock belongs to the open file, which a fork shares
            self.fd, self.pid = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600), os.getpid()
        pause = MAX_PAUSE_S / 16
        while True:
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE_S)

    def release(self) -> None:
        """Open the lock for the next process."""
        fcntl.flock(self.fd, fcntl.LOCK_UN)


def install(engine: Engine, timeout_s: float, database_path: str | None = None) -> None:
    """Give a SQLite engine its gate; it is opened again when the write transaction ends, however it ends."""
    gate = threading.Lock()
    shared = ProcessGate(f"{database_path}.write-gate") if database_path and fcntl is not None else None
    engine.dialect.ivr_write_gate = (gate, timeout_s, shared)

    def release(info: dict) -> None:
        if info.pop(SHARED, False):
            shared.release()
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
    """Take SQLite's write lock now: this process's gate, the processes' gate, then the database's own lock."""
    gate, timeout_s, shared = connection.dialect.ivr_write_gate
    deadline = time.monotonic() + timeout_s
    if not gate.acquire(timeout=timeout_s):
        raise WriteGateTimeout(timeout_s)
    connection.info[HELD] = True
    try:
        if shared is not None:
            if not shared.acquire(deadline):
                raise WriteGateTimeout(timeout_s)
            connection.info[SHARED] = True
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    except BaseException:
        if connection.info.pop(SHARED, False):
            shared.release()
        connection.info.pop(HELD, None)
        gate.release()
        raise
