"""Attack: a step's dedupe key is a plain hash of the whole form, so it gives back the caller's number."""
from __future__ import annotations

import hashlib

from sqlmodel import Session, select

from db.models import CallStep
from ivr import create_app
from ivr.config import load_settings
from tests.conftest import TEST_ENV
from tests.twilio_client import TwilioClient, call_params

CALLER = "+442079460987"


def stored_key(tmp_path, secret: str, caller: str) -> str:
    app = create_app(load_settings(dict(TEST_ENV, DATABASE_URL=f"sqlite:///{tmp_path / (secret + caller)}.db",
                                        SECRET_KEY=secret)))
    CallStep.metadata.create_all(app.extensions["db_engine"])
    TwilioClient(app.test_client(), TEST_ENV["TWILIO_AUTH_TOKEN"], TEST_ENV["PUBLIC_BASE_URL"]).twiml(
        "/voice/incoming", call_params(caller=caller))
    with Session(app.extensions["db_engine"]) as session:
        key = session.exec(select(CallStep.dedupe_key)).one()
    app.extensions["db_engine"].dispose()
    return key


def test_a_step_key_is_keyed_by_the_apps_secret(tmp_path):
    first = stored_key(tmp_path, "first-secret-key-123456", CALLER)
    assert first != stored_key(tmp_path, "other-secret-key-123456", CALLER)
    items = sorted((k, str(v)) for k, v in call_params(caller=CALLER).items())
    assert first != hashlib.sha256(repr(("/voice/incoming?", items)).encode()).hexdigest()


def test_a_step_key_does_not_depend_on_the_callers_number(tmp_path):
    assert stored_key(tmp_path, "first-secret-key-123456", CALLER) == stored_key(
        tmp_path, "first-secret-key-123456", "+441214960000")
