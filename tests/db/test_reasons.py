"""The standard reasons a new database starts with are added once, however many first readers meet."""
from __future__ import annotations

import threading
import time

import pytest

from sqlmodel import Session, select

from db.models import StandardReason
from db.reasons import DEFAULT_REASONS, get_reasons
from tests.conftest import IN_HOURS


def test_two_first_readers_at_once_add_the_defaults_once_and_neither_fails(engine):
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's writers take the write lock before they read (BEGIN IMMEDIATE): no two meet")
    first, second, failures = Session(engine), Session(engine), []
    assert len(get_reasons(first, IN_HOURS)) == len(DEFAULT_REASONS)  # added, not yet committed

    def read_too():
        try:
            get_reasons(second, IN_HOURS)  # waits for the first's transaction, then finds them there
            second.commit()
        except Exception as exc:  # noqa: BLE001 - the test reports any failure
            failures.append(exc)
    reader = threading.Thread(target=read_too)
    reader.start()
    time.sleep(0.5)  # the second has counted none and is waiting on the first's rows
    first.commit()
    reader.join(30)
    first.close(), second.close()
    assert failures == []
    with Session(engine) as session:
        assert [r.code for r in session.exec(select(StandardReason))] == [code for code, _ in DEFAULT_REASONS]
