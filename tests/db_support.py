"""Database faults for tests: another connection holding a lock, as a long migration or a stuck job would."""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager

from sqlalchemy import text


@contextmanager
def lock_held_on(engine, table: str):
    """Another connection holds SQLite's write lock, or an exclusive lock on `table` in PostgreSQL."""
    if engine.dialect.name == "sqlite":
        other = sqlite3.connect(engine.url.database, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()
        return
    with engine.connect() as other:
        other.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
        try:
            yield
        finally:
            other.rollback()
