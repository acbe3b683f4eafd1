"""Fixtures for the outbound messages' tests."""
from __future__ import annotations

import pytest
from sqlmodel import Session

from tests.callback_support import Workers, add_contact, add_school
from tests.conftest import IN_HOURS


@pytest.fixture
def contact(engine, live):
    with Session(engine, expire_on_commit=False) as session:
        add_school(session)
        return add_contact(session, IN_HOURS)


@pytest.fixture
def workers(settings_env, tmp_path):
    """Real `ivr worker` processes, killed at the end of the test if still running."""
    pool = Workers(settings_env, tmp_path)
    yield pool
    pool.close()
