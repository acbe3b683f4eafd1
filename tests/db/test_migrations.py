"""`ivr db upgrade` (Alembic, head) on an empty database builds exactly the models' schema, on both databases."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlmodel import Session, SQLModel, select

from db.migrate import alembic_config, upgrade
from db.models import Contact
from db.session import make_engine


def schema_differences(url: str) -> list:
    """What autogenerate would still change to make the database match the models."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
            return compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()


@pytest.fixture
def empty_database(request, tmp_path):
    """An empty SQLite file, or an empty PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    return request.getfixturevalue("pg_empty_schema_url")


BOTH = pytest.mark.parametrize("empty_database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
                               indirect=True)


@BOTH
def test_upgrading_an_empty_database_builds_exactly_the_models_schema(empty_database):
    upgrade(empty_database)
    differences = schema_differences(empty_database)
    # If this fails, the models changed without a migration: regenerate it (`ivr db revision`).
    assert differences == [], "\n".join(map(str, differences))


@BOTH
def test_upgrading_twice_is_harmless_and_leaves_the_database_at_head(empty_database):
    upgrade(empty_database)
    upgrade(empty_database)
    head = ScriptDirectory.from_config(alembic_config(empty_database)).get_current_head()
    engine = make_engine(empty_database)
    with engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head
    engine.dispose()


@BOTH
def test_migration_0005_gives_existing_contacts_their_promise_as_the_first_one(empty_database):
    upgrade(empty_database, "0004")
    engine = make_engine(empty_database)
    promised = datetime(2026, 11, 25, 17, 30)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO contact (reference, created_at, status, service, promised_by) "
                          "VALUES ('123456', :opened, 'received', 'MASH', :promised), "
                          "('234567', :opened, 'received', 'DSL_INFOLINE', NULL)"),
                     {"opened": promised - timedelta(days=1), "promised": promised})
    upgrade(empty_database)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT reference, first_promised_by = promised_by, first_promised_by IS NULL "
                                 "FROM contact ORDER BY reference")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [("123456", True, False), ("234567", None, True)]


@BOTH
def test_migration_0005_finds_a_moved_promise_s_first_time_in_its_first_still_assessing_update(empty_database):
    upgrade(empty_database, "0004")
    engine = make_engine(empty_database)
    first, moved = datetime(2026, 11, 20, 17, 0, tzinfo=timezone.utc), datetime(2026, 11, 24, 17, 30)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO contact (id, reference, created_at, status, service, promised_by) "
                          "VALUES (7, '123456', :opened, 'received', 'MASH', :moved)"),
                     {"opened": first - timedelta(days=1), "moved": moved})
        for replaced in (first + timedelta(days=2), first):
            conn.execute(text("INSERT INTO callback (contact_id, kind, channel, to_number, body, due_at, state, "
                              "attempts, dedupe_key, created_at, updated_at) VALUES (7, 'still_assessing', 'sms', "
                              "'+447400123456', '', :at, 'sent', 1, :key, :at, :at)"),
                         {"at": moved, "key": f"7:still_assessing:{replaced.isoformat()}"})
    upgrade(empty_database)
    with Session(engine) as session:
        [contact] = session.exec(select(Contact)).all()
    engine.dispose()
    assert (contact.first_promised_by, contact.promised_by) == (first, moved.replace(tzinfo=timezone.utc))


@BOTH
def test_migration_0007_puts_every_message_already_left_in_its_inbox_as_new(empty_database):
    upgrade(empty_database, "0006")
    engine = make_engine(empty_database)
    started = datetime(2026, 11, 24, 22, 0)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO call (call_sid, started_at, ended_at, in_hours, route, service, recording_url, "
                          "twilio_log_deleted, recording_deleted, urgent_flag, no_input_count, invalid_count, failsafe) "
                          "VALUES (:sid, :started, :ended, false, 'VOICEMAIL', :service, :url, false, false, :urgent, "
                          "0, 0, false)"),
                     [{"sid": "CA1", "started": started, "ended": started + timedelta(minutes=2), "service": "EDT",
                       "url": "https://api.twilio.com/x/Recordings/RE1", "urgent": True},
                      {"sid": "CA2", "started": started, "ended": None, "service": "EARLY_HELP",
                       "url": "https://api.twilio.com/x/Recordings/RE2", "urgent": False},
                      {"sid": "CA3", "started": started, "ended": None, "service": "DSL_INFOLINE", "url": None,
                       "urgent": False}])
    upgrade(empty_database)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT c.call_sid, m.service, m.urgent, m.state, m.assigned_to, "
                                 "m.created_at = COALESCE(c.ended_at, c.started_at) "
                                 "FROM message m JOIN call c ON c.id = m.call_id ORDER BY c.call_sid")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [("CA1", "EDT", True, "new", None, True),
                                           ("CA2", "EARLY_HELP", False, "new", None, True)]


@BOTH
def test_migration_0012_gives_each_existing_contact_its_call_s_dsl(empty_database):
    upgrade(empty_database, "0011")
    engine = make_engine(empty_database)
    started = datetime(2026, 11, 24, 10, 0)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO school (urn, name, updated_at) VALUES (125484, 'Atherstone', :t)"), {"t": started})
        conn.execute(text("INSERT INTO dsl (id, urn, name, updated_at) VALUES (7, 125484, 'Sam Patel', :t)"),
                     {"t": started})
        conn.execute(text("INSERT INTO call (id, call_sid, started_at, in_hours, route, service, dsl_id, "
                          "twilio_log_deleted, recording_deleted, urgent_flag, no_input_count, invalid_count, failsafe) "
                          "VALUES (:id, :sid, :t, true, 'MASH', 'MASH', :dsl, false, false, false, 0, 0, false)"),
                     [{"id": 1, "sid": "CA1", "t": started, "dsl": 7}, {"id": 2, "sid": "CA2", "t": started, "dsl": None}])
        conn.execute(text("INSERT INTO contact (reference, call_id, created_at, status, service) "
                          "VALUES (:ref, :call, :t, 'received', 'MASH')"),
                     [{"ref": "111111", "call": 1, "t": started}, {"ref": "222222", "call": 2, "t": started},
                      {"ref": "333333", "call": None, "t": started}])
    upgrade(empty_database)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT reference, dsl_id FROM contact ORDER BY reference")).all()
    engine.dispose()
    assert [tuple(row) for row in rows] == [("111111", 7), ("222222", None), ("333333", None)]


@BOTH
def test_migration_0014_leaves_every_existing_token_reading_the_figures_and_nothing_more(empty_database):
    upgrade(empty_database, "0013")
    engine = make_engine(empty_database)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO apitoken (name, token_hash, created_at) VALUES ('powerbi', 'abc', :t)"),
                     {"t": datetime(2026, 11, 24, 10, 0)})
    upgrade(empty_database)
    with engine.connect() as conn:
        scopes = conn.execute(text("SELECT scopes FROM apitoken")).scalar_one()
    engine.dispose()
    assert scopes == "stats:read"
