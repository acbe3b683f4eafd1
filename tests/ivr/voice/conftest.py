"""Fixtures for the live call's tests."""
from __future__ import annotations

import pytest

from ivr import create_app
from ivr.config import load_settings
from tests.conftest import TEST_ENV
from tests.twilio_client import TwilioClient


@pytest.fixture
def broken_db_twilio(clock):
    """An app whose database server is unreachable (nothing listens on port 9)."""
    env = dict(TEST_ENV, DATABASE_URL="postgresql+psycopg://nobody@127.0.0.1:9/none")
    app = create_app(load_settings(env))
    app.config["CLOCK"] = clock
    return TwilioClient(app.test_client(), TEST_ENV["TWILIO_AUTH_TOKEN"], TEST_ENV["PUBLIC_BASE_URL"])
