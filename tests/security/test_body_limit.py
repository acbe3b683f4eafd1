"""Attack: a huge unsigned POST is read whole before it is refused."""
from __future__ import annotations

import pytest
from sqlmodel import Session, select

from db.models import Call
from ivr import MAX_BODY_BYTES
from tests.conftest import TEST_ENV
from tests.twilio_client import call_params, dialled, parse_twiml


@pytest.mark.parametrize("path", ["/voice/incoming", "/voice/menu?attempt=1", "/voice/fallback"])
def test_an_oversized_webhook_body_is_not_read_and_the_caller_is_still_put_through_to_mash(app, engine, path):
    body = call_params(Padding="x" * (MAX_BODY_BYTES + 1))
    response = app.test_client().post(path, data=body)
    assert dialled(parse_twiml(response.data)) == [TEST_ENV["MASH_NUMBER"]]
    with Session(engine) as session:
        assert session.exec(select(Call)).all() == []


def test_an_oversized_sign_in_form_is_refused_with_413(app):
    response = app.test_client().post("/login", data={"username": "sam", "password": "p" * (MAX_BODY_BYTES + 1)})
    assert response.status_code == 413


def test_a_real_twilio_webhook_fits_well_inside_the_limit(twilio):
    assert twilio.post("/voice/incoming", call_params()).status_code == 200
