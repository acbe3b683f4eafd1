"""Attack: a huge unsigned POST is read whole before it is refused."""
from __future__ import annotations

from ivr import MAX_BODY_BYTES
from tests.twilio_client import call_params


def test_an_oversized_webhook_body_is_refused_with_413_unread(app):
    body = call_params(Padding="x" * (MAX_BODY_BYTES + 1))
    response = app.test_client().post("/voice/incoming", data=body)
    assert response.status_code == 413


def test_an_oversized_sign_in_form_is_refused_with_413(app):
    response = app.test_client().post("/login", data={"username": "sam", "password": "p" * (MAX_BODY_BYTES + 1)})
    assert response.status_code == 413


def test_a_real_twilio_webhook_fits_well_inside_the_limit(twilio):
    assert twilio.post("/voice/incoming", call_params()).status_code == 200
