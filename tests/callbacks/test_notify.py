"""Texts through GOV.UK Notify (SMS_PROVIDER=notify), end to end against a local Notify stand-in: sent with the
kind's template, the delivery receipt applied as Twilio's status callback is; calls stay on Twilio."""
from __future__ import annotations

from dataclasses import replace

import pytest
from sqlmodel import Session, select

from callbacks.planner import schedule_update
from callbacks.worker import Worker
from db.models import Callback
from db.session import session_scope
from simulator.notify_api import NotifyStandIn
from tests.callback_support import MOBILE, SCHOOL_URN, SWITCHBOARD, add_contact, add_school
from tests.conftest import IN_HOURS

pytestmark = pytest.mark.twilio_stand_in

API_KEY = "mash_ivr_test-26785a09-ab16-4eb0-8407-a37497a57506-3d844edf-8d35-48ac-975b-e847b4f122b0"
TEMPLATE, REFERENCE_TEMPLATE = "f33517ff-2a88-4f6e-b855-c550268ce08a", "a2f61f6a-5c8c-4ab6-8c1f-a9e2c31f1f53"
TOKEN = "a-notify-callback-token-of-32-characters"


@pytest.fixture
def notify(loopback):
    stand_in = NotifyStandIn(API_KEY, callback_url=f"{loopback.app_url}/notify/delivery-receipt", callback_token=TOKEN,
                             templates=(TEMPLATE, REFERENCE_TEMPLATE)).start()
    yield stand_in
    stand_in.stop()


@pytest.fixture
def notify_app(settings_env, notify, request):
    settings_env.update(SMS_PROVIDER="notify", NOTIFY_API_KEY=API_KEY, NOTIFY_TEMPLATE_ID=TEMPLATE,
                        NOTIFY_TEMPLATE_IDS=f"reference={REFERENCE_TEMPLATE}", NOTIFY_CALLBACK_TOKEN=TOKEN,
                        NOTIFY_API_BASE_URL=notify.url)
    return request.getfixturevalue("app")  # made now, with these settings; `live` then serves it on loopback


def _scheduled(app, engine, kind: str, caller: str, urn: int | None = None) -> int:
    """A contact's callback of this kind, due now; returns its id."""
    with session_scope(engine) as session:
        if urn is not None:
            add_school(session, urn)
        contact = add_contact(session, IN_HOURS, caller=caller, urn=urn)
        schedule_update(session, contact, kind, app.config["SETTINGS"], IN_HOURS)
    with Session(engine) as session:
        return session.exec(select(Callback.id).order_by(Callback.id.desc())).first()


def _row(engine, callback_id: int) -> Callback:
    with Session(engine) as session:
        return session.get(Callback, callback_id)


def test_a_text_goes_through_notify_with_its_kind_s_template_and_its_receipt_marks_it_delivered(
        notify_app, engine, notify, live):
    callback_id = _scheduled(notify_app, engine, "reference", MOBILE)
    assert Worker(notify_app).send_due() == 1
    notify.wait_idle()
    [sent] = notify.notifications.values()
    row = _row(engine, callback_id)
    assert (sent["phone_number"], sent["template"]["id"], sent["body"]) == (MOBILE, REFERENCE_TEMPLATE, row.body)
    assert sent["reference"] == f"callback-{callback_id}-1"
    assert notify.receipts and notify.receipts[-1][0] == 204
    assert (row.state, row.twilio_sid, row.last_status) == ("delivered", sent["id"], "delivered")
    assert live.stand_in.log()["messages"] == [], "no text went through Twilio"


def test_a_kind_without_its_own_template_uses_notify_template_id_and_a_failure_receipt_fails_it(
        notify_app, engine, notify, live):
    notify.outcome = "permanent-failure"
    settings = notify_app.config["SETTINGS"]
    notify_app.config["SETTINGS"] = replace(settings, notify=replace(settings.notify, templates=()))
    callback_id = _scheduled(notify_app, engine, "reference", MOBILE)
    Worker(notify_app).send_due()
    notify.wait_idle()
    [sent] = notify.notifications.values()
    row = _row(engine, callback_id)
    assert sent["template"]["id"] == TEMPLATE
    assert (row.state, row.last_error) == ("failed", "permanent-failure (GOV.UK Notify)")


def test_a_voice_callback_stays_on_twilio(notify_app, engine, notify, live):
    _scheduled(notify_app, engine, "still_assessing", SWITCHBOARD, SCHOOL_URN)  # a landline: a call, not a text
    assert Worker(notify_app).send_due() == 1
    assert live.stand_in.wait_idle(30)
    assert len(live.stand_in.log()["calls"]) == 1 and notify.notifications == {}


def test_a_receipt_without_notify_s_token_changes_nothing(notify_app, engine, notify, live):
    callback_id = _scheduled(notify_app, engine, "reference", MOBILE)
    notify.callback_token = "a-forged-token"
    Worker(notify_app).send_due()
    notify.wait_idle()
    assert notify.receipts[-1][0] == 401
    assert _row(engine, callback_id).state == "sent"


def test_a_twilio_status_callback_found_by_its_sid_alone_is_applied(app, engine, twilio):
    """Twilio's callbacks carry our id in the URL; one without it (an old URL) is matched by the SID."""
    with session_scope(engine) as session:
        contact = add_contact(session, IN_HOURS, caller=MOBILE, urn=None)
        schedule_update(session, contact, "reference", app.config["SETTINGS"], IN_HOURS)
        row = session.exec(select(Callback)).one()
        row.state, row.twilio_sid, row.attempts = "sent", "SM" + "5" * 32, 1
    response = twilio.post("/voice/message-status", {"MessageSid": "SM" + "5" * 32, "MessageStatus": "delivered"})
    assert response.status_code == 204
    with Session(engine) as session:
        assert session.exec(select(Callback)).one().state == "delivered"


def test_a_text_whose_answer_was_lost_is_found_by_its_reference_and_not_sent_twice(notify_app, engine, notify, live):
    notify.lose_answers, notify.stall, notify.delay = 1, 2.0, 3.0  # the receipt comes after the look-up
    callback_id = _scheduled(notify_app, engine, "reference", MOBILE)
    worker = Worker(notify_app, rest_timeout=0.5)
    assert worker.send_due() == 0
    assert _row(engine, callback_id).state == "unconfirmed"
    worker.check_doubtful()
    worker.send_due()
    notify.wait_idle()
    [sent] = notify.notifications.values()
    row = _row(engine, callback_id)
    assert (row.twilio_sid, len(notify.notifications), row.state) == (sent["id"], 1, "delivered")


def test_a_receipt_that_comes_before_the_send_s_own_answer_still_counts(notify_app, engine, notify, live):
    notify.delay = 0  # the receipt races the worker's record of the send
    callback_id = _scheduled(notify_app, engine, "reference", MOBILE)
    Worker(notify_app).send_due()
    notify.wait_idle()
    assert _row(engine, callback_id).state == "delivered"


def test_a_key_notify_refuses_holds_the_texts_as_twilio_s_refusal_does(notify_app, engine, notify, live):
    notify.secret = "0" * 36  # Notify no longer knows our key
    callback_id = _scheduled(notify_app, engine, "reference", MOBILE)
    worker = Worker(notify_app)
    assert worker.send_due() == 0
    row = _row(engine, callback_id)
    assert row.state == "scheduled" and row.due_at > IN_HOURS and "HTTP 403" in row.last_error
    assert worker.problem and "HTTP 403" in worker.problem
