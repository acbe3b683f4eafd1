"""Fixtures for the simulator tests: the app served over real HTTP on loopback, with the demo schools."""
from __future__ import annotations

import pytest
from sqlmodel import Session

from schools import DEMO_SCHOOLS_CSV, import_schools
from simulator.scenarios import Target
from simulator.server import serve
from tests.conftest import IN_HOURS, TEST_ENV

TOKEN = TEST_ENV["TWILIO_AUTH_TOKEN"]


@pytest.fixture
def settings_env(settings_env):
    """No PUBLIC_BASE_URL: the simulator signs the loopback URL it posts to, as Twilio signs the URL it calls."""
    env = dict(settings_env)
    env.pop("PUBLIC_BASE_URL", None)
    return env


@pytest.fixture
def live_url(app):
    """The test app served by a real HTTP server on a free loopback port."""
    with serve(app) as base_url:
        yield base_url


@pytest.fixture
def demo_schools(engine):
    """The demo schools register that `make run` loads (125484 is Atherstone Nursery School)."""
    with Session(engine) as session:
        import_schools(session, DEMO_SCHOOLS_CSV, now=IN_HOURS)
        session.commit()


@pytest.fixture
def target(app, live_url, clock, demo_schools):
    """The served app as the scenario runner sees it: URL, token, settings, database and the app's clock."""
    return Target(live_url, TOKEN, app.config["SETTINGS"], app.extensions["db_engine"], clock)
