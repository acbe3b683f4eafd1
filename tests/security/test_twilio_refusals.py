"""Attack surface: a rotated token fails every callback for good; a number that unsubscribed is texted again."""
from __future__ import annotations

import pytest

import dataclasses

from sqlmodel import Session

from callbacks.worker import Worker
from db.models import Callback
from tests.callback_support import MOBILE, add_contact, callbacks_of
from tests.conftest import IN_HOURS

pytestmark = pytest.mark.twilio_stand_in


def queue_text(engine, to: str = MOBILE, key: str = "t1") -> None:
    with Session(engine, expire_on_commit=False) as session:
        contact = add_contact(session, IN_HOURS, caller=to, urn=None)
        session.add(Callback(contact_id=contact.id, kind="reference", channel="sms", to_number=to, body="MASH ref",
                             due_at=IN_HOURS, dedupe_key=key, created_at=IN_HOURS, updated_at=IN_HOURS))
        session.commit()


def worker_with_token(app, token: str) -> Worker:
    worker = Worker(app)
    worker.base_settings = dataclasses.replace(worker.base_settings, twilio_auth_token=token)
    return worker


def test_refused_credentials_hold_every_callback_and_health_says_why(app, engine, live, json_log):
    queue_text(engine, key="a")
    queue_text(engine, key="b")
    refused = worker_with_token(app, "a-rotated-token")
    assert refused.send_due() == 0
    held = callbacks_of(engine)
    assert {(c.state, c.attempts) for c in held} == {("scheduled", 0)}  # held, not failed, no attempt spent
    assert sorted(c.due_at > IN_HOURS for c in held) == [False, True]  # one was tried; the run stopped there
    health = app.test_client().get("/health")
    assert health.status_code == 503 and "refuses our credentials" in health.get_json()["twilio"]
    assert app.test_client().get("/health/live").status_code == 200  # the line itself stays in service
    alerts = [line for line in json_log() if line.get("event") == "twilio_credentials_refused"]
    assert len(alerts) == 1 and alerts[0]["level"] == "error"


def test_once_twilio_accepts_the_credentials_again_the_held_callbacks_go_and_health_recovers(app, engine, live,
                                                                                              clock):
    queue_text(engine)
    worker = worker_with_token(app, "a-rotated-token")
    worker.send_due()
    worker.base_settings = app.config["SETTINGS"]
    worker._client = None  # the right token, as after a restart with the new one
    clock.now = IN_HOURS + Worker.__init__.__globals__["CREDENTIALS_HOLD"]
    assert worker.send_due() == 1 and live.stand_in.wait_idle(30)
    worker.heartbeat()
    assert app.test_client().get("/health").status_code == 200


def test_a_number_that_unsubscribed_is_never_texted_again(app, engine, live):
    live.stand_in.unsubscribed.add(MOBILE)
    queue_text(engine, key="first")
    Worker(app).send_due()
    [first] = callbacks_of(engine)
    assert first.state == "failed" and "21610" in first.last_error
    live.stand_in.unsubscribed.clear()  # even if Twilio would now take it, we do not send
    queue_text(engine, key="second")
    Worker(app).send_due()
    second = callbacks_of(engine)[-1]
    assert second.state == "failed" and "unsubscribed" in second.last_error
    assert live.stand_in.log()["messages"] == []
