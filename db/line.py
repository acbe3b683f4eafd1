"""Query functions for the line's settings: the revision every call checks, notices, and menu versions."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select as sa_select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from db import write_gate
from db.models import LineConfig, LineNotice, MenuVersion

# Built once: every webhook of a live call asks it, and almost always the answer has not moved.
REVISION = sa_select(LineConfig.revision).where(LineConfig.id == 1)


def get_line_revision(session: Session) -> int:
    """The settings' revision (0 before the first change): one primary-key read."""
    return session.connection().execute(REVISION).scalar() or 0


def get_line_config(session: Session) -> LineConfig | None:
    """The settings row (None before the first change)."""
    return session.exec(select(LineConfig).where(LineConfig.id == 1)).first()


def lock_line_config(session: Session, seed: LineConfig) -> LineConfig:
    """The settings row, locked until this change commits, so changes queue and each moves the revision by one:
    SQLite's write lock, or the row's lock on PostgreSQL. The first change inserts `seed`; a first change made at
    the same moment finds it instead."""
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and not connection.connection.dbapi_connection.in_transaction:
        write_gate.begin_immediate(connection)
    insert = sqlite_insert if sqlite else postgresql_insert
    values = {column.name: getattr(seed, column.name) for column in LineConfig.__table__.columns}
    connection.execute(insert(LineConfig.__table__).values(values).on_conflict_do_nothing(index_elements=["id"]))
    locked = select(LineConfig).where(LineConfig.id == 1).with_for_update().execution_options(populate_existing=True)
    return session.exec(locked).one()


def save_line_config(session: Session, config: LineConfig, actor: str, now: datetime) -> LineConfig:
    """Keep a change and move the revision, so every process plays it from its next call."""
    config.revision = (config.revision or 0) + 1
    config.updated_at, config.updated_by = now, actor
    session.add(config)
    return config


def get_current_notices(session: Session, now: datetime) -> list[LineNotice]:
    """Closures and announcements not removed and not yet over, the soonest first."""
    query = (select(LineNotice).where(LineNotice.removed_at.is_(None), LineNotice.ends_at > now)
             .order_by(LineNotice.starts_at, LineNotice.id))
    return list(session.exec(query))


def get_notice(session: Session, notice_id: int, kind: str) -> LineNotice | None:
    """One closure or announcement by id."""
    notice = session.get(LineNotice, notice_id)
    return notice if notice is not None and notice.kind == kind else None


def save_notice(session: Session, notice: LineNotice) -> LineNotice:
    """Add a closure or an announcement (committed with the revision it moves)."""
    session.add(notice)
    session.flush()
    return notice


def get_menu_version(session: Session, version: int) -> MenuVersion | None:
    """One menu version."""
    return session.get(MenuVersion, version)


def get_menu_versions(session: Session) -> list[MenuVersion]:
    """Every menu version, the newest first."""
    return list(session.exec(select(MenuVersion).order_by(MenuVersion.version.desc())))


def save_menu_version(session: Session, version: MenuVersion) -> MenuVersion:
    """Add a menu version and learn its number."""
    session.add(version)
    session.flush()
    return version
