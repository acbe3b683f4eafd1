"""Engine and session handling, attached to a Flask app with init_app."""
from __future__ import annotations

from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Iterator

from flask import current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, create_engine

from db import models  # noqa: F401  (registers the tables on SQLModel.metadata)
from db import write_gate

# A live call must not wait on a locked or unreachable database: fail fast and fail safe.
SQLITE_BUSY_MS = 2000
PG_CONNECT_TIMEOUT_S = 3
PG_STATEMENT_TIMEOUT_MS = 3000

# A database too busy to answer in time (a lock, the write gate, a statement timeout): worth trying again.
BUSY_ERRORS = (OperationalError,)


def make_engine(url: str) -> Engine:
    """Create an engine with short timeouts suited to answering live calls."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_MS / 1000}
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):
            cur = dbapi_conn.cursor()
            # WAL lets the dashboard read while webhooks write; busy_timeout bounds lock waits.
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
            # Safe with WAL (no corruption on power loss); spares an fsync on every webhook commit.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        write_gate.install(engine, SQLITE_BUSY_MS / 1000, path if "///" in url and path not in ("", ":memory:") else None)
        return engine
    # Keep any options already in the URL (such as a search_path) beside the statement timeout.
    url_options = make_url(url).query.get("options", "")
    options = f"{url_options} -c statement_timeout={PG_STATEMENT_TIMEOUT_MS}".strip()
    return create_engine(
        make_url(url).difference_update_query(["options"]),
        hide_parameters=True,  # a logged error never quotes the values: numbers, reasons
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args={
            "connect_timeout": PG_CONNECT_TIMEOUT_S,
            "options": options,
        },
    )


def create_all(engine: Engine) -> None:
    """Create every table (tests and the quick start; production uses migrations)."""
    SQLModel.metadata.create_all(engine)


def get_engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions["db_engine"]


def get_session() -> Session:
    """A session for this request, closed at teardown."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def get_write_session() -> Session:
    """This request's session, for a webhook that will write: on SQLite it takes the write lock first.

    A SQLite transaction that reads and then writes fails at once (no busy wait) if another writer
    committed in between; BEGIN IMMEDIATE waits its turn, queued behind this process's other writers.
    """
    return lock_for_write(get_session())


def lock_for_write(session: Session) -> Session:
    """On SQLite, take the write lock now (BEGIN IMMEDIATE) unless this transaction already writes: what it
    reads next cannot change before it writes. PostgreSQL locks rows instead (SELECT ... FOR UPDATE)."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        write_gate.begin_immediate(connection)
    return session


def statement_savepoint(session: Session):
    """Keep one failed statement from spoiling the transaction: a savepoint on PostgreSQL, nothing on SQLite."""
    # PostgreSQL aborts the whole transaction on any error; SQLite undoes just the failed statement, so there
    # a savepoint would be two statements for nothing. Pending ORM changes are flushed first, outside it: else a
    # flush inside (autoflush, or a nested begin) would be undone with the failed statement, the ORM unaware.
    session.flush()
    connection = session.connection()
    return nullcontext() if connection.dialect.name == "sqlite" else connection.begin_nested()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session outside a request (CLI, worker) that commits or rolls back."""
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise
    finally:
        session.close()


def _close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


def init_app(app) -> None:
    """Attach an engine built from the app's settings."""
    app.extensions["db_engine"] = make_engine(app.config["SETTINGS"].database_url)
    app.teardown_appcontext(_close_session)
